// Guest memory regions, their protections and their engine mappings (calls 1-3).
#include "dk/address_space.h"

#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace dk {
namespace {

constexpr uint64_t kPage = DK_PAGE_SIZE;
// Committed memory one picoprocess may hold, whatever its manifest says: backing and engine
// mappings are real host resources (mapping 64 TiB into Unicorn does not finish).
constexpr uint64_t kMaxCommitted = 4ull << 30;

constexpr uint32_t kProtAll = DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC | DK_PROT_GUARD;

bool aligned(uint64_t v) { return (v & (kPage - 1)) == 0; }

// Rounds size up to pages; false on overflow or when [addr, addr+size) leaves the user range.
bool user_range(uint64_t addr, uint64_t size, uint64_t& rounded) {
  if (size == 0 || size > DK_USER_HIGH) return false;
  rounded = (size + kPage - 1) & ~(kPage - 1);
  return addr >= DK_USER_LOW && addr < DK_USER_HIGH && rounded <= DK_USER_HIGH - addr;
}

uint32_t uc_prot(uint32_t prot) {
  if (prot & DK_PROT_GUARD) return UC_PROT_NONE;
  uint32_t p = UC_PROT_NONE;
  if (prot & DK_PROT_READ) p |= UC_PROT_READ;
  if (prot & DK_PROT_WRITE) p |= UC_PROT_WRITE;
  if (prot & DK_PROT_EXEC) p |= UC_PROT_EXEC;
  return p;
}

// Host memory given back by picoprocesses, kept for the next commit of the same size: a
// picoprocess's stack, boot page and data come and go with it, and unmapping them costs a
// TLB shootdown on every CPU the process ran on, mapping them again a fault per page. Only
// blocks up to kPoolEach, at most kPoolAll in all; a block is cleared when it comes back, so
// a commit always sees zeros, whoever had the block before (see clear()).
class BackingPool {
 public:
  static constexpr uint64_t kPoolEach = 1ull << 20, kPoolAll = 64ull << 20;
  static BackingPool& get() {
    static BackingPool* pool = new BackingPool;  // never destroyed: backings outlive statics
    return *pool;
  }
  uint8_t* take(uint64_t n) {
    if (n > kPoolEach) return nullptr;
    std::lock_guard<std::mutex> l(m_);
    const auto it = free_.find(n);
    if (it == free_.end()) return nullptr;
    uint8_t* p = it->second;
    free_.erase(it);
    held_ -= n;
    return p;
  }
  bool give(uint8_t* p, uint64_t n) {
    if (n > kPoolEach) return false;
    std::lock_guard<std::mutex> l(m_);
    if (held_ + n > kPoolAll) return false;
    if (!clear(p, n)) return false;
    free_.emplace(n, p);
    held_ += n;
    return true;
  }

 private:
  // Zeroes [p, p+n) without making more of it resident: pages in memory are cleared in
  // place, so the next owner finds them without a fault; the rest (never touched, or
  // swapped out) are dropped, so they read as zeros again. A memset of the whole block
  // would make every page of it resident, which idle picoprocesses pay for.
  static bool clear(uint8_t* p, uint64_t n) {
    const uint64_t pages = n / kPage;
    if (pages == 1) {  // a boot page: always written, so always resident
      std::memset(p, 0, n);
      return true;
    }
    unsigned char in_core[kPoolEach / kPage];
    if (mincore(p, n, in_core) != 0) return false;
    for (uint64_t i = 0; i < pages;) {
      uint64_t j = i + 1;
      const bool resident = in_core[i] & 1;
      while (j < pages && (in_core[j] & 1) == resident) ++j;
      if (resident) {
        std::memset(p + i * kPage, 0, (j - i) * kPage);
      } else if (madvise(p + i * kPage, (j - i) * kPage, MADV_DONTNEED) != 0) {
        return false;
      }
      i = j;
    }
    return true;
  }

  std::mutex m_;
  std::multimap<uint64_t, uint8_t*> free_;
  uint64_t held_ = 0;
};

}  // namespace

