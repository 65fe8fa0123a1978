// dev:console on the native host: the launcher's Console (dk/console.h), or dk's own stdio
// when there is none; stdin is polled before it is read, so a console read never blocks dk.
// dev:null, dev:zero, the console's reads and writes through a Console and the stderr side
// are the host core's DeviceStream (dk/core/device.h).
#pragma once

#include "dk/core/device.h"
#include "native_stream.h"

namespace dk::native {

class NativeDevice : public DeviceStream {
 public:
  // `console` null: dk's own stdio. `stdin_input`: reads come from dk's own stdin even with a
  // console (which then takes the output only).
  NativeDevice(Device d, std::string name, std::shared_ptr<StreamEnv> env, Console* console,
               bool stdin_input, bool rd, bool wr, bool nb)
      : DeviceStream(d, std::move(name), console, rd, wr, nb),
        env(std::move(env)),
        stdin_input(stdin_input || !console) {}
  std::shared_ptr<StreamEnv> env;
  bool stdin_input;  // console reads poll and read fd 0

  bool wait_ready() const override;
  void arm_wait(IoWatch& p) const override;

 protected:
  dk_status_t read_console(StreamIo& io) override;
  dk_status_t write_console(StreamIo& io) override;
};

}  // namespace dk::native
