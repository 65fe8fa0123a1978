// The corpus table (corpus.h). Generated families first (foreign traps, privileged
// instructions, jumps, stores and loads), then the attempt images' cases.
#include "dk/escape/corpus.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "dk/abi.h"
#include "streams.h"

namespace dk::escape {
namespace {

constexpr uint64_t kHostPage = 0x7ffffffff000ull;  // emu's host page (docs/escape.md)
constexpr int kNotTrapped = 99;  // a stream's exit code when its instruction did nothing

// Emits one attempt's code; sets *mark to the address of the instruction under test.
using Emitter = std::function<void(Stream&, const AttemptContext&, uint64_t* mark)>;

std::string num(const char* fmt, uint64_t v) {
  char buf[64];
  snprintf(buf, sizeof buf, fmt, static_cast<unsigned long long>(v));
  return buf;
}

Expect exception(uint32_t type, int64_t detail, int64_t address) {
  Expect e;
  e.kind = Expect::Kind::Exception;
  e.exception_type = type;
  e.detail = detail;
  e.address = address;
  return e;
}

Expect exited(int64_t code) {
  Expect e;
  e.exit_code = code;
  return e;
}

// A generated attempt. The expected outcome may depend on where the instruction under test
// lands; instruction sizes never depend on the context's values, so a dry run with an empty
// context finds it.
Attempt stream(std::string id, std::string family, std::string what, std::string clause,
               Emitter emit, std::function<Expect(uint64_t mark)> expect) {
  Attempt a;
  a.id = std::move(id);
  a.family = std::move(family);
  a.what = std::move(what);
  a.clause = std::move(clause);
  Stream dry;
  uint64_t mark = 0;
  emit(dry, AttemptContext{}, &mark);
  a.expect = expect(mark);
  a.generate = [emit](const AttemptContext& cx) {
    Stream s;
    uint64_t m = 0;
    emit(s, cx, &m);
    return s.image();
  };
  return a;
}

// ---- Linux system calls through every door ----

// Arguments that make the call observable if anyone carried it out: file calls aim at the
// absent path (creating it) or the canary (changing or removing it), write and execve print
// the marker or start a shell that would create the absent path, kill and exit would end the
// attempt's own process (a host failure the runner sees).
struct LinuxArgs {
  uint64_t a[6] = {0, 0, 0, 0, 0, 0};
};

LinuxArgs linux_args(Stream& s, const AttemptContext& cx, uint64_t nr, bool i386) {
  LinuxArgs r;
  const uint64_t absent = s.data(cx.absent_path);
  const uint64_t canary = s.data(cx.canary_path);
  const uint64_t marker = s.data(cx.marker);
  const uint64_t write_nr = i386 ? 4 : 1, execve_nr = i386 ? 11 : 59, kill_nr = i386 ? 37 : 62;
  if (nr == write_nr || nr == (i386 ? 181u : 18u)) {  // write, pwrite64
    r.a[0] = 1;
    r.a[1] = marker;
    r.a[2] = cx.marker.size();
  } else if (nr == execve_nr) {
    const uint64_t sh = s.data("/bin/sh"), dash_c = s.data("-c");
    const uint64_t cmd = s.data("touch '" + cx.absent_path + "'");
    r.a[0] = sh;
    r.a[1] = s.pointers({sh, dash_c, cmd, 0}, !i386);
  } else if (nr == kill_nr) {
    r.a[0] = 0;
    r.a[1] = 9;
  } else if (!i386 && (nr == 76 || nr == 87 || nr == 90 || nr == 92 || nr == 82 || nr == 86 ||
                       nr == 88)) {  // truncate, unlink, chmod, chown, rename, link, symlink
    r.a[0] = canary;
    r.a[1] = absent;
  } else if (!i386 && nr >= 257 && nr <= 268) {  // the *at calls
    r.a[0] = static_cast<uint64_t>(-100);        // AT_FDCWD
    r.a[1] = nr == 263 ? canary : absent;
    r.a[2] = 0x241;
    r.a[3] = 0644;
  } else {
    r.a[0] = absent;
    r.a[1] = 0x241;  // O_WRONLY | O_CREAT | O_TRUNC
    r.a[2] = 0644;
    r.a[3] = marker;
  }
  return r;
}

void add_syscalls(std::vector<Attempt>& out) {
  const std::string clause = "ABI.md §2, §6: every other syscall number is a foreign trap";
  auto x64 = [&](std::string id, std::string family, uint64_t rax, uint64_t nr) {
    out.push_back(stream(
        std::move(id), std::move(family), num("Linux x86-64 call through syscall, rax=%#llx", rax),
        clause,
        [rax, nr](Stream& s, const AttemptContext& cx, uint64_t* mark) {
          LinuxArgs a = linux_args(s, cx, nr, false);
          s.mov(RDI, a.a[0]).mov(RSI, a.a[1]).mov(RDX, a.a[2]).mov(R10, a.a[3]).mov(R8, a.a[4]);
          s.mov(R9, a.a[5]).mov(RAX, rax);
          *mark = s.here();
          s.bytes({0x0f, 0x05}).exit(kNotTrapped);
        },
        [](uint64_t mark) {
          return exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, static_cast<int64_t>(mark));
        }));
  };
  for (uint64_t nr = 0; nr <= 463; ++nr) x64(num("syscall.x64.%03llu", nr), "syscall.x64", nr, nr);
  for (uint64_t nr = 0; nr <= 547; ++nr)
    x64(num("syscall.x32.%03llu", nr), "syscall.x32", 0x40000000ull | nr, nr);
  // Numbers next to the Dk range, and Dk numbers with high bits set: never a Dk call.
  const uint64_t edges[] = {0xD000,
                            0xD02E,
                            0xDFFF,
                            0x1D012,
                            0x10000D012ull,
                            0x800000000000D012ull,
                            0xFFFFFFFF0000D012ull,
                            0xFFFFFFFFFFFFFFFFull};
  for (uint64_t rax : edges) x64(num("syscall.dk_edge.%llx", rax), "syscall.dk_edge", rax, 60);

