// The epoll set behind idle(): descriptors a parked call is waiting on, armed one-shot when
// the call finds nothing to do (EAGAIN), so a descriptor nobody waits on never wakes dk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>

#include "dk/core/stream.h"

namespace dk::native {

class Poller final : public IoWatch {
 public:
  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Wake idle() when `fd` has any of `events` (EPOLLIN, EPOLLOUT). Descriptors epoll cannot
  // watch (regular files) are always ready: nothing is armed for them.
  void arm(int fd, uint32_t events) override;
  // Before closing `fd`.
  void forget(int fd);
  // Waits until an armed descriptor is ready or `deadline` (CLOCK_MONOTONIC ns; ~0 for none).
  // False without waiting when nothing is armed and there is no deadline: nothing could end
  // the wait.
  bool wait(uint64_t deadline, uint64_t now);
  size_t armed() const { return armed_.size(); }
  // The epoll descriptor: readable when an armed descriptor is ready.
  int fd() const { return ep_; }

 private:
  int ep_ = -1;
  std::set<int> armed_;
  std::set<int> added_;
};

}  // namespace dk::native
