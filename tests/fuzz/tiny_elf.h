// Minimal guest images built in memory: one PT_LOAD (R+X) holding the ELF header, the program
// header and the code, entry at the code's first byte, no Dk note. Enough to run raw x86-64
// bytes under the emulator without a guest toolchain.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace dk::fuzz {

inline constexpr uint64_t kTinyBase = 0x400000;
inline constexpr uint64_t kTinyCode = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);

inline std::vector<uint8_t> tiny_elf(std::span<const uint8_t> code) {
  std::vector<uint8_t> out(kTinyCode + code.size());
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = kTinyBase + kTinyCode;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_flags = PF_R | PF_X;
  ph.p_offset = 0;
  ph.p_vaddr = ph.p_paddr = kTinyBase;
  ph.p_filesz = ph.p_memsz = out.size();
  ph.p_align = 4096;
  std::memcpy(out.data(), &eh, sizeof eh);
  std::memcpy(out.data() + sizeof eh, &ph, sizeof ph);
  if (!code.empty()) std::memcpy(out.data() + kTinyCode, code.data(), code.size());
  return out;
}

// The sibling: DkDebugOutput("sibling ok\n"), then DkProcessExit(42).
inline std::vector<uint8_t> tiny_hello() {
  static const char kMsg[] = "sibling ok\n";
  std::vector<uint8_t> code = {
      0x48, 0x8d, 0x3d, 0x1a, 0x00, 0x00, 0x00,  // lea rdi, [rip + 0x1a]  (the message)
      0xbe, sizeof kMsg - 1, 0x00, 0x00, 0x00,   // mov esi, len
      0xb8, 0x2d, 0xd0, 0x00, 0x00,              // mov eax, DK_CALL_DkDebugOutput
      0x0f, 0x05,                                // syscall
      0xbf, 0x2a, 0x00, 0x00, 0x00,              // mov edi, 42
      0xb8, 0x12, 0xd0, 0x00, 0x00,              // mov eax, DK_CALL_DkProcessExit
      0x0f, 0x05,                                // syscall
      0x0f, 0x0b,                                // ud2: never reached
  };
  code.insert(code.end(), kMsg, kMsg + sizeof kMsg - 1);
  return tiny_elf(code);
}

}  // namespace dk::fuzz