  for (uint64_t nr = 0; nr <= 462; ++nr) {
    out.push_back(stream(
        num("syscall.i386.%03llu", nr), "syscall.i386",
        num("Linux i386 call %llu through int 0x80", nr), clause,
        [nr](Stream& s, const AttemptContext& cx, uint64_t* mark) {
          LinuxArgs a = linux_args(s, cx, nr, true);
          s.mov(RBX, a.a[0]).mov(RCX, a.a[1]).mov(RDX, a.a[2]).mov(RSI, a.a[3]).mov(RDI, a.a[4]);
          s.mov(RBP, a.a[5]).mov(RAX, nr);
          *mark = s.here();
          s.bytes({0xcd, 0x80}).exit(kNotTrapped);
        },
        [](uint64_t mark) {
          return exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x80 << 8),
                           static_cast<int64_t>(mark));
        }));
  }
  for (uint64_t nr : {0ull, 1ull, 4ull, 11ull, 37ull}) {
    out.push_back(stream(
        num("syscall.sysenter.%03llu", nr), "syscall.sysenter",
        num("Linux i386 call %llu through sysenter", nr), clause,
        [nr](Stream& s, const AttemptContext& cx, uint64_t* mark) {
          LinuxArgs a = linux_args(s, cx, nr, true);
          s.mov(RBX, a.a[0]).mov(RCX, a.a[1]).mov(RDX, a.a[2]).mov(RAX, nr);
          *mark = s.here();
          s.bytes({0x0f, 0x34}).exit(kNotTrapped);
        },
        [](uint64_t mark) {
          return exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSENTER, static_cast<int64_t>(mark));
        }));
  }
}

// ---- Software interrupts ----

