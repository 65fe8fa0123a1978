// Generated instruction streams (streams.h).
#include "streams.h"

#include <elf.h>

#include <cstring>
#include <stdexcept>

#include "dk/abi.h"

namespace dk::escape {

Stream::Stream() = default;

Stream& Stream::bytes(std::initializer_list<uint8_t> b) {
  code_.insert(code_.end(), b);
  return *this;
}

Stream& Stream::mov(Reg r, uint64_t imm) {
  code_.push_back(r >= R8 ? 0x49 : 0x48);
  code_.push_back(static_cast<uint8_t>(0xb8 + (r & 7)));
  for (int i = 0; i < 8; ++i) code_.push_back(static_cast<uint8_t>(imm >> (8 * i)));
  return *this;
}

uint64_t Stream::data(std::string_view s) {
  const uint64_t at = kStreamBase + kStreamDataOff + data_.size();
  data_.insert(data_.end(), s.begin(), s.end());
  data_.push_back(0);
  while (data_.size() % 8) data_.push_back(0);
  return at;
}

uint64_t Stream::pointers(const std::vector<uint64_t>& p, bool wide) {
  const uint64_t at = kStreamBase + kStreamDataOff + data_.size();
  for (uint64_t v : p)
    for (int i = 0; i < (wide ? 8 : 4); ++i) data_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  while (data_.size() % 8) data_.push_back(0);
  return at;
}

Stream& Stream::exit(int64_t code) {
  mov(RDI, static_cast<uint64_t>(code));
  mov(RAX, DK_CALL_DkProcessExit);
  return bytes({0x0f, 0x05, 0x0f, 0x0b});
}

std::vector<uint8_t> Stream::image() const {
  if (kStreamCodeOff + code_.size() > kStreamDataOff || kStreamDataOff + data_.size() > kStreamSize)
    throw std::logic_error("generated stream too large");
  std::vector<uint8_t> out(kStreamSize, 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = kStreamBase + kStreamCodeOff;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_flags = PF_R | PF_X;
  ph.p_vaddr = ph.p_paddr = kStreamBase;
  ph.p_filesz = ph.p_memsz = kStreamSize;
  ph.p_align = 4096;
  std::memcpy(out.data(), &eh, sizeof eh);
  std::memcpy(out.data() + sizeof eh, &ph, sizeof ph);
  // An empty vector's data() may be null, which memcpy must never get, even for 0 bytes.
  if (!code_.empty()) std::memcpy(out.data() + kStreamCodeOff, code_.data(), code_.size());
  if (!data_.empty()) std::memcpy(out.data() + kStreamDataOff, data_.data(), data_.size());
  return out;
}

}  // namespace dk::escape
