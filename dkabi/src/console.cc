#include "dk/console.h"

#include <unistd.h>

#include <cstring>

namespace dk {

void StdioConsole::write(int fd, const uint8_t* data, size_t n) {
  FILE* f = fd == 2 ? stderr : stdout;
  fwrite(data, 1, n, f);
  // The guest's stdio library does its own buffering; pass its writes on as they come so
  // interleaving with dk's own messages stays in order.
  fflush(f);
}

size_t StdioConsole::read(uint8_t* data, size_t n) {
  ssize_t got = ::read(0, data, n);
  return got > 0 ? static_cast<size_t>(got) : 0;
}

size_t CapturedConsole::read(uint8_t* data, size_t n) {
  size_t left = in_.size() - pos_;
  size_t take = n < left ? n : left;
  memcpy(data, in_.data() + pos_, take);
  pos_ += take;
  return take;
}

}  // namespace dk
