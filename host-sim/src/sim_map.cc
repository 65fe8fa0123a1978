// DkStreamMap and DkStreamUnmap: a file's bytes copied into fresh pages of the caller. A
// private mapping is a copy from then on; a shared one (writable stream, WRITE and
// DK_MAP_SHARED) is written back to the file, up to the file's length, on DkStreamFlush of
// the file and on DkStreamUnmap.
#include <algorithm>

#include "dk/sim_host.h"
#include "sim_world.h"

namespace dk {
namespace {

constexpr uint32_t kProtBits = DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC;

void write_back(CallContext& cx, const StreamMapping& m) {
  FsNode& node = *m.node;
  if (m.tree->load(node) != 0 || m.offset >= node.data.size()) return;
  const uint64_t n = std::min<uint64_t>(m.size, node.data.size() - m.offset);
  // Pages mapped without READ are made readable for the copy and then put back.
  const bool readable = (m.prot & DK_PROT_READ) != 0;
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot | DK_PROT_READ);
  std::vector<uint8_t> bytes(n);
  if (cx.mem.read(m.addr, bytes.data(), n))
    std::copy(bytes.begin(), bytes.end(), node.data.begin() + static_cast<ptrdiff_t>(m.offset));
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot);
}

}  // namespace

void flush_mappings(SimWorld& w, CallContext& cx, const FsNode* node) {
  auto it = w.mappings.find(cx.pid);
  if (it == w.mappings.end()) return;
  for (const auto& m : it->second)
    if (m.shared && m.node.get() == node) write_back(cx, m);
}

dk_status_t SimHost::DkStreamMap(CallContext& cx, Call& call) {
  auto o = cx.handles.get(call.arg(0));
  if (!o) return -DK_E_BADHANDLE;
  auto f = std::dynamic_pointer_cast<FileStream>(o);
  if (!f) return -DK_E_WRONGTYPE;
  const uint32_t prot = static_cast<uint32_t>(call.arg(2)) & ~DK_MAP_SHARED;
  const bool shared_flag = (call.arg(2) & DK_MAP_SHARED) != 0;
  const uint64_t offset = call.arg(3), size = call.arg(4);
  if (prot & ~kProtBits) return -DK_E_INVAL;
  if (offset % DK_PAGE_SIZE != 0 || size == 0 || size > DK_USER_HIGH) return -DK_E_INVAL;
  if (!f->readable) return -DK_E_ACCESS;
  const uint64_t pages = (size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  if (offset > ~0ull - pages) return -DK_E_INVAL;  // the file range would wrap past 2^64
  if (dk_status_t st = f->tree->load(*f->node)) return st;
  if (dk_status_t st = quotas_.memory(cx, pages)) return st;

  uint64_t addr = call.arg(1);
  if (dk_status_t st =
          cx.ctl.vm_allocate(addr, pages, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE))
    return st;
  const auto& data = f->node->data;
  if (offset < data.size()) {
    const uint64_t n = std::min<uint64_t>(pages, data.size() - offset);
    if (!cx.mem.write(addr, data.data() + offset, n)) {
      cx.ctl.vm_free(addr, pages);
      return -DK_E_NOMEM;
    }
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
  m.node = f->node;
  m.tree = f->tree;
  m.offset = offset;
  m.prot = prot;
  m.shared = shared_flag && (prot & DK_PROT_WRITE) && f->writable;
  world_->mappings[cx.pid].push_back(std::move(m));
  call.set_out(1, addr);
  return 0;
}

dk_status_t SimHost::DkStreamUnmap(CallContext& cx, Call& call) {
  // Removes every mapping made by DkStreamMap that lies inside the range (rounded up to
  // whole pages); memory that DkStreamMap did not map is left alone.
  const uint64_t addr = call.arg(0), size = call.arg(1);
  const uint64_t last = addr + size < addr ? ~0ull : addr + size;
  const uint64_t end =
      last > ~0ull - DK_PAGE_SIZE ? ~0ull : (last + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  auto it = world_->mappings.find(cx.pid);
  if (it == world_->mappings.end()) return 0;
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
  if (list.empty()) world_->mappings.erase(it);
  return 0;
}

}  // namespace dk
