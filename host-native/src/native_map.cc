// DkStreamMap and DkStreamUnmap: a file's bytes copied into fresh pages of the caller (the
// emulator owns guest memory, so a mapping is a copy, never an mmap of the host file). A
// private mapping is a copy from then on; a shared one (writable stream, WRITE and
// DK_MAP_SHARED) is written back to the file, up to the file's length, on DkStreamFlush of
// the file and on DkStreamUnmap, as on the simulated host.
#include <sys/stat.h>

#include <algorithm>

#include "dk/native_host.h"
#include "native_world.h"

namespace dk {

using namespace native;
namespace {

constexpr uint32_t kProtBits = DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC;

void write_back(CallContext& cx, const StreamMapping& m) {
  auto f = std::dynamic_pointer_cast<HostFileStream>(m.file);
  if (!f) return;
  const uint64_t len = f->size();
  if (m.offset >= len) return;
  const uint64_t n = std::min<uint64_t>(m.size, len - m.offset);
  const bool readable = (m.prot & DK_PROT_READ) != 0;
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot | DK_PROT_READ);
  std::vector<uint8_t> bytes(n);
  if (cx.mem.read(m.addr, bytes.data(), n)) {
    uint64_t put = 0;
    while (put < n) {
      const ssize_t k = f->env->sys.pwrite(f->fd, bytes.data() + put, n - put,
                                           static_cast<off_t>(m.offset + put));
      if (k <= 0) break;
      put += static_cast<uint64_t>(k);
    }
  }
  if (!readable) cx.ctl.vm_protect(m.addr, m.size, m.prot);
}

bool same_inode(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

void native::flush_mappings(NativeWorld& w, CallContext& cx, const HostStream* file) {
  auto it = w.mappings.find(cx.pid);
  if (it == w.mappings.end()) return;
  auto* h = dynamic_cast<const HostFileStream*>(file);
  for (const auto& m : it->second) {
    auto* mh = dynamic_cast<const HostFileStream*>(m.file.get());
    // The same file, through this or another handle to it.
    if (m.shared && h && mh && (mh == h || same_inode(mh->fd, h->fd))) write_back(cx, m);
  }
}

dk_status_t NativeHost::DkStreamMap(CallContext& cx, Call& call) {
  auto o = cx.handles.get(call.arg(0));
  if (!o) return -DK_E_BADHANDLE;
  auto s = std::dynamic_pointer_cast<HostStream>(o);
  if (!s || s->type != DK_STREAM_FILE) return -DK_E_WRONGTYPE;
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
  if (offset < s->size()) {
    StreamIo io{cx, offset, std::min<uint64_t>(pages, s->size() - offset), nullptr, &data};
    if (dk_status_t st = s->read(io)) return st;
  }
  if (dk_status_t st = quotas_.memory(cx, pages)) return st;
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
  world_->mappings[cx.pid].push_back(std::move(m));
  call.set_out(1, addr);
  return 0;
}

dk_status_t NativeHost::DkStreamUnmap(CallContext& cx, Call& call) {
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
