// The native host: the Dk ABI served by the real machine. Files live beneath the host folders
// the namespace maps (opened with open_beneath, so nothing leaves a mapping), package files
// come from the package union as read-only in-memory copies, sockets are real TCP and UDP,
// time comes from CLOCK_REALTIME/CLOCK_MONOTONIC and random bits from getrandom(2). Pipes,
// threads, sync objects and processes behave as on the simulated host. Every descriptor is
// nonblocking: a call that would wait parks its thread (kBlocked) and registers interest in
// an epoll set that idle() waits on. One NativeHost serves one world.
// Errors are dk_status_t values (docs/abi.md, "Host status mapping"); nothing throws across
// the Host interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dk/console.h"
#include "dk/core/core_host.h"
#include "dk/host.h"
#include "dk/monitor/namespace.h"
#include "dk/monitor/policy.h"
#include "dk/monitor/package_union.h"

namespace dk {

// Host operations the error-injection seam can fail.
enum class HostOp {
  Open,      // openat2 beneath a mapping, mkdirat
  Read,      // pread/read of files and devices
  Write,     // pwrite/write of files and devices
  Sync,      // fsync (DkStreamFlush)
  Truncate,  // ftruncate (DkStreamSetLength)
  Rename,    // renameat
  Unlink,    // unlinkat
  Stat,      // fstat/fstatat
  List,      // reading a directory
  Listen,    // socket + bind + listen
  Connect,   // socket + connect
  Accept,    // accept4
  Send,      // send/sendto on sockets
  Recv,      // recv/recvfrom on sockets
};

// Decides whether a host operation fails: an errno value to fail it with, or 0 to carry it out.
using FaultInjector = std::function<int(HostOp op)>;

struct NativeConfig {
  // The namespace policy (dk/monitor/policy.h): every open, query, rename, delete, connect,
  // listen and process image asks it, and the host opens what it resolves to. Null: an empty
  // namespace, which refuses everything.
  std::shared_ptr<const Policy> namespace_policy{};
  // package: and unmapped file: paths (read-only); null gives an empty package view.
  std::shared_ptr<const PackageUnion> packages{};
  // The first picoprocess's image and name, for self:.
  std::vector<uint8_t> image{};
  std::string name{};
  // dev:console: the console every host takes (dk/console.h). Null: dk's own stdin (fd 0,
  // polled) and stdout/stderr (fd 1, 2).
  Console* console = nullptr;
  // With `console`: its output only; input stays dk's own stdin, polled (`dk run --json`).
  bool console_stdin = false;
  std::string* debug_log = nullptr;  // DkDebugOutput lands here when set (else dropped)
  FaultInjector inject{};            // tests: fail chosen host operations
};

namespace native {
struct NativeWorld;  // the world state; internals live in namespace dk::native
}

// The native host is the host core (threads, sync, processes, handles, pipes) plus what it
// owns: real files beneath the namespace, sockets, clocks, getrandom and idle().
class NativeHost : public CoreHost {
 public:
  explicit NativeHost(NativeConfig config);
  ~NativeHost() override;
  std::string_view name() const override { return "native"; }
  uint64_t cycle_counter(const CallContext& cx) override;
  uint64_t clock_ns(const CallContext& cx) override;
  bool idle(uint64_t deadline) override;
  bool deterministic() const override { return false; }
  // A descriptor that polls readable when a descriptor a parked call waits on may be ready
  // (idle(now) then takes the readiness): the native runtime's supervisor waits on it beside
  // its children's channels.
  int io_fd() const;

  // CLOCK_MONOTONIC in ns: the clock of every deadline this host gives block().
  static uint64_t monotonic_ns();

  // Time and randomness.
  dk_status_t DkSystemTimeQuery(CallContext& cx, Call& call) override;
  dk_status_t DkRandomBitsRead(CallContext& cx, Call& call) override;

 protected:
  // Parked waits arm their streams' descriptors in the epoll set idle() waits on.
  IoWatch* io_watch() override;
  // self: from the process table; file: and package: images the namespace lets the caller read.
  dk_status_t child_image(CallContext& cx, const std::string& uri, ChildSpec& spec) override;
  // Streams by URI: the policy's answer (with tmpfs: made a host folder), the physical
  // device or pipe name it resolved, dk's stdio for dev:console, host files and real sockets.
  dk_status_t resolve(CallContext& cx, NamespaceOp op, const Uri& uri, Access access,
                      Resolved& out) override;
  dk_status_t physical(const Uri& uri, const Resolved& r, Uri& out) const override;
  std::shared_ptr<HostStream> open_device(DeviceStream::Device d, const Uri& uri,
                                          const OpenFlags& f) override;
  dk_status_t open_path(CallContext& cx, const Uri& uri, const Resolved& r, const OpenFlags& f,
                        std::shared_ptr<HostStream>& out) override;
  dk_status_t open_net(CallContext& cx, const Uri& uri, const Resolved& r, const OpenFlags& f,
                       std::shared_ptr<HostStream>& out) override;
  dk_status_t query_path(const Uri& uri, const Resolved& r, dk_stream_attr& attr) override;
  dk_status_t query_net(const Uri& uri, const Resolved& r, dk_stream_attr& attr) override;
  dk_status_t rename_path(const std::shared_ptr<HostStream>& s, const Uri& to,
                          const Resolved& rt) override;
  dk_status_t set_length(HostStream& s, uint64_t length) override;
  // Streams and mappings on host files, and TCP servers.
  dk_status_t delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) override;
  dk_status_t wait_for_client(CallContext& cx, Call& call,
                              const std::shared_ptr<HostStream>& server) override;
  bool mapped_length(const StreamMapping& m, uint64_t& length) override;
  void store_mapped(const StreamMapping& m, const std::vector<uint8_t>& bytes) override;
  bool same_file(const HostStream& mapped, const HostStream& s) const override;

 private:
  // The policy's answer: every policy question goes here. A tmpfs: target comes back as a
  // host folder: the caller's private folder (made on first use, removed when the
  // picoprocess is known to have ended or the world ends).
  dk_status_t resolve(uint32_t pid, NamespaceOp op, std::string_view uri, Access access,
                      Resolved& out) const;
  dk_status_t resolve_uri(uint32_t pid, NamespaceOp op, const Uri& uri, Access access,
                          Resolved& out) const;

  NativeConfig config_;
  std::shared_ptr<const Policy> policy_;
  std::unique_ptr<native::NativeWorld> world_;
};

std::unique_ptr<NativeHost> make_native_host(NativeConfig config);

}  // namespace dk