void add_interrupts(std::vector<Attempt>& out) {
  for (uint64_t v = 0; v <= 255; ++v) {
    out.push_back(stream(
        num("int.%03llu", v), "int", num("int %llu", v),
        "ABI.md §5: int3 and int $3 are BREAKPOINT, every other int n a FOREIGN_TRAP",
        [v](Stream& s, const AttemptContext& cx, uint64_t* mark) {
          LinuxArgs a = linux_args(s, cx, 0, true);
          s.mov(RBX, a.a[0]).mov(RAX, 5);
          *mark = s.here();
          s.bytes({0xcd, static_cast<uint8_t>(v)}).exit(kNotTrapped);
        },
        [v](uint64_t mark) {
          if (v == 3) return exception(DK_EXCEPTION_BREAKPOINT, -1, static_cast<int64_t>(mark));
          return exception(DK_EXCEPTION_FOREIGN_TRAP, static_cast<int64_t>(DK_TRAP_INT | (v << 8)),
                           static_cast<int64_t>(mark));
        }));
  }
  struct Special {
    const char* id;
    const char* what;
    std::initializer_list<uint8_t> insn;
    Expect (*expect)(uint64_t);
  };
  const Special specials[] = {
      {"int.int3",
       "int3 (one byte)",
       {0xcc},
       [](uint64_t m) { return exception(DK_EXCEPTION_BREAKPOINT, -1, static_cast<int64_t>(m)); }},
      {"int.into",
       "into (invalid in 64-bit mode)",
       {0xce},
       [](uint64_t m) { return exception(DK_EXCEPTION_ILLEGAL, -1, static_cast<int64_t>(m)); }},
      {"int.icebp", "icebp / int1", {0xf1}, [](uint64_t) { return exception(0, -1, -1); }},
  };
  for (const Special& sp : specials) {
    std::vector<uint8_t> insn(sp.insn);
    out.push_back(stream(
        sp.id, "int", sp.what, "ABI.md §5",
        [insn](Stream& s, const AttemptContext&, uint64_t* mark) {
          *mark = s.here();
          for (uint8_t b : insn) s.bytes({b});
          s.exit(kNotTrapped);
        },
        sp.expect));
  }
}

// ---- Privileged instructions: CPL 3 stays CPL 3 ----

