// The ELF loader's parsing half: turns untrusted image bytes into a checked load plan
// (segments, entry, the Dk note). It never touches an address space; every malformed input
// is refused with an ElfError whose message names the field and the offending value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/abi.h"

namespace dk {

class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElfSegment {
  uint64_t vaddr = 0;   // as linked (add the load bias for a PIE)
  uint64_t memsz = 0;
  uint64_t filesz = 0;
  uint64_t offset = 0;  // file offset of the first byte
  uint32_t prot = 0;    // DK_PROT_READ | WRITE | EXEC, from p_flags
};

struct ElfImage {
  bool pie = false;            // ET_DYN: the host picks the bias
  uint64_t entry = 0;          // as linked
  uint64_t min_vaddr = 0;      // page-aligned down, lowest PT_LOAD
  uint64_t max_vaddr = 0;      // page-aligned up, end of the highest PT_LOAD
  std::vector<ElfSegment> segments;  // PT_LOAD, sorted by vaddr, non-overlapping pages
  std::optional<dk_image_note> note; // the "Dk" note, if present
  std::vector<uint8_t> bytes;        // the whole file, for copying segments

  // Parses and checks; throws ElfError. `bias` rules for PIE are the loader's.
  static ElfImage parse(std::vector<uint8_t> bytes);
  static ElfImage load_file(const std::string& path);  // ElfError also for I/O errors
};

}  // namespace dk
