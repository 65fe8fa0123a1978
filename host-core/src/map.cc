// DkStreamMap and DkStreamUnmap: a file's bytes copied into fresh pages of the caller (the
// emulator owns guest memory, so a mapping is a copy, never an mmap of a host file). A
// private mapping is a copy from then on; a shared one (writable stream, WRITE and
// DK_MAP_SHARED) is written back to the file, up to the file's length, on DkStreamFlush of
// the file and on DkStreamUnmap. The host reads and stores the file's bytes.
#include <algorithm>

#include "dk/core/core_host.h"

namespace dk {
namespace {

constexpr uint32_t kProtBits = DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC;

}  // namespace

dk_status_t CoreHost::read_mapped(CallContext& cx, HostStream& s, uint64_t offset, uint64_t pages,
                                  std::vector<uint8_t>& data) {
  if (offset >= s.size()) return 0;
  StreamIo io{cx, offset, std::min<uint64_t>(pages, s.size() - offset), nullptr, &data};
  return s.read(io);
}

void CoreHost::write_back(CallContext& cx, const StreamMapping& m) {
  uint64_t len = 0;
  if (!mapped_length(m, len) || m.offset >= len) return;
  const uint64_t n = std::min<uint64_t>(m.size, len - m.offset);
  // Pages mapped without READ are made readable for the copy and then put back.
  const bool readable = (m.prot & DK_PROT_READ) != 0;
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot | DK_PROT_READ);
  std::vector<uint8_t> bytes(n);
  if (cx.mem.read(m.addr, bytes.data(), n)) store_mapped(m, bytes);
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot);
}

void CoreHost::flush_mappings(CallContext& cx, const HostStream& file) {
  auto it = mappings_.find(cx.pid);
  if (it == mappings_.end()) return;
  for (const auto& m : it->second)
    if (m.shared && same_file(*m.file, file)) write_back(cx, m);
}

dk_status_t CoreHost::DkStreamMap(CallContext& cx, Call& call) {
  auto o = cx.handles.get(call.arg(0));
  if (!o) return -DK_E_BADHANDLE;
  auto s = std::dynamic_pointer_cast<HostStream>(o);
  if (!s || !mappable(*s)) return -DK_E_WRONGTYPE;
  const uint32_t prot = static_cast<uint32_t>(call.arg(2)) & ~DK_MAP_SHARED;
  const bool shared_flag = (call.arg(2) & DK_MAP_SHARED) != 0;
  const uint64_t offset = call.arg(3), size = call.arg(4);
  if (prot & ~kProtBits) return -DK_E_INVAL;
  if (offset % DK_PAGE_SIZE != 0 || size == 0 || size > DK_USER_HIGH) return -DK_E_INVAL;
  if (!s->readable) return -DK_E_ACCESS;
  const uint64_t pages = (size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  if (offset > ~0ull - pages) return -DK_E_INVAL;  // the file range would wrap past 2^64

  // The file's bytes in the range, read before any memory is touched.
  std::vector<uint8_t> data;
  if (dk_status_t st = read_mapped(cx, *s, offset, pages, data)) return st;
  uint64_t addr = call.arg(1);
  if (dk_status_t st =
          cx.ctl.vm_allocate(addr, pages, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE))
    return st;
  if (!data.empty() && !cx.mem.write(addr, data.data(), data.size())) {
    cx.ctl.vm_free(addr, pages);
    return -DK_E_NOMEM;
  }
  if (prot != (DK_PROT_READ | DK_PROT_WRITE)) {
    if (dk_status_t st = cx.ctl.vm_protect(addr, pages, prot)) {
      cx.ctl.vm_free(addr, pages);
      return st;
    }
  }
  StreamMapping m;
  m.addr = addr;
  m.size = pages;
  m.file = s;
  m.offset = offset;
  m.prot = prot;
  m.shared = shared_flag && (prot & DK_PROT_WRITE) && s->writable;
  mappings_[cx.pid].push_back(std::move(m));
  call.set_out(1, addr);
  return 0;
}

dk_status_t CoreHost::DkStreamUnmap(CallContext& cx, Call& call) {
  // Removes every mapping made by DkStreamMap that lies inside the range (rounded up to
  // whole pages); memory that DkStreamMap did not map is left alone.
  const uint64_t addr = call.arg(0), size = call.arg(1);
  const uint64_t last = addr + size < addr ? ~0ull : addr + size;
  const uint64_t end =
      last > ~0ull - DK_PAGE_SIZE ? ~0ull : (last + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  auto it = mappings_.find(cx.pid);
  if (it == mappings_.end()) return 0;
  auto& list = it->second;
  for (size_t i = 0; i < list.size();) {
    const StreamMapping& m = list[i];
    if (m.addr >= addr && m.addr + m.size <= end) {
      if (m.shared) write_back(cx, m);
      cx.ctl.vm_free(m.addr, m.size);
      list.erase(list.begin() + static_cast<ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  if (list.empty()) mappings_.erase(it);
  return 0;
}

}  // namespace dk
