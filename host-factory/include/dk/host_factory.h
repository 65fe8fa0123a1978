// The host factory: one function builds the host of a run from a launch description (which
// host, which namespace and files, limits, console). `dk run`, the conformance suite, the
// escape corpus, the benchmarks and the tests all build hosts here, so no launcher assembles
// a SimConfig or NativeConfig by hand, and a native run builds no simulated host.
// Harness-side: throws std::invalid_argument for a bad mapping (as Namespace::add).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dk/console.h"
#include "dk/core/core_host.h"
#include "dk/core/quota_enforcer.h"
#include "dk/monitor/launch.h"
#include "dk/monitor/policy.h"
#include "dk/native_host.h"
#include "dk/sim_host.h"

namespace dk {

enum class HostKind { Sim, Native };
std::string_view host_kind_name(HostKind k);  // "sim", "native"
// "sim" or "native"; false for anything else.
bool parse_host_kind(std::string_view name, HostKind& out);

// A launch description: everything a launcher decides about the host of a run.
struct HostLaunch {
  HostKind kind = HostKind::Sim;
  // A package's launch as the monitor prepared it: its namespace and its file union (the
  // app's and its dependencies' files). Null: a bare image, under the default namespace
  // (dk/monitor/policy.h) with file:/ over `root`: writable on the simulated host, whose
  // overlay keeps writes in memory; read-only on the native host, whose files are real.
  const PackageLaunch* package = nullptr;
  std::string root;               // "" : an empty file system
  // A namespace of the launcher's own, in place of the package's or the default one (a
  // test's folders and names); `mappings` and `narrow` still apply on top of it.
  std::optional<Namespace> ns{};
  std::vector<Mapping> mappings;  // added to the namespace (host folders at virtual paths)
  PolicyCheck narrow{};           // a launcher's extra refusals, after the namespace grants
  Limits limits{};                // of every picoprocess, charged by `quotas`; Limits{}: none
  uint64_t seed = 0;              // the simulated host's random bits
  // dev:console. Null: the simulated host drops output and reads nothing; the native host
  // uses dk's own stdio.
  Console* console = nullptr;
  // The native host only: console input stays dk's own stdin (polled) while `console` takes
  // the output (`dk run --json --host native`).
  bool native_stdin = false;
  std::string* debug_log = nullptr;  // DkDebugOutput lands here when set
  // The first picoprocess's image and name, for self:.
  std::vector<uint8_t> image{};
  std::string name{};
  FaultInjector inject{};  // the native host's error injection (tests)
};

// What the factory built: the host, the policy it asks, and the monitor's quotas in front of
// it with the launch's limits. A run serves its calls through serving(), the quota decorator;
// `host` alone is the bare backend (the benchmarks and tests of a host by itself).
struct LaunchedHost {
  HostKind kind = HostKind::Sim;
  std::shared_ptr<const Policy> policy;
  std::unique_ptr<CoreHost> host;
  std::unique_ptr<QuotaEnforcer> quotas;  // declared after `host`: destroyed first
  Host& serving() const { return *quotas; }
  CoreHost& operator*() const { return *host; }
  CoreHost* operator->() const { return host.get(); }
};

// The policy a launch runs under: `ns`, else the package's namespace, else the default one for
// `kind`; plus `mappings`, narrowed by `narrow`.
std::shared_ptr<const Policy> launch_policy(const HostLaunch& launch);

// Builds the host `launch.kind` names, and no other.
LaunchedHost make_host(const HostLaunch& launch);

// The launch `dk run` makes: a package with its limits, image and name...
HostLaunch package_host_launch(HostKind kind, const PackageLaunch& package);
// ...or a bare image with the default limits (default_limits()).
HostLaunch image_host_launch(HostKind kind, const std::string& root, std::vector<uint8_t> image,
                             std::string name);

}  // namespace dk
