// A picoprocess's guest memory: page-granular regions with Dk protections, backed by host
// buffers the address space owns and mapped into a borrowed engine with uc_mem_map_ptr, so
// downcall arguments are copied directly. Implements GuestMemory (checked accessors) and the
// semantics of DkVirtualMemoryAllocate/Free/Protect. Errors are dk_status_t values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/guest_memory.h"

struct uc_struct;

namespace dk {

class AddressSpace final : public GuestMemory {
 public:
  // Host-picked ranges are placed top-down from here, first fit: deterministic.
  static constexpr uint64_t kPickTop = 0x7fff00000000ull;

  AddressSpace();
  ~AddressSpace() override;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // GuestMemory.
  bool check(uint64_t addr, uint64_t len, uint32_t access) const override;
  bool read(uint64_t addr, void* dst, uint64_t len) const override;
  bool write(uint64_t addr, const void* src, uint64_t len) override;
  dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const override;

  // Calls 1-3 (ABI.md section 3).
  dk_status_t allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot);
  dk_status_t free(uint64_t addr, uint64_t size);
  dk_status_t protect(uint64_t addr, uint64_t size, uint32_t prot);
  uint64_t committed_bytes() const { return committed_; }

  // Each committed region is one Unicorn memory mapping, and Unicorn aborts the process past
  // about 4,000 of them. A commit that would leave more than `commits` committed regions gets
  // NOMEM; a protection that would split a region past `splits` gets INVAL (the headroom
  // commits leave to protections and guard pages). Regions that agree again merge back.
  static constexpr size_t kMaxCommitRegions = 1024, kMaxSplitRegions = 3000;
  void set_region_limits(size_t commits, size_t splits) {
    max_commit_regions_ = commits;
    max_split_regions_ = splits;
  }

  // Reads committed bytes whatever their protection (disassembly, code scans, loaders).
  bool peek(uint64_t addr, void* dst, uint64_t len) const;
  // Writes committed bytes whatever their protection (the loader and the host's own pages).
  bool poke(uint64_t addr, const void* src, uint64_t len);
  // Dk protection of the committed page holding addr (may include GUARD); -1 if none.
  int64_t prot_at(uint64_t addr) const;
  // The guest touched a guard page: drop its GUARD bit. False if addr is not on one.
  bool take_guard(uint64_t addr);

  // Host memory behind committed pages (address_space.cc).
  struct Backing;
  // Read-only pages every picoprocess of one image maps from one host copy: `size` bytes
  // (a page multiple), zero but for `n` bytes of `bytes` copied at `offset`. nullptr when
  // the host has no memory for them.
  static std::shared_ptr<Backing> shared_pages(const uint8_t* bytes, uint64_t offset, uint64_t n,
                                               uint64_t size);
  // Commits [addr, addr+size) on `pages` (from shared_pages, at least `size` long) with
  // `prot`, which must not hold WRITE or GUARD; otherwise as allocate(COMMIT) at addr. Such a
  // region is never written through: given WRITE by protect(), or poked, it first becomes
  // private (a copy), so its neighbours never see the store.
  dk_status_t commit_shared(uint64_t addr, uint64_t size, uint32_t prot,
                            std::shared_ptr<Backing> pages);
  // Committed bytes on shared pages (part of committed_bytes()); the memory quota charges
  // the others only (Picoprocess::committed_bytes).
  uint64_t shared_bytes() const { return shared_; }

  // Shared regions an engine keeps mapped after their picoprocess left it: Unicorn drops a
  // region's translated code when the region is unmapped, so the next picoprocess of the
  // same image that the engine serves finds its code translated already.
  struct Resident {
    uint64_t start, end;
    uint32_t prot;
    uint8_t* host;
    std::shared_ptr<Backing> backing;  // keeps the pages alive while Unicorn maps them
  };
  using Residents = std::vector<Resident>;

