// PluginHost: a dk::Host served by a shared library that implements dk/host_plugin.h. It
// dlopens the library, checks its ABI version, and hands each already checked Call to the
// library's slot for that call (NULL slots answer NOTSUP). Loading reports errors as values
// (nullptr and a message); nothing throws across the C ABI.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dk/console.h"
#include "dk/host.h"
#include "dk/host_plugin.h"

namespace dk {

// Where a plug-in's console and debug output go, and where console input comes from: the
// console every host takes (dk/console.h; null: output dropped, input empty) and the debug
// log (null: dropped). Both outlive the host.
struct PluginIo {
  Console* console = nullptr;
  std::string* debug_log = nullptr;
};

class PluginHost : public Host {
 public:
  // spec: "PATH" or "PATH,CONFIG". nullptr with `error` set when the library cannot be
  // loaded, lacks the entry points, has another ABI version, or its open() fails.
  static std::unique_ptr<PluginHost> load(const std::string& spec, PluginIo io, std::string& error);
  ~PluginHost() override;

  std::string_view name() const override { return name_; }
  uint64_t cycle_counter(const CallContext& cx) override;
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;
  dk_status_t serve(CallContext& cx, Call& call) override;

 private:
  PluginHost() = default;
  void* lib_ = nullptr;
  const dk_plugin_host* table_ = nullptr;
  void* host_ = nullptr;
  std::string name_;
  PluginIo io_;
};

}  // namespace dk
