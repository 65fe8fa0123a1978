// dev:console, dev:null and dev:zero. The console reads and writes the run's Console;
// writes through the boot info's stderr handle go to its error side.
#pragma once

#include "dk/console.h"
#include "dk/core/stream.h"

namespace dk {

class DeviceStream : public HostStream {
 public:
  enum class Device { Console, Null, Zero };
  DeviceStream(Device d, std::string name, Console* console, bool r, bool w, bool nb)
      : HostStream(DK_STREAM_DEVICE, std::move(name), r, w, nb), device(d), console(console) {
    console_device = d == Device::Console;
  }
  Device device;
  Console* console;
  int console_fd = 1;  // 1 stdout, 2 stderr

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
};

}  // namespace dk
