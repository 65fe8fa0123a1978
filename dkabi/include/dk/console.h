// Where a picoprocess's console device (dev:console) reads and writes, on every host: dk's own
// stdio, or a captured buffer for tests. The one console interface: SimConfig::console,
// NativeConfig::console and PluginIo::console (dk/plugin_host.h) take it, and so does the host
// factory (dk/host_factory.h); no host takes console functions of its own. Console input is
// part of a run's inputs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace dk {

class Console {
 public:
  virtual ~Console() = default;
  virtual void write(int fd, const uint8_t* data, size_t n) = 0;  // fd 1 stdout, 2 stderr
  virtual size_t read(uint8_t* data, size_t n) = 0;               // 0 at end of input
};

class StdioConsole : public Console {
 public:
  void write(int fd, const uint8_t* data, size_t n) override;
  size_t read(uint8_t* data, size_t n) override;
};

class CapturedConsole : public Console {
 public:
  explicit CapturedConsole(std::string input = {}) : in_(std::move(input)) {}
  void write(int fd, const uint8_t* data, size_t n) override {
    (fd == 2 ? err : out).append(reinterpret_cast<const char*>(data), n);
  }
  size_t read(uint8_t* data, size_t n) override;
  std::string out, err;

 private:
  std::string in_;
  size_t pos_ = 0;
};

}  // namespace dk
