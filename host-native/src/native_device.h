// dev:console on the native host: dk's own stdio (or the functions a launcher gives); stdin
// is polled before it is read, so a console read never blocks dk. dev:null, dev:zero and
// the stderr side are the host core's DeviceStream (dk/core/device.h).
#pragma once

#include <functional>

#include "dk/core/device.h"
#include "native_stream.h"

namespace dk::native {

class NativeDevice : public DeviceStream {
 public:
  using WriteFn = std::function<void(int, const uint8_t*, size_t)>;
  using ReadFn = std::function<size_t(uint8_t*, size_t)>;
  NativeDevice(Device d, std::string name, std::shared_ptr<StreamEnv> env, WriteFn w, ReadFn r,
               bool rd, bool wr, bool nb)
      : DeviceStream(d, std::move(name), nullptr, rd, wr, nb),
        env(std::move(env)),
        write_fn(std::move(w)),
        read_fn(std::move(r)) {}
  std::shared_ptr<StreamEnv> env;
  WriteFn write_fn;
  ReadFn read_fn;

  bool wait_ready() const override;
  void arm_wait(IoWatch& p) const override;

 protected:
  dk_status_t read_console(StreamIo& io) override;
  dk_status_t write_console(StreamIo& io) override;
};

}  // namespace dk::native