void add_privileged(std::vector<Attempt>& out) {
  struct P {
    const char* name;
    std::vector<uint8_t> insn;
  };
  const P ps[] = {
      {"hlt", {0xf4}},
      {"cli", {0xfa}},
      {"sti", {0xfb}},
      {"wrmsr_lstar", {0x0f, 0x30}},  // ecx = IA32_LSTAR below: the syscall entry point
      {"rdmsr", {0x0f, 0x32}},
      {"mov_cr3", {0x0f, 0x22, 0xd8}},
      {"mov_from_cr0", {0x0f, 0x20, 0xc0}},
      {"lgdt", {0x0f, 0x01, 0x14, 0x24}},
      {"lidt", {0x0f, 0x01, 0x1c, 0x24}},
      {"ltr", {0x0f, 0x00, 0xd8}},
      {"sysret", {0x48, 0x0f, 0x07}},
      {"swapgs", {0x0f, 0x01, 0xf8}},
      {"in", {0xec}},
      {"out", {0xee}},
      {"insb", {0x6c}},
      {"outsb", {0x6e}},
      {"invd", {0x0f, 0x08}},
      {"wbinvd", {0x0f, 0x09}},
      {"clts", {0x0f, 0x06}},
      {"rdpmc", {0x0f, 0x33}},
      {"invlpg", {0x0f, 0x01, 0x38}},
  };
  for (const P& p : ps) {
    std::vector<uint8_t> insn = p.insn;
    out.push_back(stream(
        std::string("privileged.") + p.name, "privileged", std::string(p.name) + " at CPL 3",
        "ABI.md §1: privileged instructions raise ILLEGAL",
        [insn](Stream& s, const AttemptContext&, uint64_t* mark) {
          s.bytes({0x48, 0x83, 0xec, 0x40});  // sub rsp, 64: a descriptor-table operand
          s.mov(RCX, 0xC0000082).mov(RAX, 0x400000).mov(RDX, 0).mov(RDI, 0x400000);
          s.mov(RSI, 0x400000);
          *mark = s.here();
          for (uint8_t b : insn) s.bytes({b});
          s.exit(kNotTrapped);
        },
        [](uint64_t mark) {
          return exception(DK_EXCEPTION_ILLEGAL, -1, static_cast<int64_t>(mark));
        }));
  }
  // iretq to ring 0 from the guest's own code, and through the host page's trampoline.
  for (bool via_host : {false, true}) {
    out.push_back(stream(
        via_host ? "privileged.iretq_ring0_host_trampoline" : "privileged.iretq_ring0",
        "privileged",
        via_host ? "iretq frame for CPL 0, entered through the host page's iretq"
                 : "iretq frame for CPL 0 (cs 0x08)",
        "ABI.md §1: guest code runs at CPL 3",
        [via_host](Stream& s, const AttemptContext&, uint64_t* mark) {
          // push ss 0x10; push rsp; push rflags 2; push cs 0x08; push rip (after the iretq)
          s.bytes({0x48, 0x89, 0xe0});  // mov rax, rsp
          s.bytes({0x6a, 0x10});        // push 0x10
          s.bytes({0x50});              // push rax
          s.bytes({0x6a, 0x02});        // push 2
          s.bytes({0x6a, 0x08});        // push 0x08
          const uint64_t land = s.here() + 10 + 1 + (via_host ? 12 : 2);
          s.mov(RAX, land);
          s.bytes({0x50});  // push rax
          *mark = s.here();
          if (via_host) {
            s.mov(RAX, kHostPage + 0x100);
            s.bytes({0xff, 0xe0});  // jmp rax
          } else {
            s.bytes({0x48, 0xcf});  // iretq
          }
          // Landing: reached ring 0 only if cs & 3 == 0.
          s.bytes({0x8c, 0xc8});        // mov eax, cs
          s.bytes({0x83, 0xe0, 0x03});  // and eax, 3
          s.bytes({0x75, 0x18});        // jnz +24: past the ring-0 exit
          s.exit(66);                   // 24 bytes
          s.exit(kNotTrapped);
        },
        [via_host](uint64_t mark) {
          return via_host ? exception(DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC,
                                      static_cast<int64_t>(kHostPage + 0x100))
                          : exception(DK_EXCEPTION_ILLEGAL, -1, static_cast<int64_t>(mark));
        }));
  }
}

// ---- Jumps, stores and loads to places that are not the picoprocess's ----

enum class Where { Fixed, HarnessCode, HarnessData, HarnessStack, BootInfo, Stack, RwPage };

uint64_t target_of(Where w, uint64_t fixed, const AttemptContext& cx) {
  switch (w) {
    case Where::HarnessCode:
      return cx.harness_code;
    case Where::HarnessData:
      return cx.harness_data;
    case Where::HarnessStack:
      return cx.harness_stack;
    default:
      return fixed;
  }
}

// Loads the target into rax (rdi holds the boot info at entry; rsp the stack).
void load_target(Stream& s, Where w, uint64_t fixed, const AttemptContext& cx) {
  switch (w) {
    case Where::BootInfo:
      s.bytes({0x48, 0x89, 0xf8});
      break;  // mov rax, rdi
    case Where::Stack:
      s.bytes({0x48, 0x89, 0xe0});
      break;  // mov rax, rsp
    case Where::RwPage:
      // DkVirtualMemoryAllocate(&slot on the stack, 4096, COMMIT, READ|WRITE); rax = slot
      s.bytes({0x48, 0x83, 0xec, 0x10, 0x48, 0xc7, 0x04, 0x24, 0, 0, 0, 0});
      s.bytes({0x48, 0x89, 0xe7});  // mov rdi, rsp
      s.mov(RSI, 4096).mov(RDX, DK_ALLOC_COMMIT).mov(R10, DK_PROT_READ | DK_PROT_WRITE);
      s.mov(RAX, DK_CALL_DkVirtualMemoryAllocate).bytes({0x0f, 0x05});
      s.bytes({0x48, 0x8b, 0x04, 0x24});  // mov rax, [rsp]
      s.bytes({0xc6, 0x00, 0xc3});        // mov byte [rax], 0xc3 (ret)
      break;
    default:
      s.mov(RAX, target_of(w, fixed, cx));
      break;
  }
}

