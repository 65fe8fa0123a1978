// The simulated host's world state, its policy, its virtual clock and seeded
// randomness. The calls the host core serves live there; the streams and files of this
// host in one file per subsystem (streams, files, net, map, processes' images).
#include "dk/sim_host.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "sim_world.h"

namespace dk {

SeededRandom::SeededRandom(uint64_t seed) {
  for (auto& s : s_) {  // splitmix64
    seed += 0x9e3779b97f4a7c15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    s = z ^ (z >> 31);
  }
}

uint64_t SeededRandom::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void SeededRandom::fill(uint8_t* out, size_t n) {
  while (n > 0) {
    uint64_t v = next();
    size_t take = n < 8 ? n : 8;
    memcpy(out, &v, take);
    out += take;
    n -= take;
  }
}

namespace {
std::atomic<uint64_t> g_constructed{0};
}  // namespace

SimHost::SimHost(SimConfig config)
    : CoreHost(config.debug_log, {config.image, config.name}),
      config_(std::move(config)),
      random_(config_.seed),
      world_(std::make_unique<SimWorld>()) {
  ++g_constructed;
  policy_ = config_.namespace_policy
                ? config_.namespace_policy
                : std::make_shared<NamespacePolicy>(default_namespace("tmpfs:/", true));
  if (config_.packages) {
    world_->files = std::make_shared<FsTree>(config_.packages);
    world_->package = std::make_shared<FsTree>(config_.packages);
  } else {
    world_->files = std::make_shared<FsTree>(config_.root);
    world_->package = std::make_shared<FsTree>(config_.root);
  }
  // A mapped folder that cannot be opened is not shown (what lies beneath is NOENT).
  for (const auto& [vpath, host_dir] : config_.mounts) world_->files->mount(vpath, host_dir);
}

SimHost::~SimHost() = default;

uint64_t SimHost::constructed() { return g_constructed.load(); }

dk_status_t SimHost::check_policy(const CallContext& cx, NamespaceOp op, const Uri& uri,
                                  Access access) const {
  Resolved out;
  return policy_->resolve(NamespaceRequest{cx.pid, op, &uri, access}, out);
}

dk_status_t SimHost::DkSystemTimeQuery(CallContext& cx, Call& call) {
  // The world clock; a launcher that does not keep one yet still sees the caller's ticks.
  const uint64_t own = cx.tick * VirtualClock::kNsPerTick;
  call.set_out(0, VirtualClock::kEpochNs + std::max(cx.now_ns, own));
  return 0;
}

dk_status_t SimHost::DkRandomBitsRead(CallContext&, Call& call) {
  call.out_bytes.resize(call.room);
  random_.fill(call.out_bytes.data(), call.room);
  return 0;
}

}  // namespace dk
