// The simulated host's part of DkStreamMap and DkStreamUnmap (the host core maps and
// unmaps): the bytes of a file node in the overlay, and the write-back of a shared mapping
// into the node, up to the file's length.
#include <algorithm>

#include "dk/sim_host.h"
#include "sim_world.h"

namespace dk {

bool SimHost::mappable(const HostStream& s) const {
  return dynamic_cast<const FileStream*>(&s) != nullptr;
}

dk_status_t SimHost::read_mapped(CallContext&, HostStream& s, uint64_t offset, uint64_t pages,
                                 std::vector<uint8_t>& data) {
  auto& f = static_cast<FileStream&>(s);
  if (dk_status_t st = f.tree->load(*f.node)) return st;
  const auto& bytes = f.node->data;
  if (offset < bytes.size()) {
    const uint64_t n = std::min<uint64_t>(pages, bytes.size() - offset);
    data.assign(bytes.begin() + static_cast<ptrdiff_t>(offset),
                bytes.begin() + static_cast<ptrdiff_t>(offset + n));
  }
  return 0;
}

bool SimHost::mapped_length(const StreamMapping& m, uint64_t& length) {
  auto* f = dynamic_cast<FileStream*>(m.file.get());
  if (!f || f->tree->load(*f->node) != 0) return false;
  length = f->node->data.size();
  return true;
}

void SimHost::store_mapped(const StreamMapping& m, const std::vector<uint8_t>& bytes) {
  auto& node = *static_cast<FileStream&>(*m.file).node;
  std::copy(bytes.begin(), bytes.end(), node.data.begin() + static_cast<ptrdiff_t>(m.offset));
}

bool SimHost::same_file(const HostStream& mapped, const HostStream& s) const {
  auto* a = dynamic_cast<const FileStream*>(&mapped);
  auto* b = dynamic_cast<const FileStream*>(&s);
  return a && b && a->node == b->node;
}

}  // namespace dk
