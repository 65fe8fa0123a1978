#include "sim_device.h"

namespace dk {

dk_status_t DeviceStream::read(StreamIo& io) {
  switch (device) {
    case Device::Console:
      io.out->resize(io.room);
      io.done = console ? console->read(io.out->data(), io.room) : 0;
      io.out->resize(io.done);
      break;
    case Device::Null:
      break;
    case Device::Zero:
      io.out->assign(io.room, 0);
      io.done = io.room;
      break;
  }
  return 0;
}

dk_status_t DeviceStream::write(StreamIo& io) {
  if (device == Device::Console && console)
    console->write(console_fd, io.in->data(), io.in->size());
  io.done = io.in->size();
  return 0;
}

}  // namespace dk
