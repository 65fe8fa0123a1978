// A GuestMemory for fuzzing the dispatcher: a few regions with different permissions, holes
// between them, one region ending mid-page and one at the top of the user range. It checks
// every access itself, records every write, and remembers any write it had to refuse.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "dk/guest_memory.h"

namespace dk::fuzz {

struct Region {
  uint64_t base;
  uint64_t size;
  uint32_t prot;
  std::vector<uint8_t> bytes;
};

struct WriteRecord {
  uint64_t addr;
  std::vector<uint8_t> bytes;
};

class FakeGuestMemory : public GuestMemory {
 public:
  FakeGuestMemory() {
    add(0x10000, 0x1000, DK_PROT_READ | DK_PROT_WRITE);  // RW, then R right after it
    add(0x11000, 0x1000, DK_PROT_READ);
    add(0x13000, 0x800, DK_PROT_WRITE);                  // hole before; write-only
    add(0x20000, 0x100, DK_PROT_READ | DK_PROT_WRITE);   // ends mid-page
    add(DK_USER_HIGH - 0x1000, 0x1000, DK_PROT_READ | DK_PROT_WRITE);  // top of user range
  }

  std::vector<Region>& regions() { return regions_; }
  const std::vector<Region>& regions() const { return regions_; }

  bool check(uint64_t addr, uint64_t len, uint32_t access) const override {
    if (len == 0) return true;
    if (addr + len < addr || addr < DK_USER_LOW || addr + len > DK_USER_HIGH) return false;
    uint64_t at = addr;
    const uint64_t end = addr + len;
    while (at < end) {
      const Region* r = find(at);
      if (!r || (r->prot & access) != access) return false;
      at = r->base + r->size;
    }
    return true;
  }

  bool read(uint64_t addr, void* dst, uint64_t len) const override {
    if (!check(addr, len, DK_PROT_READ)) return false;
    copy_out(addr, static_cast<uint8_t*>(dst), len);
    return true;
  }

  bool write(uint64_t addr, const void* src, uint64_t len) override {
    if (!check(addr, len, DK_PROT_WRITE)) {
      ++refused_writes;
      return false;
    }
    const auto* s = static_cast<const uint8_t*>(src);
    writes.push_back({addr, std::vector<uint8_t>(s, s + len)});
    for (uint64_t i = 0; i < len; ++i) {
      Region* r = const_cast<Region*>(find(addr + i));
      r->bytes[addr + i - r->base] = s[i];
    }
    return true;
  }

  dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const override {
    out.clear();
    for (uint64_t i = 0; i <= max; ++i) {
      uint8_t c;
      if (addr + i < addr || !read(addr + i, &c, 1)) return -DK_E_FAULT;
      if (c == 0) return 0;
      out.push_back(static_cast<char>(c));
    }
    return -DK_E_NAMETOOLONG;
  }

  // Reads without any permission check (the fuzzer's own view of memory). False if unmapped.
  bool peek(uint64_t addr, void* dst, uint64_t len) const {
    for (uint64_t i = 0; i < len; ++i)
      if (addr + i < addr || !find(addr + i)) return false;
    copy_out(addr, static_cast<uint8_t*>(dst), len);
    return true;
  }

  std::vector<WriteRecord> writes;
  int refused_writes = 0;

 private:
  void add(uint64_t base, uint64_t size, uint32_t prot) {
    regions_.push_back({base, size, prot, std::vector<uint8_t>(size, 0)});
  }
  const Region* find(uint64_t addr) const {
    for (const Region& r : regions_)
      if (addr >= r.base && addr - r.base < r.size) return &r;
    return nullptr;
  }
  void copy_out(uint64_t addr, uint8_t* dst, uint64_t len) const {
    for (uint64_t i = 0; i < len; ++i) {
      const Region* r = find(addr + i);
      dst[i] = r->bytes[addr + i - r->base];
    }
  }

  std::vector<Region> regions_;
};

}  // namespace dk::fuzz
