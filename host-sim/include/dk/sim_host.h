// The simulated host: deterministic and in-process, the embedded default. Time is virtual
// (driven by ticks), random bits come from a seeded generator, handles and addresses from
// deterministic allocators, files live in an in-memory overlay over a host folder that is
// never written, and pipes and sockets are in-memory channels between the picoprocesses of
// one world (one SimHost serves the whole world). A run is a pure function of its inputs.
// Errors are dk_status_t values; nothing here throws across the Host interface.
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
#include "dk/monitor/uri.h"

namespace dk {

struct SimConfig {
  uint64_t seed = 0;
  Console* console = nullptr;        // nullptr: output is dropped, input is empty
  std::string* debug_log = nullptr;  // DkDebugOutput lands here when set
  // Host folder seen as file:/, dir:/ and package:/ (read lazily, never written). "" gives
  // an empty file system.
  std::string root{};
  // When set, instead of `root`: the package union (the app package and its dependencies'
  // files, as PackageLaunch::files) seen as file:/, dir:/ and package:/, read-only beneath
  // the copy-on-write overlay.
  std::shared_ptr<const PackageUnion> packages{};
  // The first picoprocess's image and package name, for self: (children are recorded when
  // they are created; SimHost::set_image covers any other launcher).
  std::vector<uint8_t> image{};
  std::string name{};
  // Host folders the namespace maps, as (virtual path, host folder): shown at the virtual
  // path of file:/dir: over `root` or `packages`, read when first listed or opened; writes
  // stay in the overlay. The run's inputs name each with a hash of its contents.
  std::vector<std::pair<std::string, std::string>> mounts{};
  // The namespace policy (dk/monitor/policy.h), asked once per open, attribute query, rename
  // (for the old and the new URI), delete, connect, listen and process image; the host uses
  // its yes or no (the overlay holds the files). Null: the default namespace with file:/
  // writable in the overlay (default_namespace("tmpfs:/", true)).
  std::shared_ptr<const Policy> namespace_policy{};
};

// The virtual clock. One tick (a basic block executed) is kNsPerTick nanoseconds; the
// virtual TSC runs at kTscHz.
struct VirtualClock {
  static constexpr uint64_t kEpochNs = 1341964800ull * 1000000000ull;  // 2012-07-11T00:00:00Z
  static constexpr uint64_t kNsPerTick = 10;
  static constexpr uint64_t kTscHz = 3000000000ull;
  static uint64_t ns_at(uint64_t tick) { return kEpochNs + tick * kNsPerTick; }
  static uint64_t tsc_at(uint64_t tick) { return tick * kNsPerTick * (kTscHz / 1000000000ull); }
};

// A deterministic generator (xoshiro256**, seeded through splitmix64).
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t next();
  void fill(uint8_t* out, size_t n);

 private:
  uint64_t s_[4];
};

struct SimWorld;  // the world's shared state: file system, pipes, network, waits, images

// The simulated host is the host core (threads, sync, processes, handles, pipes) plus what
// it owns: the overlay file tree, the virtual clock, seeded randomness and the loopback
// network.
class SimHost : public CoreHost {
 public:
  explicit SimHost(SimConfig config);
  ~SimHost() override;
  // SimHosts constructed in this process so far (tests prove a launch built none).
  static uint64_t constructed();
  std::string_view name() const override { return "sim"; }
  uint64_t cycle_counter(const CallContext& cx) override { return VirtualClock::tsc_at(cx.tick); }

  // Time and randomness.
  dk_status_t DkSystemTimeQuery(CallContext& cx, Call& call) override;
  dk_status_t DkRandomBitsRead(CallContext& cx, Call& call) override;

 protected:
  // file: and package: images from the trees, self: from the process table.
  dk_status_t child_image(CallContext& cx, const std::string& uri, ChildSpec& spec) override;
  // Streams by URI: the policy's yes or no, the run's Console for dev:console, the
  // overlay's trees for paths, the loopback network for sockets.
  dk_status_t resolve(CallContext& cx, NamespaceOp op, const Uri& uri, Access access,
                      Resolved& out) override;
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
  // Streams and mappings on the overlay's file nodes.
  dk_status_t delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) override;
  bool mappable(const HostStream& s) const override;
  dk_status_t read_mapped(CallContext& cx, HostStream& s, uint64_t offset, uint64_t pages,
                          std::vector<uint8_t>& data) override;
  bool mapped_length(const StreamMapping& m, uint64_t& length) override;
  void store_mapped(const StreamMapping& m, const std::vector<uint8_t>& bytes) override;
  bool same_file(const HostStream& mapped, const HostStream& s) const override;

 private:
  dk_status_t check_policy(const CallContext& cx, NamespaceOp op, const Uri& uri,
                           Access access) const;

  SimConfig config_;
  std::shared_ptr<const Policy> policy_;
  SeededRandom random_;
  std::unique_ptr<SimWorld> world_;
};

}  // namespace dk
