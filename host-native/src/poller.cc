#include "poller.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

namespace dk::native {

Poller::Poller() : ep_(epoll_create1(EPOLL_CLOEXEC)) {}

Poller::~Poller() {
  if (ep_ >= 0) ::close(ep_);
}

void Poller::arm(int fd, uint32_t events) {
  if (ep_ < 0 || fd < 0) return;
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT | EPOLLRDHUP;
  ev.data.fd = fd;
  int r = -1;
  if (added_.count(fd)) r = epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
  if (r != 0) {
    r = epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    if (r != 0 && errno == EEXIST) r = epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
  }
  if (r == 0) {
    added_.insert(fd);
    armed_.insert(fd);
  }
}

void Poller::forget(int fd) {
  if (added_.erase(fd)) epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
  armed_.erase(fd);
}

bool Poller::wait(uint64_t deadline, uint64_t now) {
  const bool no_deadline = deadline == ~0ull;
  if (armed_.empty() && no_deadline) return false;
  int timeout = -1;
  if (!no_deadline) {
    const uint64_t left = deadline > now ? deadline - now : 0;
    const uint64_t ms = (left + 999999) / 1000000;
    timeout = ms > 3600000 ? 3600000 : static_cast<int>(ms);
  }
  epoll_event evs[64];
  const int n = ep_ >= 0 ? epoll_wait(ep_, evs, 64, timeout) : 0;
  for (int i = 0; i < n; ++i) armed_.erase(evs[i].data.fd);
  return true;
}

}  // namespace dk::native