// Host memory behind committed pages: anonymous, zero-filled, released (to the pool, or
// unmapped) when the last region (or engine, AddressSpace::Resident) using it goes.
struct AddressSpace::Backing {
  uint8_t* base = nullptr;
  uint64_t size = 0;
  explicit Backing(uint64_t n) : size(n) {
    base = BackingPool::get().take(n);
    if (base) return;
    void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p != MAP_FAILED) base = static_cast<uint8_t*>(p);
  }
  ~Backing() {
    if (base && !BackingPool::get().give(base, size)) munmap(base, size);
  }
};

std::shared_ptr<AddressSpace::Backing> AddressSpace::shared_pages(const uint8_t* bytes,
                                                                   uint64_t offset, uint64_t n,
                                                                   uint64_t size) {
  if (size == 0 || !aligned(size) || offset > size || n > size - offset) return nullptr;
  auto b = std::make_shared<Backing>(size);
  if (!b->base) return nullptr;
  if (n) std::memcpy(b->base + offset, bytes, n);
  return b;
}

AddressSpace::AddressSpace() = default;

AddressSpace::~AddressSpace() { attach(nullptr); }

AddressSpace::Map::const_iterator AddressSpace::find_slow(uint64_t addr) const {
  auto it = map_.upper_bound(addr);
  if (it == map_.begin()) return map_.end();
  --it;
  if (addr >= it->second.end) return map_.end();
  hint_ = it;
  return it;
}

// One walk for check/read/write/peek/poke: every byte must be in committed regions with
// `access`; guard pages fail unless guard_ok. Copies only after the whole range passed.
bool AddressSpace::copy(uint64_t addr, uint64_t len, uint32_t access, bool guard_ok, uint8_t* in,
                        const uint8_t* out, bool* exec) const {
  if (len == 0) return true;
  if (addr < DK_USER_LOW || addr >= DK_USER_HIGH || len > DK_USER_HIGH - addr) return false;
  auto first = find(addr);
  if (first == map_.end()) return false;
  // Fast path: the whole range inside one region.
  const Region& r0 = first->second;
  if (addr + len <= r0.end) {
    if (!r0.committed || (r0.prot & access) != access) return false;
    if ((r0.prot & DK_PROT_GUARD) && !guard_ok) return false;
    uint8_t* host = r0.host + (addr - first->first);
    if (in) std::memcpy(in, host, len);
    if (out) std::memcpy(host, out, len);
    if (exec) *exec = (r0.prot & DK_PROT_EXEC) != 0;
    return true;
  }
  uint64_t a = addr, end = addr + len;
  for (auto it = first; a < end; ++it) {
    if (it == map_.end() || (it != first && it->first != a)) return false;
    const Region& r = it->second;
    if (!r.committed || (r.prot & access) != access) return false;
    if ((r.prot & DK_PROT_GUARD) && !guard_ok) return false;
    if (exec && (r.prot & DK_PROT_EXEC)) *exec = true;
    a = r.end;
  }
  a = addr;
  for (auto it = first; a < end; ++it) {
    uint64_t n = std::min(end, it->second.end) - a;
    uint8_t* host = it->second.host + (a - it->first);
    if (in) std::memcpy(in + (a - addr), host, n);
    if (out) std::memcpy(host, out + (a - addr), n);
    a += n;
  }
  return true;
}

// The case almost every downcall argument is: the whole range in the region found last,
// committed, with the access and no guard bit. Anything else goes to copy(), which decides.
const AddressSpace::Region* AddressSpace::one_region(uint64_t addr, uint64_t len,
                                                     uint32_t access, uint8_t*& host) const {
  if (hint_ == map_.end() || addr < hint_->first || addr >= hint_->second.end ||
      len > hint_->second.end - addr)
    return nullptr;
  const Region& r = hint_->second;
  if (!r.committed || (r.prot & access) != access || (r.prot & DK_PROT_GUARD)) return nullptr;
  host = r.host + (addr - hint_->first);
  return &r;
}

