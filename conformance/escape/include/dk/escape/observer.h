// The observer: everything that decides a verdict from outside the attacker. Host canaries
// (a file outside every mapping that must stay as it was, a path that must stay absent, a
// read-only file, a TCP port that must see no connection, bytes that must never reach the
// harness's own stdout/stderr), and a Host decorator that checks every URI the host served
// against the escape namespace on its own (the policy oracle). The runner adds the sibling
// picoprocess and the harness's health (runner.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dk/host.h"
#include "dk/monitor/policy.h"

namespace dk::escape {

// The escape namespace, on every host: file:/tmp and dir:/tmp writable, file:/ro and dir:/ro
// read-only, the devices, named pipes whose names start with "esc", self: and package: for
// reading. No network, nothing else: refused with ACCESS.
dk_status_t escape_policy(const NamespaceRequest& r);

// The host folders and sockets of one attempt, made by the runner before it starts and
// checked after it ended (every path is inside `dir`, a fresh folder per attempt).
class Canaries {
 public:
  // Makes the folder beneath `parent` and everything in it. Throws std::runtime_error.
  Canaries(const std::string& parent, size_t n);
  ~Canaries();
  Canaries(const Canaries&) = delete;
  Canaries& operator=(const Canaries&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& canary_path() const { return canary_; }
  const std::string& absent_path() const { return absent_; }
  const std::string& sim_root() const { return sim_root_; }  // file:/ on the sim host
  const std::string& tmp_dir() const { return tmp_; }        // file:/tmp on the native host
  const std::string& ro_dir() const { return ro_; }          // file:/ro on the native host
  const std::string& fd_log() const { return fd_log_; }      // the attempt process's fd 1, 2
  const std::string& token() const { return token_; }        // the canary file's secret
  uint16_t port() const { return port_; }
  static std::string_view marker();  // what generated streams try to print through Linux

  // Breaches seen after the attempt: one line each. `guest_output` is everything the
  // picoprocesses wrote (console, debug log): the canary's secret must not be in it.
  std::vector<std::string> check(const std::string& guest_output) const;

 private:
  std::string dir_, canary_, absent_, sim_root_, tmp_, ro_, fd_log_, token_;
  std::string canary_bytes_, ro_bytes_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
};

// The policy oracle: serves through `inner` and records every call that succeeded on a URI
// the escape namespace does not grant (for the picoprocess `watched`, 0 for all).
class WatchingHost : public HostDecorator {
 public:
  explicit WatchingHost(Host& inner) : HostDecorator(inner) {}
  dk_status_t serve(CallContext& cx, Call& call) override;
  const std::vector<std::string>& breaches() const { return breaches_; }
  uint64_t calls() const { return calls_; }

 private:
  std::vector<std::string> breaches_;
  uint64_t calls_ = 0;
};

}  // namespace dk::escape
