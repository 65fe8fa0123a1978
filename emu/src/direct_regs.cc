// Finding a vCPU's register words behind Unicorn's API, and checking them (direct_regs.h).
#include "dk/direct_regs.h"

#include <dlfcn.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

namespace dk {
namespace {

constexpr int kUcIds[DirectRegs::kCount] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP,
    UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RIP};

// The probe values share their upper half, so one compare tells a candidate apart.
constexpr uint64_t kTag = 0x6b3dc0deull << 32;
constexpr uint64_t probe_value(int i, uint64_t salt) { return kTag | (salt << 8) | (uint64_t(i) + 1); }

// How far the search looks: the vCPU pointer within the engine's structure, the register
// block pointer within the vCPU object, and the registers within the block.
constexpr size_t kEngineScan = 0x2000;
constexpr size_t kCpuScan = 0x2000;
constexpr size_t kBlockScan = 0x400;

constexpr uint64_t kRfMask = 1ull << 16, kVmMask = 1ull << 17;

struct Layout {
  bool found = false;
  size_t cpu_off = 0;     // the vCPU pointer within the engine's structure
  size_t block_off = 0;   // the register block pointer within the vCPU object
  uint32_t off[DirectRegs::kCount] = {};
  uint32_t eflags_off = 0;
};

std::once_flag g_once;
Layout g_layout;

struct Range {
  uintptr_t lo, hi;
};

std::vector<Range> readable_ranges() {
  std::vector<Range> out;
  FILE* f = std::fopen("/proc/self/maps", "re");
  if (!f) return out;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    int name_at = 0;
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name_at) < 3) continue;
    if (perms[0] != 'r') continue;
    // Kernel-provided pages may not be readable whatever their flags say.
    if (std::strstr(line + name_at, "[vvar") || std::strstr(line + name_at, "[vsyscall]")) continue;
    out.push_back({lo, hi});
  }
  std::fclose(f);
  std::sort(out.begin(), out.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  return out;
}

const Range* range_of(const std::vector<Range>& rs, uintptr_t p) {
  auto it = std::upper_bound(rs.begin(), rs.end(), p, [](uintptr_t v, const Range& r) { return v < r.lo; });
  if (it == rs.begin()) return nullptr;
  --it;
  return p < it->hi ? &*it : nullptr;
}

// Reads one aligned word the search has checked is mapped readable. It may lie outside any
// object the sanitizers know of (padding, freed or never-used heap), so they do not watch it.
__attribute__((no_sanitize("address", "undefined"))) uint64_t load(uintptr_t p) {
  return *reinterpret_cast<const volatile uint64_t*>(p);
}

bool write_probe(uc_struct* uc, uint64_t salt) {
  for (int i = 0; i < DirectRegs::kCount; ++i) {
    uint64_t v = probe_value(i, salt);
    if (uc_reg_write(uc, kUcIds[i], &v) != UC_ERR_OK) return false;
  }
  return true;
}

// The offsets of every probe value within the block at q, if each is there exactly once.
bool match_block(uintptr_t q, uint64_t salt, uint32_t* off) {
  for (int i = 0; i < DirectRegs::kCount; ++i) {
    int hits = 0;
    for (size_t k = 0; k < kBlockScan; k += 8) {
      if (load(q + k) == probe_value(i, salt)) {
        off[i] = static_cast<uint32_t>(k);
        ++hits;
      }
    }
    if (hits != 1) return false;
  }
  return true;
}

void find_layout(uc_struct* uc) {
  if (!write_probe(uc, 0x5a)) return;
  const std::vector<Range> rs = readable_ranges();
  const uintptr_t base = reinterpret_cast<uintptr_t>(uc);
  const Range* ur = range_of(rs, base);
  if (!ur) return;
  for (size_t o = 0; o < kEngineScan && base + o + 8 <= ur->hi; o += 8) {
    const uintptr_t p = load(base + o);
    const Range* pr = p % 8 == 0 ? range_of(rs, p) : nullptr;
    if (!pr) continue;
    for (size_t j = 0; j < kCpuScan && p + j + 8 <= pr->hi; j += 8) {
      const uintptr_t q = load(p + j);
      // The register block lies inside the vCPU object, after the pointer to it.
      if (q <= p + j || q % 8 != 0 || q >= pr->hi || pr->hi - q < kBlockScan) continue;
      if ((load(q) >> 32) != (kTag >> 32)) continue;
      Layout l;
      if (!match_block(q, 0x5a, l.off)) continue;
      l.cpu_off = o;
      l.block_off = j;
      l.found = true;
      g_layout = l;
      return;
    }
  }
}