bool AddressSpace::check(uint64_t addr, uint64_t len, uint32_t access) const {
  access &= DK_PROT_READ | DK_PROT_WRITE;
  uint8_t* host = nullptr;
  if (len != 0 && one_region(addr, len, access, host)) return true;
  return copy(addr, len, access, false, nullptr, nullptr);
}

bool AddressSpace::read(uint64_t addr, void* dst, uint64_t len) const {
  uint8_t* host = nullptr;
  if (len != 0 && one_region(addr, len, DK_PROT_READ, host)) {
    std::memcpy(dst, host, len);
    return true;
  }
  return copy(addr, len, DK_PROT_READ, false, static_cast<uint8_t*>(dst), nullptr);
}

bool AddressSpace::write(uint64_t addr, const void* src, uint64_t len) {
  uint8_t* host = nullptr;
  if (len != 0) {
    if (const Region* r = one_region(addr, len, DK_PROT_WRITE, host)) {
      std::memcpy(host, src, len);
      if ((r->prot & DK_PROT_EXEC) && code_changed_) code_changed_(addr, len);
      return true;
    }
  }
  bool exec = false;
  if (!copy(addr, len, DK_PROT_WRITE, false, nullptr, static_cast<const uint8_t*>(src), &exec))
    return false;
  // A host copy-out into code takes effect at once (ABI.md section 1).
  if (exec && code_changed_) code_changed_(addr, len);
  return true;
}

bool AddressSpace::peek(uint64_t addr, void* dst, uint64_t len) const {
  return copy(addr, len, 0, true, static_cast<uint8_t*>(dst), nullptr);
}

bool AddressSpace::poke(uint64_t addr, const void* src, uint64_t len) {
  if (len != 0 && addr < DK_USER_HIGH && len <= DK_USER_HIGH - addr &&
      !privatize_range(addr, addr + len))
    return false;
  if (!copy(addr, len, 0, true, nullptr, static_cast<const uint8_t*>(src))) return false;
  if (code_changed_ && len != 0) code_changed_(addr, len);
  return true;
}

dk_status_t AddressSpace::read_cstr(uint64_t addr, uint64_t max, std::string& out) const {
  out.clear();
  uint64_t limit = max + 1;  // bytes we may look at, NUL included
  uint64_t a = addr;
  while (limit > 0) {
    if (a < DK_USER_LOW || a >= DK_USER_HIGH) return -DK_E_FAULT;
    auto it = find(a);
    if (it == map_.end()) return -DK_E_FAULT;
    const Region& r = it->second;
    if (!r.committed || !(r.prot & DK_PROT_READ) || (r.prot & DK_PROT_GUARD)) return -DK_E_FAULT;
    uint64_t n = std::min(limit, r.end - a);
    const uint8_t* p = r.host + (a - it->first);
    const void* nul = std::memchr(p, 0, n);
    if (nul) {
      out.append(reinterpret_cast<const char*>(p), static_cast<const uint8_t*>(nul) - p);
      return 0;
    }
    out.append(reinterpret_cast<const char*>(p), n);
    a += n;
    limit -= n;
  }
  out.clear();
  return -DK_E_NAMETOOLONG;
}

int64_t AddressSpace::prot_at(uint64_t addr) const {
  auto it = find(addr);
  if (it == map_.end() || !it->second.committed) return -1;
  return it->second.prot;
}

std::vector<AddressSpace::RegionInfo> AddressSpace::regions() const {
  std::vector<RegionInfo> out;
  for (auto& [start, r] : map_) out.push_back({start, r.end, r.committed, r.prot});
  return out;
}

// ---- structure changes ----

void AddressSpace::split_at(uint64_t addr) {
  auto it = map_.upper_bound(addr);
  if (it == map_.begin()) return;
  --it;
  if (addr >= it->second.end || it->first == addr) return;
  Region tail = it->second;
  if (tail.committed) tail.host = it->second.host + (addr - it->first);
  it->second.end = addr;
  map_.emplace(addr, std::move(tail));
}

