// Starting a native-runtime child: the staging area (the shim, its boot description and the
// guest's initial memory, in one mapping of this process), the fork into fresh namespaces,
// the child's own set-up up to the shim's first stage, and the parent's side (identity maps,
// the go signal). Harness-side; errors are SpawnError.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/native_runtime.h"
#include "dk/runtime/protocol.h"

namespace dk::rt {

class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The shim blob embedded in dk, and its header.
const uint8_t* shim_blob();
size_t shim_blob_size();
const dkrt_shim_header& shim_header();

// One region of the guest's initial memory.
struct InitialRegion {
  uint64_t addr = 0, len = 0;  // page-aligned
  uint32_t prot = 0;           // PROT_*
  std::vector<uint8_t> bytes;  // at most len; the rest is zero
};

struct SpawnPlan {
  std::vector<InitialRegion> regions;
  uint64_t entry_rip = 0, entry_rdi = 0, entry_rsp = 0;
  uint32_t nslots = DKRT_MAX_THREADS;
  bool namespaces = true;
  uint64_t memory_limit = 0;  // RLIMIT_AS headroom over it; 0: none
};

struct Spawned {
  pid_t pid = -1;        // in this process's PID namespace
  int channel = -1;      // this end of the channel (SOCK_SEQPACKET)
  dkrt_slot* slots = nullptr;  // this process's mapping of the reply slots
  size_t slots_len = 0;
  SandboxLayers layers;
};

// Forks the child and lets it go; the child lays itself out and enters the guest. Throws
// SpawnError when no child could be started.
Spawned spawn_child(const SpawnPlan& plan);

// True when this kernel takes SECCOMP_FILTER_FLAG_SPEC_ALLOW.
bool spec_allow_supported();

}  // namespace dk::rt
