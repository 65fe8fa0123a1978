// run_picoprocess: one picoprocess (and any children it creates) in a world of its own.
#include "dk/run.h"

#include <unicorn/unicorn.h>

#include <cstring>

#include "dk/world.h"

namespace dk {

RunResult run_picoprocess(Host& host, const LaunchSpec& spec, const RunOptions& opts,
                          std::vector<TrapRecord>* audit) {
  World world(host, opts, audit);
  const uint32_t pid = world.add(spec);
  world.run();
  return world.result(pid);
}

}  // namespace dk

namespace dk {

std::string unicorn_version() {
  unsigned major = 0, minor = 0;
  const unsigned v = uc_version(&major, &minor);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v >> 8 & 0xff);
}

// Runs `cpuid` for each leaf in a scratch vCPU (the same model the engine gets).
std::vector<uint8_t> cpuid_answers() {
  static const uint32_t leaves[] = {0, 1, 7, 0x80000000u, 0x80000001u};
  std::vector<uint8_t> out;
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) return out;
  constexpr uint64_t kCode = 0x1000;
  const uint8_t code[] = {0x0f, 0xa2};  // cpuid
  if (uc_mem_map(uc, kCode, 0x1000, UC_PROT_ALL) == UC_ERR_OK && uc_mem_write(uc, kCode, code, sizeof code) == UC_ERR_OK) {
    for (uint32_t leaf : leaves) {
      uint64_t rax = leaf, rcx = 0, zero = 0;
      uc_reg_write(uc, UC_X86_REG_RAX, &rax);
      uc_reg_write(uc, UC_X86_REG_RCX, &rcx);
      uc_reg_write(uc, UC_X86_REG_RBX, &zero);
      uc_reg_write(uc, UC_X86_REG_RDX, &zero);
      if (uc_emu_start(uc, kCode, kCode + sizeof code, 0, 1) != UC_ERR_OK) {
        out.clear();
        break;
      }
      for (int reg : {UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX}) {
        uint32_t v = 0;
        uc_reg_read(uc, reg, &v);
        const size_t at = out.size();
        out.resize(at + 4);
        std::memcpy(out.data() + at, &v, 4);
      }
    }
  }
  uc_close(uc);
  return out;
}

}  // namespace dk
