// The function symbols of a guest image, to name the code a profile counted. Images come from
// outside (guest files, packages): the reader checks every offset, size and index against the
// file and keeps what is sound; a malformed or missing symbol table gives an empty table,
// never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dk::perf {

struct Symbol {
  uint64_t addr = 0;  // as linked
  uint64_t size = 0;  // 0: unknown, reaches to the next symbol
  std::string name;
};

class SymbolTable {
 public:
  // The STT_FUNC and STT_NOTYPE symbols of the ELF's .symtab that are defined in a section
  // (assembly entry points often have no type or size).
  static SymbolTable from_elf(const std::vector<uint8_t>& bytes);

  // The symbol whose code holds `addr` (as linked): the highest one at or below it, if
  // `addr` is within its size, or before the next symbol when its size is unknown. nullptr
  // when none does.
  const Symbol* find(uint64_t addr) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;  // by address
};

}  // namespace dk::perf
