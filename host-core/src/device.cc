#include "dk/core/device.h"

namespace dk {

dk_status_t DeviceStream::read(StreamIo& io) {
  switch (device) {
    case Device::Console:
      return read_console(io);
    case Device::Null:
      return 0;
    case Device::Zero:
      io.out->assign(io.room, 0);
      io.done = io.room;
      return 0;
  }
  return 0;
}

dk_status_t DeviceStream::write(StreamIo& io) {
  if (device == Device::Console) return write_console(io);
  io.done = io.in->size();
  return 0;
}

dk_status_t DeviceStream::read_console(StreamIo& io) {
  io.out->resize(io.room);
  io.done = console ? console->read(io.out->data(), io.room) : 0;
  io.out->resize(io.done);
  return 0;
}

dk_status_t DeviceStream::write_console(StreamIo& io) {
  if (console) console->write(console_fd, io.in->data(), io.in->size());
  io.done = io.in->size();
  return 0;
}

}  // namespace dk