uintptr_t block_of(uc_struct* uc, const Layout& l) {
  const uintptr_t cpu = load(reinterpret_cast<uintptr_t>(uc) + l.cpu_off);
  return cpu ? load(cpu + l.block_off) : 0;
}

uint64_t api_read(uc_struct* uc, int id) {
  uint64_t v = 0;
  uc_reg_read(uc, id, &v);
  return v;
}

}  // namespace

bool DirectRegs::attach(uc_struct* uc) {
  env_ = nullptr;
  uc_context* saved = nullptr;
  if (uc_context_alloc(uc, &saved) != UC_ERR_OK) return false;
  uc_context_save(uc, saved);
  bool good = false;
  std::call_once(g_once, [&] { find_layout(uc); });
  const Layout l = g_layout;
  auto* reader = reinterpret_cast<uint64_t (*)(void*)>(dlsym(RTLD_DEFAULT, "helper_read_eflags_x86_64"));
  const uintptr_t q = l.found && reader ? block_of(uc, l) : 0;
  if (q != 0) {
    good = true;
    uint8_t* env = reinterpret_cast<uint8_t*>(q);
    // Through the API, then in place; in place, then through the API.
    good = write_probe(uc, 0xa5);
    for (int i = 0; good && i < kCount; ++i) {
      uint64_t v;
      std::memcpy(&v, env + l.off[i], 8);
      good = v == probe_value(i, 0xa5);
    }
    for (int i = 0; good && i < kCount; ++i) {
      const uint64_t v = probe_value(i, 0x3c);
      std::memcpy(env + l.off[i], &v, 8);
    }
    for (int i = 0; good && i < kCount; ++i) good = api_read(uc, kUcIds[i]) == probe_value(i, 0x3c);
    // rflags: the word that holds RF is found by writing it both ways.
    uint32_t eflags_off = 0;
    if (good) {
      uint64_t plain = 0x202, rf = 0x202 | kRfMask;
      std::vector<uint64_t> before(kBlockScan / 8), after(kBlockScan / 8);
      uc_reg_write(uc, UC_X86_REG_EFLAGS, &plain);
      for (size_t k = 0; k < kBlockScan; k += 8) before[k / 8] = load(q + k);
      uc_reg_write(uc, UC_X86_REG_EFLAGS, &rf);
      for (size_t k = 0; k < kBlockScan; k += 8) after[k / 8] = load(q + k);
      int hits = 0;
      for (size_t k = 0; k < kBlockScan; k += 8) {
        if ((before[k / 8] & kRfMask) == 0 && (after[k / 8] & kRfMask) != 0 &&
            (before[k / 8] ^ after[k / 8]) == kRfMask) {
          eflags_off = static_cast<uint32_t>(k);
          ++hits;
        }
      }
      good = hits == 1;
    }
    if (good) {
      env_ = env;
      std::memcpy(off_, l.off, sizeof off_);
      eflags_off_ = eflags_off;
      read_eflags_ = reader;
      // Every flag the API reads, lazily kept or not, must come out the same.
      const uint64_t samples[] = {0x202, 0x202 | 0x8d5, 0x202 | 0x400 | 0x40000, 0x2 | kRfMask | 0x41};
      for (uint64_t s : samples) {
        uc_reg_write(uc, UC_X86_REG_EFLAGS, &s);
        if (rflags() != api_read(uc, UC_X86_REG_EFLAGS)) good = false;
      }
      if (!good) env_ = nullptr;
    }
  }
  uc_context_restore(uc, saved);
  uc_context_free(saved);
  return good;
}

uint64_t DirectRegs::rflags() const {
  uint64_t word;
  std::memcpy(&word, env_ + eflags_off_, 8);
  return read_eflags_(env_) | (word & (kRfMask | kVmMask));
}

}  // namespace dk
