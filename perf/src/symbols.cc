// ELF64 little-endian .symtab reading, checked at every step (dk/perf/symbols.h).
#include "dk/perf/symbols.h"

#include <algorithm>
#include <cstring>
#include <elf.h>

namespace dk::perf {
namespace {

// A record of T at `off` when all of it lies inside the file.
template <class T>
bool read_at(const std::vector<uint8_t>& b, uint64_t off, T& out) {
  if (off > b.size() || sizeof(T) > b.size() - off) return false;
  std::memcpy(&out, b.data() + off, sizeof(T));
  return true;
}

constexpr size_t kMaxName = 256;   // longer names are cut
constexpr size_t kMaxSymbols = 1 << 20;

}  // namespace

SymbolTable SymbolTable::from_elf(const std::vector<uint8_t>& b) {
  SymbolTable t;
  Elf64_Ehdr eh;
  if (!read_at(b, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0)
    return t;
  auto section = [&](uint32_t i, Elf64_Shdr& sh) {
    return i < eh.e_shnum && read_at(b, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), sh);
  };
  for (uint32_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sym, str;
    if (!section(i, sym) || sym.sh_type != SHT_SYMTAB) continue;
    if (sym.sh_entsize != sizeof(Elf64_Sym) || !section(sym.sh_link, str) ||
        str.sh_type != SHT_STRTAB || sym.sh_offset > b.size() ||
        sym.sh_size > b.size() - sym.sh_offset || str.sh_offset > b.size() ||
        str.sh_size > b.size() - str.sh_offset)
      return t;
    const uint64_t n = std::min<uint64_t>(sym.sh_size / sizeof(Elf64_Sym), kMaxSymbols);
    for (uint64_t k = 1; k < n; ++k) {  // entry 0 is the null symbol
      Elf64_Sym s;
      if (!read_at(b, sym.sh_offset + k * sizeof(Elf64_Sym), s)) break;
      const unsigned type = ELF64_ST_TYPE(s.st_info);
      if ((type != STT_FUNC && type != STT_NOTYPE) || s.st_shndx == SHN_UNDEF ||
          s.st_shndx == SHN_ABS || s.st_shndx >= SHN_LORESERVE || s.st_name >= str.sh_size)
        continue;
      const char* name = reinterpret_cast<const char*>(b.data() + str.sh_offset + s.st_name);
      const size_t room = std::min<uint64_t>(str.sh_size - s.st_name, kMaxName);
      const size_t len = strnlen(name, room);
      if (len == 0) continue;
      // Local labels of assembly (.L...) and section markers are not functions.
      if (name[0] == '.' || (type == STT_NOTYPE && name[0] == '$')) continue;
      t.symbols_.push_back(Symbol{s.st_value, s.st_size, std::string(name, len)});
    }
    break;  // one symbol table per image
  }
  // By address; at one address, a sized symbol (a function) before an unsized one (a label).
  std::sort(t.symbols_.begin(), t.symbols_.end(), [](const Symbol& x, const Symbol& y) {
    if (x.addr != y.addr) return x.addr < y.addr;
    if ((x.size != 0) != (y.size != 0)) return x.size != 0;
    return x.name < y.name;
  });
  t.symbols_.erase(std::unique(t.symbols_.begin(), t.symbols_.end(),
                               [](const Symbol& x, const Symbol& y) { return x.addr == y.addr; }),
                   t.symbols_.end());
  return t;
}

const Symbol* SymbolTable::find(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return nullptr;
  const Symbol& s = *(it - 1);
  if (s.size != 0) return addr - s.addr < s.size ? &s : nullptr;
  return &s;  // unsized: up to the next symbol, which upper_bound already placed past addr
}

}  // namespace dk::perf