void AddressSpace::engine_unmap(uint64_t& lo, uint64_t& hi) {
  auto a = find(lo);
  if (a != map_.end()) lo = a->first;
  if (hi > 0) {
    auto b = find(hi - 1);
    if (b != map_.end()) hi = b->second.end;
  }
  if (!uc_) return;
  for (auto it = map_.lower_bound(lo); it != map_.end() && it->first < hi; ++it)
    if (it->second.committed) uc_mem_unmap(uc_, it->first, it->second.end - it->first);
}

void AddressSpace::engine_map(uint64_t lo, uint64_t hi) {
  if (!uc_) return;
  for (auto it = map_.lower_bound(lo); it != map_.end() && it->first < hi; ++it)
    if (it->second.committed)
      uc_mem_map_ptr(uc_, it->first, it->second.end - it->first, uc_prot(it->second.prot),
                     it->second.host);
}

void AddressSpace::notify_code(uint64_t lo, uint64_t hi) {
  if (code_changed_ && hi > lo) code_changed_(lo, hi - lo);
}

// Removes [lo, hi) from the map (bookkeeping only; callers sync the engine).
void AddressSpace::erase_range(uint64_t lo, uint64_t hi) {
  split_at(lo);
  split_at(hi);
  for (auto it = map_.lower_bound(lo); it != map_.end() && it->first < hi;) {
    Region& r = it->second;
    if (r.committed) {
      committed_ -= r.end - it->first;
      if (r.shared) shared_ -= r.end - it->first;
      // Give the pages back now; the backing may live on under other regions. Shared pages
      // are other picoprocesses' too: only dropping the reference gives them back.
      if (!r.shared) madvise(r.host, r.end - it->first, MADV_DONTNEED);
    }
    it = map_.erase(it);
  }
  hint_ = map_.end();
}

bool AddressSpace::pick(uint64_t size, uint64_t& addr) const {
  // Highest gap below kPickTop that fits, walking regions downward.
  uint64_t top = kPickTop;
  for (auto it = map_.rbegin(); it != map_.rend(); ++it) {
    if (it->first >= top) continue;
    if (it->second.end < top && top - it->second.end >= size) {
      addr = top - size;
      return true;
    }
    top = it->first;
  }
  if (top >= DK_USER_LOW && top - DK_USER_LOW >= size) {
    addr = top - size;
    return true;
  }
  return false;
}

dk_status_t AddressSpace::allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) {
  if (alloc & ~(DK_ALLOC_RESERVE | DK_ALLOC_COMMIT | DK_ALLOC_REPLACE)) return -DK_E_INVAL;
  if (!(alloc & (DK_ALLOC_RESERVE | DK_ALLOC_COMMIT))) return -DK_E_INVAL;
  if (prot & ~kProtAll) return -DK_E_INVAL;
  if (size == 0 || size > DK_USER_HIGH - DK_USER_LOW) return -DK_E_INVAL;
  const uint64_t len = (size + kPage - 1) & ~(kPage - 1);
  const bool commit = alloc & DK_ALLOC_COMMIT;

  if (addr == 0) {
    uint64_t at = 0;
    if (!pick(len, at)) return -DK_E_NOMEM;
    addr = at;
  } else {
    uint64_t rounded = 0;
    if (!aligned(addr) || !user_range(addr, len, rounded)) return -DK_E_INVAL;
    if (!(alloc & DK_ALLOC_REPLACE)) {
      // COMMIT may land on pages this picoprocess reserved; anything else overlapping: EXIST.
      for (auto it = first_touching(addr); it != map_.end() && it->first < addr + len; ++it)
        if (!commit || it->second.committed) return -DK_E_EXIST;
    }
  }
  const uint64_t lo = addr, hi = addr + len;
  if (commit) {
    if (dk_status_t st = commit_room(len)) return st;
    auto probe = std::make_shared<Backing>(len);
    if (!probe->base) return -DK_E_NOMEM;
    place_committed(lo, hi, prot, std::move(probe), false);
  } else {
    uint64_t ulo = lo, uhi = hi;
    engine_unmap(ulo, uhi);
    erase_range(lo, hi);
    Region r;
    r.end = hi;
    map_[lo] = std::move(r);
    engine_map(ulo, uhi);
    notify_code(ulo, uhi);
  }
  return 0;
}

