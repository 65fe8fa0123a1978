// dev:console, dev:null and dev:zero. The console is dk's own stdio (or the functions a
// launcher gives); stdin is polled before it is read, so a console read never blocks dk.
#pragma once

#include <functional>

#include "native_stream.h"

namespace dk::native {

class DeviceStream : public HostStream {
 public:
  enum class Device { Console, Null, Zero };
  using WriteFn = std::function<void(int, const uint8_t*, size_t)>;
  using ReadFn = std::function<size_t(uint8_t*, size_t)>;
  DeviceStream(Device d, std::string name, std::shared_ptr<StreamEnv> env, WriteFn w, ReadFn r,
               bool rd, bool wr, bool nb)
      : HostStream(DK_STREAM_DEVICE, std::move(name), rd, wr, nb),
        device(d),
        env(std::move(env)),
        write_fn(std::move(w)),
        read_fn(std::move(r)) {
    console_device = d == Device::Console;
  }
  Device device;
  std::shared_ptr<StreamEnv> env;
  WriteFn write_fn;
  ReadFn read_fn;
  int console_fd = 1;  // 1 stdout, 2 stderr

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override;
  void arm_wait(IoWatch& p) const override;
};

}  // namespace dk::native
