// dev:console, dev:null and dev:zero, the same on every host: null reads as end of stream
// and swallows writes, zero reads as zeros and swallows writes, the console reads and writes
// the run's Console (dk/console.h; none: output is dropped, input is empty). Writes through
// the boot info's stderr handle go to the console's error side (CoreHost::bind_std_handle).
// A host whose console is something else (the native host's own stdio) derives and replaces
// read_console and write_console only.
#pragma once

#include <string>
#include <string_view>

#include "dk/console.h"
#include "dk/core/stream.h"

namespace dk {

class DeviceStream : public HostStream {
 public:
  enum class Device { Console, Null, Zero };
  // The device a dev: path names: "console", "null", anything else zero (the policy lets
  // through only the devices it knows).
  static Device device_of(std::string_view path) {
    return path == "console" ? Device::Console : path == "null" ? Device::Null : Device::Zero;
  }
  DeviceStream(Device d, std::string name, Console* console, bool r, bool w, bool nb)
      : HostStream(DK_STREAM_DEVICE, std::move(name), r, w, nb), device(d), console(console) {
    console_device = d == Device::Console;
  }
  Device device;
  Console* console;
  int console_fd = 1;  // 1 stdout, 2 stderr

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;

 protected:
  // dev:console's reads and writes; the default goes to `console`.
  virtual dk_status_t read_console(StreamIo& io);
  virtual dk_status_t write_console(StreamIo& io);
};

}  // namespace dk
