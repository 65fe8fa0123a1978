// The native host's part of DkStreamMap and DkStreamUnmap (the host core maps and unmaps,
// reading the file through its stream): the write-back of a shared mapping to the host
// file, up to the file's length, through this or any other handle to the same file.
#include <sys/stat.h>

#include "dk/native_host.h"
#include "native_world.h"

namespace dk {

using namespace native;
namespace {

bool same_inode(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

bool NativeHost::mapped_length(const StreamMapping& m, uint64_t& length) {
  auto* f = dynamic_cast<HostFileStream*>(m.file.get());
  if (!f) return false;
  length = f->size();
  return true;
}

void NativeHost::store_mapped(const StreamMapping& m, const std::vector<uint8_t>& bytes) {
  auto& f = static_cast<HostFileStream&>(*m.file);
  const uint64_t n = bytes.size();
  uint64_t put = 0;
  while (put < n) {
    const ssize_t k =
        f.env->sys.pwrite(f.fd, bytes.data() + put, n - put, static_cast<off_t>(m.offset + put));
    if (k <= 0) break;
    put += static_cast<uint64_t>(k);
  }
}

bool NativeHost::same_file(const HostStream& mapped, const HostStream& s) const {
  auto* h = dynamic_cast<const HostFileStream*>(&s);
  auto* mh = dynamic_cast<const HostFileStream*>(&mapped);
  return h && mh && (mh == h || same_inode(mh->fd, h->fd));
}

}  // namespace dk
