// The filter, as straight-line BPF: arch, Dk numbers, the instruction pointer, then the
// shim's allow-list with its argument checks. Unknown calls from the shim kill the child:
// the shim makes no others, so one that arrives is a guest that jumped into the gadget.
#include "filter.h"

#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "dk/abi.h"

namespace dk::rt {
namespace {

constexpr uint32_t kNr = offsetof(seccomp_data, nr);
constexpr uint32_t kArch = offsetof(seccomp_data, arch);
constexpr uint32_t kIpLo = offsetof(seccomp_data, instruction_pointer);
constexpr uint32_t kIpHi = kIpLo + 4;
constexpr uint32_t arg_lo(int i) { return offsetof(seccomp_data, args) + 8 * i; }
constexpr uint32_t arg_hi(int i) { return arg_lo(i) + 4; }

// A program with labels resolved at the end: jumps name their targets by label.
class Program {
 public:
  enum Target { kTrap = -1, kKill = -2, kAllow = -3 };

  void load(uint32_t off) { code_.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off)); }
  void and_(uint32_t k) { code_.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, k)); }
  // if (A == k) goto t else fall through / goto f.
  void jeq(uint32_t k, int t, int f = 0) { jump(BPF_JEQ, k, t, f); }
  void jge(uint32_t k, int t, int f = 0) { jump(BPF_JGE, k, t, f); }
  void jgt(uint32_t k, int t, int f = 0) { jump(BPF_JGT, k, t, f); }
  void jset(uint32_t k, int t, int f = 0) { jump(BPF_JSET, k, t, f); }
  void label(int id) { labels_.push_back({id, code_.size()}); }
  std::vector<sock_filter> finish();

 private:
  struct Fix {
    size_t at;
    int t, f;
  };
  void jump(uint16_t op, uint32_t k, int t, int f) {
    fixes_.push_back({code_.size(), t, f});
    code_.push_back(BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
  }
  std::vector<sock_filter> code_;
  std::vector<Fix> fixes_;
  std::vector<std::pair<int, size_t>> labels_;
};

std::vector<sock_filter> Program::finish() {
  // The three endings sit at the end.
  const size_t trap = code_.size();
  code_.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
  const size_t kill = code_.size();
  code_.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  const size_t allow = code_.size();
  code_.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  auto where = [&](int id) -> size_t {
    if (id == kTrap) return trap;
    if (id == kKill) return kill;
    if (id == kAllow) return allow;
    for (auto& [l, at] : labels_)
      if (l == id) return at;
    return kill;
  };
  for (const Fix& x : fixes_) {
    // 0 means "the next instruction".
    const size_t t = x.t == 0 ? x.at + 1 : where(x.t);
    const size_t f = x.f == 0 ? x.at + 1 : where(x.f);
    code_[x.at].jt = static_cast<uint8_t>(t - x.at - 1);
    code_[x.at].jf = static_cast<uint8_t>(f - x.at - 1);
  }
  return code_;
}

}  // namespace

uint64_t thread_clone_flags() {
  return CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
         CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
}

std::vector<sock_filter> build_filter(uint64_t gadget_end, int channel_fd) {
  Program p;
  enum { kFromShim = 1, kMmap, kFutex, kChannel, kArchPrctl, kClone, kArgHiZero };
  constexpr int T = Program::kTrap, K = Program::kKill, A = Program::kAllow;

  // Another architecture (int 0x80, sysenter from compatibility mode): a foreign trap.
  p.load(kArch);
  p.jeq(AUDIT_ARCH_X86_64, 0, T);
  // Every Dk downcall traps, wherever it comes from. (x32 numbers, with bit 30 set, and
  // all-ones go on to the instruction-pointer check like every other number: a foreign trap
  // from the guest, a kill from the shim's gadget.)
  p.load(kNr);
  p.jge(DK_CALL_BASE + 1, 0, kFromShim);
  p.jgt(DK_CALL_BASE + DK_CALL_COUNT, kFromShim, T);
  // Anything else from anywhere but the shim's gadget: a foreign syscall.
  p.label(kFromShim);
  p.load(kIpHi);
  p.jeq(static_cast<uint32_t>(gadget_end >> 32), 0, T);
  p.load(kIpLo);
  p.jeq(static_cast<uint32_t>(gadget_end), 0, T);
  // The shim's own calls.
  p.load(kNr);
  for (long nr : {SYS_rt_sigreturn, SYS_exit, SYS_exit_group, SYS_munmap, SYS_mprotect,
                  SYS_sched_yield, SYS_sigaltstack, SYS_rt_sigprocmask})
    p.jeq(static_cast<uint32_t>(nr), A);
  p.jeq(SYS_mmap, kMmap);
  p.jeq(SYS_futex, kFutex);
  p.jeq(SYS_sendto, kChannel);
  p.jeq(SYS_write, kChannel);
  p.jeq(SYS_arch_prctl, kArchPrctl);
  p.jeq(SYS_clone, kClone);
  p.jeq(0, K, K);  // everything else, clone3 included (BPF cannot read its flags)

  // mmap: private and anonymous only (the mapping type is the low two bits: 1 shared,
  // 2 private, 3 shared-validate).
  p.label(kMmap);
  p.load(arg_lo(3));
  p.and_(0x3);
  p.jeq(MAP_PRIVATE, 0, K);
  p.load(arg_lo(3));
  p.jset(MAP_ANONYMOUS, A, K);

  // futex: wait and wake.
  p.label(kFutex);
  p.load(arg_lo(1));
  p.and_(~static_cast<uint32_t>(FUTEX_PRIVATE_FLAG));
  p.jeq(FUTEX_WAIT, A);
  p.jeq(FUTEX_WAKE, A, K);

  // write/sendto: on the channel only.
  p.label(kChannel);
  p.load(arg_hi(0));
  p.jeq(0, 0, K);
  p.load(arg_lo(0));
  p.jeq(static_cast<uint32_t>(channel_fd), A, K);

  // arch_prctl: set FS or GS.
  p.label(kArchPrctl);
  p.load(arg_hi(0));
  p.jeq(0, 0, K);
  p.load(arg_lo(0));
  p.jeq(0x1001 /* ARCH_SET_GS */, A);
  p.jeq(0x1002 /* ARCH_SET_FS */, A, K);

  // clone: a thread with exactly the shim's flags.
  p.label(kClone);
  p.load(arg_hi(0));
  p.jeq(static_cast<uint32_t>(thread_clone_flags() >> 32), 0, K);
  p.load(arg_lo(0));
  p.jeq(static_cast<uint32_t>(thread_clone_flags()), A, K);
  return p.finish();
}

}  // namespace dk::rt