struct Target {
  const char* name;
  Where where;
  uint64_t fixed;
};

const Target kTargets[] = {
    {"null", Where::Fixed, 0},
    {"unmapped_user", Where::Fixed, 0x20000000},
    {"user_high", Where::Fixed, DK_USER_HIGH - 8},
    {"kernel_half", Where::Fixed, 0xffff800000000000ull},
    {"kernel_top", Where::Fixed, 0xfffffffffffff000ull},
    {"noncanonical", Where::Fixed, 0x0000900000000000ull},
    {"noncanonical_high", Where::Fixed, 0x8000000000000000ull},
    {"host_page_gdt", Where::Fixed, kHostPage},
    {"host_page_iretq", Where::Fixed, kHostPage + 0x100},
    {"host_page_frame", Where::Fixed, kHostPage + 0x800},
    {"vsyscall_gettimeofday", Where::Fixed, 0xffffffffff600000ull},
    {"vsyscall_time", Where::Fixed, 0xffffffffff600400ull},
    {"vsyscall_getcpu", Where::Fixed, 0xffffffffff600800ull},
    {"harness_code", Where::HarnessCode, 0},
    {"harness_data", Where::HarnessData, 0},
    {"harness_stack", Where::HarnessStack, 0},
    {"boot_info", Where::BootInfo, 0},
    {"stack", Where::Stack, 0},
    {"rw_page", Where::RwPage, 0},
    {"own_text", Where::Fixed, kStreamBase + kStreamCodeOff},
};

bool canonical(uint64_t a) {
  return a < 0x0000800000000000ull || a >= 0xffff800000000000ull;
}

void add_memory(std::vector<Attempt>& out) {
  enum class Op { Call, Jump, Store, Load };
  struct OpInfo {
    Op op;
    const char* name;
    const char* family;
    uint32_t detail;
  };
  const OpInfo ops[] = {{Op::Call, "call", "jump", DK_MEMFAULT_EXEC},
                        {Op::Jump, "jmp", "jump", DK_MEMFAULT_EXEC},
                        {Op::Store, "store", "store", DK_MEMFAULT_WRITE},
                        {Op::Load, "load", "load", DK_MEMFAULT_READ}};
  for (const OpInfo& op : ops) {
    for (const Target& t : kTargets) {
      const bool vsyscall = std::string(t.name).starts_with("vsyscall");
      // What may legitimately be done there: the picoprocess's own pages.
      if (op.op == Op::Load &&
          (t.where == Where::BootInfo || t.where == Where::Stack || t.where == Where::RwPage ||
           t.fixed == kStreamBase + kStreamCodeOff))
        continue;
      if (op.op == Op::Load && t.fixed >= kHostPage && t.fixed < kHostPage + 4096)
        continue;  // readable by design (ABI.md §1, docs/escape.md)
      if (op.op == Op::Store && (t.where == Where::Stack || t.where == Where::RwPage)) continue;
      if ((op.op == Op::Call || op.op == Op::Jump) && t.fixed == kStreamBase + kStreamCodeOff)
        continue;
      const std::string family = vsyscall ? "vsyscall" : op.family;
      const Where where = t.where;
      const uint64_t fixed = t.fixed;
      const Op o = op.op;
      const uint32_t detail = op.detail;
      // Exact addresses where the fault address is known before the run.
      const bool known = where == Where::Fixed && canonical(fixed);
      out.push_back(stream(
          family + "." + op.name + "." + t.name, family, std::string(op.name) + " to " + t.name,
          "ABI.md §1, §5: only the picoprocess's own pages, with their protection",
          [where, fixed, o](Stream& s, const AttemptContext& cx, uint64_t* mark) {
            load_target(s, where, fixed, cx);
            s.mov(RCX, 0x4141414141414141ull);
            *mark = s.here();
            switch (o) {
              case Op::Call:
                s.bytes({0xff, 0xd0});
                break;  // call rax
              case Op::Jump:
                s.bytes({0xff, 0xe0});
                break;  // jmp rax
              case Op::Store:
                s.bytes({0x48, 0x89, 0x08});
                break;  // mov [rax], rcx
              case Op::Load:
                s.bytes({0x48, 0x8b, 0x08});
                break;  // mov rcx, [rax]
            }
            s.exit(kNotTrapped);
          },
          [known, fixed, detail](uint64_t) {
            return exception(DK_EXCEPTION_MEMFAULT, detail,
                             known ? static_cast<int64_t>(fixed) : -1);
          }));
    }
  }
}

