// The child's birth. After the fork the child runs only raw system calls on memory it got
// from this process (no allocation, no locks: the supervisor may have other threads), drops
// what it can, and jumps to the shim's first stage on a stack inside the staging area.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "filter.h"

extern "C" {
extern const uint8_t dkrt_shim_blob[];
extern const uint8_t dkrt_shim_blob_end[];
}

namespace dk::rt {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kTaskTop = 0x7ffffffff000ull;
constexpr uint64_t kStageStack = 64 << 10;
constexpr uid_t kNobody = 65534;

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
  return a < b + blen && b < a + alen;
}

long raw(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  return syscall(nr, a, b, c, d, e);
}

struct ChildArgs {
  int chan = -1, memfd = -1;
  bool user_ns = false, pid_ns = false;
  bool drop_identity = false;
  bool root_outside = false;
  pid_t parent = 0;
  uint64_t memory_limit = 0;
  dkrt_boot* boot = nullptr;
  uint64_t blob_now = 0;
  uint64_t stage_stack_top = 0;
  uint64_t stage1 = 0;
};

[[noreturn]] void child_fail() {
  raw(SYS_exit_group, 125);
  __builtin_unreachable();
}

// The child, from the fork to the shim. Raw calls only.
[[noreturn]] void child_main(const ChildArgs& a) {
  // Wait for the parent: it writes the identity maps of a new user namespace first.
  char go = 0;
  if (read(a.chan, &go, 1) != 1 || go != 'g') child_fail();

  if (a.drop_identity) {
    // In a user namespace the maps make nobody the only identity; outside one, only root
    // can drop to it. Groups first, then the user: afterwards no capability is left.
    if (a.root_outside || a.user_ns) raw(SYS_setgroups, 0, 0);
    if (raw(SYS_setresgid, kNobody, kNobody, kNobody) != 0) child_fail();
    if (raw(SYS_setresuid, kNobody, kNobody, kNobody) != 0) child_fail();
    // An identity change makes a process undumpable, which keeps a supervisor without
    // privileges from reading its child's memory. Inside a user namespace of our own, nobody
    // is this user anyway; core dumps stay off (RLIMIT_CORE below).
    if (a.user_ns && !a.root_outside) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  }
  raw(SYS_setsid);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail();
  if (!a.pid_ns && getppid() != a.parent) child_fail();  // the supervisor is already gone

  // Signals: none reach code that is about to go. The shim installs its own.
  sigset_t all;
  sigfillset(&all);
  raw(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all), 0, 8);
  for (int s = 1; s < 65; ++s) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct {
      void* handler;
      unsigned long flags;
      void* restorer;
      uint64_t mask;
    } ksa{reinterpret_cast<void*>(SIG_IGN), 0, nullptr, 0};
    if (s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGTRAP || s == SIGSYS)
      ksa.handler = reinterpret_cast<void*>(SIG_DFL);
    raw(SYS_rt_sigaction, s, reinterpret_cast<long>(&ksa), 0, 8);
  }

  // Descriptors: the channel at 3, the slot file at 4 (closed by the shim once mapped).
  const int c = static_cast<int>(raw(SYS_fcntl, a.chan, F_DUPFD, 100));
  const int m = static_cast<int>(raw(SYS_fcntl, a.memfd, F_DUPFD, 100));
  if (c < 0 || m < 0) child_fail();
  if (raw(SYS_dup2, c, DKRT_CHANNEL_FD) < 0 || raw(SYS_dup2, m, 4) < 0) child_fail();
  raw(SYS_close_range, 5, ~0u, 0);
  raw(SYS_close, 0);
  raw(SYS_close, 1);
  raw(SYS_close, 2);

  // Limits: no core dumps (KILL_PROCESS would write one), no file writes, few descriptors.
  struct rlimit zero = {0, 0}, fds = {8, 8};
  if (raw(SYS_setrlimit, RLIMIT_CORE, reinterpret_cast<long>(&zero)) != 0 ||
      raw(SYS_setrlimit, RLIMIT_FSIZE, reinterpret_cast<long>(&zero)) != 0 ||
      raw(SYS_setrlimit, RLIMIT_NOFILE, reinterpret_cast<long>(&fds)) != 0)
    child_fail();
  if (a.memory_limit) {
    struct rlimit as = {a.memory_limit, a.memory_limit};
    raw(SYS_setrlimit, RLIMIT_AS, reinterpret_cast<long>(&as));
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail();

  // glibc's rseq area is in the TLS the sweep removes: unregister it first, or the kernel's
  // next rseq update faults the child.
  // The kernel wants the length it was registered with: glibc registers at least 32 bytes
  // and publishes the size of the features it uses, which may be less.
  if (__rseq_size > 0) {
    void* area = static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
    const long len = __rseq_size < 32 ? 32 : static_cast<long>(__rseq_size);
    if (raw(SYS_rseq, reinterpret_cast<long>(area), len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0 &&
        raw(SYS_rseq, reinterpret_cast<long>(area), __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
      child_fail();
  }
  raw(SYS_set_robust_list, 0, 0);

  // The shim's first stage, on the staging stack; it never returns.
  asm volatile(
      "mov %0, %%rsp\n\t"
      "xor %%ebp, %%ebp\n\t"
      "call *%1\n\t"
      "ud2"
      :
      : "r"(a.stage_stack_top), "r"(a.stage1), "D"(a.boot), "S"(a.blob_now)
      : "memory");
  __builtin_unreachable();
}

void write_file(pid_t pid, const char* name, const std::string& text) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(pid), name);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw SpawnError(std::string("cannot open ") + name + ": " + std::strerror(errno));
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    throw SpawnError(std::string("cannot write ") + name + ": " + std::strerror(err));
}

}  // namespace