dk_status_t AddressSpace::commit_room(uint64_t len) const {
  if (len > kMaxCommitted || committed_ + len > kMaxCommitted) return -DK_E_NOMEM;
  if (committed_regions() + 3 > max_commit_regions_) return -DK_E_NOMEM;  // + splits
  return 0;
}

// Replaces [lo, hi) with one committed region on `backing` and syncs the engine.
void AddressSpace::place_committed(uint64_t lo, uint64_t hi, uint32_t prot,
                                   std::shared_ptr<Backing> backing, bool shared) {
  uint64_t ulo = lo, uhi = hi;
  engine_unmap(ulo, uhi);
  erase_range(lo, hi);
  Region r;
  r.end = hi;
  r.committed = true;
  r.prot = prot;
  r.shared = shared;
  r.host = backing->base;
  r.backing = std::move(backing);
  map_[lo] = std::move(r);
  committed_ += hi - lo;
  if (shared) shared_ += hi - lo;
  engine_map(ulo, uhi);
  notify_code(ulo, uhi);
}

dk_status_t AddressSpace::commit_shared(uint64_t addr, uint64_t size, uint32_t prot,
                                        std::shared_ptr<Backing> pages) {
  if (prot & (DK_PROT_WRITE | DK_PROT_GUARD) || prot & ~kProtAll) return -DK_E_INVAL;
  uint64_t len = 0;
  if (!aligned(addr) || !user_range(addr, size, len)) return -DK_E_INVAL;
  if (!pages || pages->size < len) return -DK_E_INVAL;
  for (auto it = first_touching(addr); it != map_.end() && it->first < addr + len; ++it)
    if (it->second.committed) return -DK_E_EXIST;
  if (dk_status_t st = commit_room(len)) return st;
  place_committed(addr, addr + len, prot, std::move(pages), true);
  return 0;
}

bool AddressSpace::privatize(Region& r, uint64_t start) {
  const uint64_t n = r.end - start;
  auto own = std::make_shared<Backing>(n);
  if (!own->base) return false;
  std::memcpy(own->base, r.host, n);
  r.host = own->base;
  r.backing = std::move(own);
  r.shared = false;
  shared_ -= n;
  return true;
}

bool AddressSpace::privatize_range(uint64_t lo, uint64_t hi) {
  bool any = false;
  for (auto it = first_touching(lo); it != map_.end() && it->first < hi; ++it)
    any = any || (it->second.committed && it->second.shared);
  if (!any) return true;
  uint64_t ulo = lo, uhi = hi;
  engine_unmap(ulo, uhi);
  bool ok = true;
  for (auto it = map_.lower_bound(ulo); it != map_.end() && it->first < uhi; ++it)
    if (it->second.committed && it->second.shared && ok) ok = privatize(it->second, it->first);
  engine_map(ulo, uhi);
  return ok;
}

dk_status_t AddressSpace::free(uint64_t addr, uint64_t size) {
  uint64_t len = 0;
  if (!aligned(addr) || !user_range(addr, size, len)) return -DK_E_INVAL;
  uint64_t lo = addr, hi = addr + len;
  engine_unmap(lo, hi);
  erase_range(addr, addr + len);
  engine_map(lo, hi);
  notify_code(lo, hi);
  return 0;
}