  // Mirrors every committed region into `uc` (nullptr detaches). The engine is borrowed.
  // With `residents` (the engine's list), shared regions stay mapped in the engine when
  // this address space leaves it, and the ones it finds there that it holds too (same
  // range, pages and protection) are kept as they are; the others are unmapped.
  void attach(uc_struct* uc, Residents* residents = nullptr);
  // Called with [addr, addr+len) whenever code there may have changed or moved.
  void set_code_listener(std::function<void(uint64_t, uint64_t)> fn) { code_changed_ = std::move(fn); }

  struct RegionInfo {
    uint64_t start, end;
    bool committed;
    uint32_t prot;
  };
  // Every region in address order (reports, snapshots, tests).
  std::vector<RegionInfo> regions() const;

 private:
  struct Region {
    uint64_t end = 0;
    bool committed = false;
    uint32_t prot = 0;  // DK_PROT_*, GUARD included
    bool shared = false;      // on shared_pages: never written through
    std::shared_ptr<Backing> backing;
    uint8_t* host = nullptr;  // host address of the region's first byte (committed only)
  };
  using Map = std::map<uint64_t, Region>;

  // The region containing addr, or end(). The last region found is tried first, inline.
  Map::const_iterator find(uint64_t addr) const {
    if (hint_ != map_.end() && addr >= hint_->first && addr < hint_->second.end) return hint_;
    return find_slow(addr);
  }
  Map::const_iterator find_slow(uint64_t addr) const;
  // The region containing addr, else the first one above it: the first region that a range
  // starting at addr touches.
  Map::const_iterator first_touching(uint64_t addr) const {
    const auto it = find(addr);
    return it != map_.end() ? it : map_.lower_bound(addr);
  }
  // The committed region found last when it holds all of [addr, addr+len) with `access` and
  // no guard bit (host: the host address of addr); nullptr otherwise.
  const Region* one_region(uint64_t addr, uint64_t len, uint32_t access, uint8_t*& host) const;
  // `exec`, when given, is set when any region the range touches is executable.
  bool copy(uint64_t addr, uint64_t len, uint32_t access, bool guard_ok, uint8_t* in,
            const uint8_t* out, bool* exec = nullptr) const;
  void split_at(uint64_t addr);
  // Unmaps from the engine every committed region touching [lo, hi); returns the extent.
  void engine_unmap(uint64_t& lo, uint64_t& hi);
  void engine_map(uint64_t lo, uint64_t hi);
  void erase_range(uint64_t lo, uint64_t hi);
  size_t committed_regions() const;
  void coalesce(uint64_t lo, uint64_t hi);
  bool pick(uint64_t size, uint64_t& addr) const;
  void notify_code(uint64_t lo, uint64_t hi);
  // NOMEM when committing `len` more bytes would pass the byte or region bounds.
  dk_status_t commit_room(uint64_t len) const;
  void place_committed(uint64_t lo, uint64_t hi, uint32_t prot, std::shared_ptr<Backing> backing,
                       bool shared);
  // Gives a shared region its own copy of its pages (the engine has it unmapped).
  bool privatize(Region& r, uint64_t start);
  // Privatizes every shared region touching [lo, hi); false when the host has no memory.
  bool privatize_range(uint64_t lo, uint64_t hi);

  Map map_;
  // The region find() returned last: a downcall's pointers usually land in one region. Only
  // erasing a node can invalidate it (splits and in-place changes keep the node).
  mutable Map::const_iterator hint_ = map_.end();
  uint64_t committed_ = 0;
  uint64_t shared_ = 0;  // of committed_, on shared pages
  size_t max_commit_regions_ = kMaxCommitRegions, max_split_regions_ = kMaxSplitRegions;
  uc_struct* uc_ = nullptr;
  Residents* residents_ = nullptr;  // the attached engine's list, if it keeps one
  std::function<void(uint64_t, uint64_t)> code_changed_;
};

}  // namespace dk