// ---- Attempt images ----

Attempt image_case(std::string family, std::string image, std::string case_name, std::string what,
                   std::string clause, Expect expect) {
  Attempt a;
  a.id = family + "." + case_name;
  a.family = std::move(family);
  a.image = std::move(image);
  a.case_name = std::move(case_name);
  a.what = std::move(what);
  a.clause = std::move(clause);
  a.expect = expect;
  return a;
}

void add_images(std::vector<Attempt>& out) {
  {
    Attempt a = image_case("package", "esc_memory", "pkgwrite",
                           "writes to its read-only image pages; a second picoprocess of the "
                           "same image must see them unchanged",
                           "ABI.md §1: picoprocesses share nothing", exited(0));
    a.sibling_image = "esc_memory";
    a.sibling_case = "pkgcheck";
    out.push_back(a);
  }
  const char* smc = "ABI.md §1: x86 code is coherent; DkInstructionCacheFlush is a hint";
  out.push_back(image_case("smc", "esc_memory", "smc_call",
                           "rewrites a function between calls, no flush", smc, exited(0)));
  out.push_back(image_case("smc", "esc_memory", "smc_block",
                           "rewrites the next instruction of its own basic block", smc, exited(0)));
  out.push_back(image_case("smc", "esc_memory", "smc_nx",
                           "runs code, then makes its page non-executable and calls it again",
                           "ABI.md #3", exception(DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, -1)));

  struct Row {
    const char* name;
    const char* what;
    const char* clause;
  };
  const char* ptr = "ABI.md §2: a bad pointer gives FAULT before the host sees the call";
  const Row args[] = {
      {"ptr_null", "NULL in every required pointer argument of every call", ptr},
      {"ptr_unmapped", "an unmapped page in every pointer argument", ptr},
      {"ptr_kernel", "a kernel-half address in every pointer argument", ptr},
      {"ptr_noncanonical", "a non-canonical address in every pointer argument", ptr},
      {"ptr_hostpage", "the harness's host page in every pointer argument", ptr},
      {"ptr_wrap", "a pointer whose range wraps past 2^64", ptr},
      {"ptr_straddle", "pointers straddling into an unmapped page", ptr},
      {"ptr_readonly_out", "read-only pages as every output pointer", ptr},
      {"ptr_guard_out", "guard pages as every output pointer", ptr},
      {"ptr_boot_out", "the read-only boot info page as every output pointer", ptr},
      {"size_huge", "huge sizes and counts", "ABI.md §2, #40, #16"},
      {"size_negative", "negative and wrapping ranges for memory calls", "ABI.md #1-#3"},
      {"offset_overflow", "file offsets and lengths that overflow", "ABI.md #22-#26"},
      {"handle_forged", "forged and closed handle values in every handle call", "ABI.md §3"},
      {"handle_sibling", "handle values the sibling picoprocess holds",
       "ABI.md §1: picoprocesses share nothing"},
      {"handle_kind", "live handles of the wrong kind", "ABI.md §3: WRONGTYPE"},
      {"uri_long", "over-long URIs and components, an unterminated 1 MiB URI",
       "ABI.md §4: NAMETOOLONG"},
      {"uri_malformed", "malformed URIs and URIs the policy does not grant", "ABI.md §7"},
      {"uri_traversal", "`..` and its spellings past every mapping, to the host canary",
       "ABI.md §7: `..` can never leave a mapping"},
      {"readonly_mapping", "writes through a read-only mapping", "ABI.md §7, #24"},
      {"connect", "connections and listeners the policy does not grant (the canary port)",
       "ABI.md §7"},
  };
  for (const Row& r : args)
    out.push_back(image_case("args", "esc_args", r.name, r.what, r.clause, exited(0)));

  const Row races[] = {
      {"uri_flip", "another thread flips a URI between granted and forbidden during opens",
       "ABI.md §2: the host copies every input once"},
      {"buf_flip", "another thread rewrites a write buffer during writes",
       "ABI.md §2: the host copies every input once"},
      {"close_while_wait", "a handle closed while another thread waits on it", "ABI.md #36"},
      {"close_only_handle", "the only handle closed during a timed wait", "ABI.md #36"},
      {"close_while_read", "a stream closed while another thread reads it", "ABI.md #36"},
  };
  for (const Row& r : races)
    out.push_back(image_case("race", "esc_race", r.name, r.what, r.clause, exited(0)));

  const char* quota = "ABI.md §4: QUOTA (a manifest limit)";
  auto limited = [&](const char* name, const char* what, Limits l, Expect e) {
    Attempt a = image_case("exhaust", "esc_exhaust", name, what, quota, e);
    a.limits = l;
    out.push_back(a);
  };
  limited("memory", "commits memory until refused (limit 64 MiB)", Limits{.memory = 64ull << 20},
          exited(DK_E_QUOTA));
  limited("threads", "creates threads until refused (limit 16)", Limits{.threads = 16},
          exited(DK_E_QUOTA));
  limited("handles", "creates semaphores until refused (limit 256)", Limits{.handles = 256},
          exited(DK_E_QUOTA));
  limited("streams", "opens streams until refused (limit 64)", Limits{.streams = 64},
          exited(DK_E_QUOTA));
  limited("output", "writes to the console until refused (limit 1 MiB)",
          Limits{.output_bytes = 1ull << 20}, exited(DK_E_QUOTA));
  {
    Expect e;
    e.kind = Expect::Kind::TickLimit;
    limited("cpu", "an endless loop (limit 500 000 ticks)", Limits{.cpu_ticks = 500000}, e);
    out.back().max_ticks = 1000000;
  }
  limited("pipe_buffer", "fills a pipe nobody reads, non-blocking", Limits{}, exited(DK_E_AGAIN));
  out.back().clause = "ABI.md #23: AGAIN when nothing can be written";
  {
    Attempt a = image_case("exhaust", "esc_exhaust", "children",
                           "starts children that loop forever", "ABI.md #17", exited(100));
    a.max_ticks = 400000;
    out.push_back(a);
  }
}

}  // namespace