dk_status_t AddressSpace::protect(uint64_t addr, uint64_t size, uint32_t prot) {
  uint64_t len = 0;
  if (prot & ~kProtAll) return -DK_E_INVAL;
  if (!aligned(addr) || !user_range(addr, size, len)) return -DK_E_INVAL;
  // Every page must be committed, or nothing changes.
  uint64_t a = addr, end = addr + len;
  for (auto it = find(addr); a < end; ++it) {
    if (it == map_.end() || it->first > a || !it->second.committed) return -DK_E_FAULT;
    a = it->second.end;
  }
  const bool splits = find(addr)->first != addr || find(end - 1)->second.end != end;
  if (splits && committed_regions() + 2 > max_split_regions_) return -DK_E_INVAL;
  // The neighbours too, so a protection undone merges back with them.
  uint64_t lo = addr >= kPage ? addr - kPage : addr, hi = end + kPage;
  engine_unmap(lo, hi);
  split_at(addr);
  split_at(end);
  if (prot & DK_PROT_WRITE) {
    // Shared pages are never written through: the pages made writable get their own copy
    // first (the same bytes, so nothing the guest sees changes if the host has no memory).
    for (auto it = map_.lower_bound(addr); it != map_.end() && it->first < end; ++it) {
      if (it->second.committed && it->second.shared && !privatize(it->second, it->first)) {
        coalesce(lo, hi);
        engine_map(lo, hi);
        return -DK_E_NOMEM;
      }
    }
  }
  for (auto it = map_.lower_bound(addr); it != map_.end() && it->first < end; ++it)
    it->second.prot = prot;
  coalesce(lo, hi);
  engine_map(lo, hi);
  notify_code(lo, hi);
  return 0;
}

size_t AddressSpace::committed_regions() const {
  size_t n = 0;
  for (const auto& [start, r] : map_) n += r.committed ? 1 : 0;
  return n;
}

// Merges neighbouring committed regions in [lo, hi) that agree (protection, backing, host
// memory contiguous): a run of guard pages taken one by one, or a protection set and then
// undone, goes back to one region. The caller has unmapped [lo, hi) from the engine.
void AddressSpace::coalesce(uint64_t lo, uint64_t hi) {
  auto it = map_.lower_bound(lo);
  if (it == map_.end() || it->first >= hi) return;
  while (true) {
    auto next = std::next(it);
    if (next == map_.end() || next->first >= hi) break;
    Region& a = it->second;
    const Region& b = next->second;
    if (a.committed && b.committed && a.end == next->first && a.prot == b.prot &&
        a.shared == b.shared && a.backing == b.backing && a.host + (a.end - it->first) == b.host) {
      a.end = b.end;
      if (hint_ == next) hint_ = map_.end();
      map_.erase(next);
    } else {
      it = next;
    }
  }
}

bool AddressSpace::take_guard(uint64_t addr) {
  if (!(prot_at(addr) & DK_PROT_GUARD) || prot_at(addr) < 0) return false;
  const uint64_t page = addr & ~(kPage - 1);
  // The page's neighbours too: pages taken one after another merge into one region.
  uint64_t lo = page > kPage ? page - kPage : page, hi = page + 2 * kPage;
  engine_unmap(lo, hi);
  split_at(page);
  split_at(page + kPage);
  map_.find(page)->second.prot &= ~DK_PROT_GUARD;
  coalesce(lo, hi);
  engine_map(lo, hi);
  notify_code(lo, hi);
  return true;
}

void AddressSpace::attach(uc_struct* uc, Residents* residents) {
  if (uc_) {
    for (auto& [start, r] : map_) {
      if (!r.committed) continue;
      if (r.shared && residents_)
        residents_->push_back(Resident{start, r.end, r.prot, r.host, r.backing});
      else
        uc_mem_unmap(uc_, start, r.end - start);
    }
  }
  uc_ = uc;
  residents_ = uc ? residents : nullptr;
  if (!uc_) return;
  std::vector<uint64_t> kept;  // resident regions this address space holds as they are
  if (residents) {
    for (const Resident& e : *residents) {
      const auto it = map_.find(e.start);
      if (it != map_.end() && it->second.committed && it->second.shared &&
          it->second.end == e.end && it->second.host == e.host && it->second.prot == e.prot)
        kept.push_back(e.start);
      else
        uc_mem_unmap(uc_, e.start, e.end - e.start);
    }
    residents->clear();
  }
  for (auto it = map_.begin(); it != map_.end(); ++it)
    if (it->second.committed && std::find(kept.begin(), kept.end(), it->first) == kept.end())
      uc_mem_map_ptr(uc_, it->first, it->second.end - it->first, uc_prot(it->second.prot),
                     it->second.host);
}

}  // namespace dk