const uint8_t* shim_blob() { return dkrt_shim_blob; }
size_t shim_blob_size() { return static_cast<size_t>(dkrt_shim_blob_end - dkrt_shim_blob); }
const dkrt_shim_header& shim_header() {
  return *reinterpret_cast<const dkrt_shim_header*>(dkrt_shim_blob);
}

bool spec_allow_supported() {
  static const bool ok = [] {
    errno = 0;
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, nullptr);
    return r != 0 && errno == EFAULT;  // the flag is known; the missing program is the error
  }();
  return ok;
}

Spawned spawn_child(const SpawnPlan& plan) {
  const dkrt_shim_header& h = shim_header();
  if (h.magic != DKRT_SHIM_MAGIC || h.data_end > DKRT_SHIM_MAX || h.text_end > h.data_end ||
      shim_blob_size() > h.data_end)
    throw SpawnError("the embedded shim is damaged");
  if (plan.nslots == 0 || plan.nslots > DKRT_MAX_THREADS) throw SpawnError("bad slot count");

  // Staging: the shim (with its zeroed tail), the boot description, the regions' bytes, a
  // stack. One mapping that must not overlap anything the child will hold.
  const uint64_t shim_len = h.data_end;
  uint64_t size = shim_len + page_up(sizeof(dkrt_boot));
  if (plan.regions.size() > DKRT_MAX_SEGMENTS) throw SpawnError("too many initial regions");
  for (const InitialRegion& r : plan.regions) size += page_up(r.bytes.size());
  size += kStageStack;
  auto clashes = [&](uint64_t at) {
    if (overlaps(at, size, DKRT_BLOCK, kTaskTop - DKRT_BLOCK)) return true;
    for (const InitialRegion& r : plan.regions)
      if (overlaps(at, size, r.addr, r.len)) return true;
    return false;
  };
  uint8_t* staging = nullptr;
  for (uint64_t hint : {0x100000000000ull, 0x180000000000ull, 0x240000000000ull, 0ull}) {
    void* p = mmap(reinterpret_cast<void*>(hint), size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw SpawnError("no memory for the staging area");
    if (!clashes(reinterpret_cast<uint64_t>(p))) {
      staging = static_cast<uint8_t*>(p);
      break;
    }
    munmap(p, size);
  }
  if (!staging) throw SpawnError("no room for the staging area");
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { munmap(p, n); }
  } unmap_staging{staging, size};

  std::memcpy(staging, shim_blob(), shim_blob_size());
  auto* boot = reinterpret_cast<dkrt_boot*>(staging + shim_len);
  std::memset(boot, 0, sizeof *boot);
  const auto filter = build_filter(DKRT_SHIM + h.gadget, DKRT_CHANNEL_FD);
  if (filter.size() > DKRT_MAX_FILTER) throw SpawnError("filter too long");
  std::memcpy(boot->sock_filter, filter.data(), filter.size() * sizeof(sock_filter));
  boot->filter_len = static_cast<uint32_t>(filter.size());
  uint64_t off = shim_len + page_up(sizeof(dkrt_boot));
  for (const InitialRegion& r : plan.regions) {
    dkrt_segment& s = boot->segments[boot->nsegments++];
    s.addr = r.addr;
    s.len = r.len;
    s.prot = r.prot;
    s.src = off;
    s.srclen = r.bytes.size();
    if (!r.bytes.empty()) std::memcpy(staging + off, r.bytes.data(), r.bytes.size());
    off += page_up(r.bytes.size());
  }
  boot->staging = reinterpret_cast<uint64_t>(staging);
  boot->staging_len = size;
  boot->shim_text_len = h.text_end;
  boot->shim_len = shim_len;
  boot->slots_fd = 4;
  boot->nslots = plan.nslots;
  boot->entry_rip = plan.entry_rip;
  boot->entry_rdi = plan.entry_rdi;
  boot->entry_rsp = plan.entry_rsp;
  boot->spec_allow = spec_allow_supported();
  if (mprotect(staging, h.text_end, PROT_READ | PROT_EXEC) != 0)
    throw SpawnError("cannot make the staging shim executable");

  // The reply slots.
  Spawned out;
  out.slots_len = static_cast<size_t>(plan.nslots) * DKRT_SLOT_SIZE;
  const int memfd = static_cast<int>(syscall(SYS_memfd_create, "dk-runtime-slots", MFD_CLOEXEC));
  if (memfd < 0) throw SpawnError(std::string("memfd_create: ") + std::strerror(errno));
  if (ftruncate(memfd, static_cast<off_t>(out.slots_len)) != 0) {
    close(memfd);
    throw SpawnError("cannot size the reply slots");
  }
  void* slots = mmap(nullptr, out.slots_len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (slots == MAP_FAILED) {
    close(memfd);
    throw SpawnError("cannot map the reply slots");
  }
  out.slots = static_cast<dkrt_slot*>(slots);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    close(memfd);
    munmap(slots, out.slots_len);
    throw SpawnError(std::string("socketpair: ") + std::strerror(errno));
  }

  ChildArgs a;
  a.chan = sv[1];
  a.memfd = memfd;
  a.parent = getpid();
  a.root_outside = geteuid() == 0;
  a.memory_limit = plan.memory_limit;
  a.boot = boot;
  a.blob_now = reinterpret_cast<uint64_t>(staging);
  a.stage_stack_top = reinterpret_cast<uint64_t>(staging) + size - 64;
  a.stage1 = reinterpret_cast<uint64_t>(staging) + h.stage1;

  // Namespaces where the kernel allows them: all at once, then fewer, then none.
  const long all_ns = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET |
                      CLONE_NEWUTS;
  // Without a user namespace (refused inside some containers) root can still have the rest.
  const long tries[] = {all_ns,
                        CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS,
                        CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS, 0};
  pid_t pid = -1;
  long used = 0;
  for (long flags : tries) {
    if (flags != 0 && !plan.namespaces) continue;
    a.user_ns = flags & CLONE_NEWUSER;
    a.pid_ns = flags & CLONE_NEWPID;
    a.drop_identity = a.user_ns || a.root_outside;
    pid = static_cast<pid_t>(syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0));
    if (pid == 0) child_main(a);
    if (pid > 0) {
      used = flags;
      break;
    }
  }
  close(sv[1]);
  close(memfd);
  if (pid < 0) {
    close(sv[0]);
    munmap(slots, out.slots_len);
    throw SpawnError(std::string("cannot start the child: ") + std::strerror(errno));
  }
  out.pid = pid;
  out.channel = sv[0];
  try {
    if (used & CLONE_NEWUSER) {
      // Only nobody exists inside; outside it is nobody too (root) or this user.
      const unsigned outside_uid = geteuid() == 0 ? kNobody : geteuid();
      const unsigned outside_gid = geteuid() == 0 ? kNobody : getegid();
      if (geteuid() != 0) write_file(pid, "setgroups", "deny");
      write_file(pid, "uid_map", std::to_string(kNobody) + " " + std::to_string(outside_uid) + " 1\n");
      write_file(pid, "gid_map", std::to_string(kNobody) + " " + std::to_string(outside_gid) + " 1\n");
    }
    if (write(out.channel, "g", 1) != 1) throw SpawnError("the child is gone before it started");
  } catch (...) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(out.channel);
    munmap(slots, out.slots_len);
    throw;
  }

  SandboxLayers& l = out.layers;
  l.seccomp = l.no_new_privs = l.rlimits = l.fds_closed = true;
  l.spec_allow = boot->spec_allow;
  l.user_ns = used & CLONE_NEWUSER;
  l.pid_ns = used & CLONE_NEWPID;
  l.mount_ns = used & CLONE_NEWNS;
  l.ipc_ns = used & CLONE_NEWIPC;
  l.net_ns = used & CLONE_NEWNET;
  l.uts_ns = used & CLONE_NEWUTS;
  l.unprivileged = a.drop_identity || geteuid() != 0;
  return out;
}

}  // namespace dk::rt