std::string Expect::describe() const {
  switch (kind) {
    case Kind::Exit:
      return "exit " + std::to_string(exit_code);
    case Kind::TickLimit:
      return "tick limit";
    case Kind::Exception: {
      static const char* const names[] = {"any",        "MEMFAULT",     "ILLEGAL",  "ARITHMETIC",
                                          "BREAKPOINT", "FOREIGN_TRAP", "INTERRUPT"};
      std::string s = "exception ";
      s += exception_type < 7 ? names[exception_type] : std::to_string(exception_type);
      if (detail >= 0) s += num(" detail %#llx", static_cast<uint64_t>(detail));
      if (address >= 0) s += num(" at %#llx", static_cast<uint64_t>(address));
      return s;
    }
  }
  return "?";
}

std::vector<Attempt> corpus() {
  std::vector<Attempt> out;
  add_syscalls(out);
  add_interrupts(out);
  add_privileged(out);
  add_memory(out);
  add_images(out);
  return out;
}

std::vector<std::string> families(const std::vector<Attempt>& attempts) {
  std::vector<std::string> f;
  for (const auto& a : attempts)
    if (f.empty() || std::find(f.begin(), f.end(), a.family) == f.end()) f.push_back(a.family);
  return f;
}

}  // namespace dk::escape
