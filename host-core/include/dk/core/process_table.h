// The picoprocesses of a world as a host sees them: the image each started from (for its
// DkProcessCreate("self:")), and the process records of the children created through the
// host (the emulator keeps their `exited` and `exit_code` up to date; parents hold them by
// handle and wait on them).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/host.h"

namespace dk {

class ProcessTable {
 public:
  struct Image {
    std::vector<uint8_t> bytes;
    std::string name;  // package name for boot info
  };
  // `first`: the image of the first picoprocess, for a self: of any picoprocess the table
  // has no image of (empty: none).
  explicit ProcessTable(Image first) : first_(std::move(first)) {}

  void set_image(uint32_t pid, Image image) { images_[pid] = std::move(image); }
  // What self: starts for `pid`: its recorded image, else the first one; nullptr when none.
  const Image* self_image(uint32_t pid) const {
    auto it = images_.find(pid);
    if (it != images_.end()) return &it->second;
    return first_.bytes.empty() ? nullptr : &first_;
  }
  // A child created through the host, with the image it started from.
  void add_child(const std::shared_ptr<ProcessObject>& proc, Image image) {
    images_[proc->pid] = std::move(image);
    children_[proc->pid] = proc;
  }
  // The record of child `pid` while anyone holds it (nullptr for an unknown pid, the first
  // picoprocess, or a record every holder let go).
  std::shared_ptr<ProcessObject> child(uint32_t pid) const {
    auto it = children_.find(pid);
    return it == children_.end() ? nullptr : it->second.lock();
  }
  // True for a child of this host whose record was let go: it can no longer be waited on.
  bool child_forgotten(uint32_t pid) const {
    auto it = children_.find(pid);
    return it != children_.end() && it->second.expired();
  }

  // Snapshots (dk/core/state.h): what the table holds, and a child's record put back.
  const Image& first() const { return first_; }
  const std::map<uint32_t, Image>& images() const { return images_; }
  const std::map<uint32_t, std::weak_ptr<ProcessObject>>& children() const { return children_; }
  void restore_child(uint32_t pid, std::weak_ptr<ProcessObject> proc) {
    children_[pid] = std::move(proc);
  }

 private:
  Image first_;
  std::map<uint32_t, Image> images_;                           // by pid
  std::map<uint32_t, std::weak_ptr<ProcessObject>> children_;  // by pid
};

}  // namespace dk
