// fuzz_elf: ElfImage::parse on arbitrary bytes. Only ElfError may escape; an image it
// accepts must satisfy the load plan's promises (the loader trusts them unchecked). The
// profiler's symbol reader (dk/perf/symbols.h) reads the same bytes, accepted or not: it
// never throws, and whatever it finds, a lookup lands on a symbol it holds.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dk/elf_image.h"
#include "dk/perf/symbols.h"
#include "fuzz_input.h"

namespace dk::fuzz {

inline void check_load_plan(const ElfImage& img) {
  constexpr uint64_t kPage = 4096;
  if (img.segments.empty()) finding("accepted an image with no PT_LOAD");
  if (img.min_vaddr % kPage || img.max_vaddr % kPage || img.min_vaddr >= img.max_vaddr)
    finding("min_vaddr/max_vaddr not page-aligned or empty");
  bool entry_ok = false;
  uint64_t prev_end = 0;
  for (size_t i = 0; i < img.segments.size(); ++i) {
    const ElfSegment& s = img.segments[i];
    if (s.memsz == 0 || s.filesz > s.memsz) finding("segment sizes: filesz > memsz or memsz 0");
    if (s.offset > img.bytes.size() || s.filesz > img.bytes.size() - s.offset)
      finding("segment file range past the end of the image");
    if (s.vaddr + s.memsz < s.vaddr) finding("segment end wraps");
    if (s.vaddr < img.min_vaddr || s.vaddr + s.memsz > img.max_vaddr)
      finding("segment outside [min_vaddr, max_vaddr)");
    const uint64_t page = s.vaddr & ~(kPage - 1);
    if (i > 0 && page < prev_end) finding("segments overlap or are out of order");
    prev_end = (s.vaddr + s.memsz + kPage - 1) & ~(kPage - 1);
    if ((s.prot & DK_PROT_EXEC) && img.entry >= s.vaddr && img.entry - s.vaddr < s.memsz)
      entry_ok = true;
  }
  if (!entry_ok) finding("entry not inside an executable segment");
  if (img.pie) {
    if (img.max_vaddr - img.min_vaddr > DK_USER_HIGH - DK_USER_LOW) finding("PIE span too big");
  } else if (img.min_vaddr < DK_USER_LOW || img.max_vaddr > DK_USER_HIGH) {
    finding("fixed image outside the user range");
  }
  if (img.note && img.note->abi_major != DK_ABI_MAJOR) finding("accepted a note of another ABI");
}

inline void fuzz_symbols(const std::vector<uint8_t>& bytes) {
  const perf::SymbolTable t = perf::SymbolTable::from_elf(bytes);
  if (t.size() > bytes.size() / 24) finding("more symbols than the file could hold");
  for (const uint64_t a : {uint64_t{0}, uint64_t{0x401000}, uint64_t{1} << 47, ~uint64_t{0}}) {
    const perf::Symbol* s = t.find(a);
    if (s && (s->addr > a || s->name.empty())) finding("a lookup found a symbol above the address");
  }
}

inline void fuzz_elf(std::span<const uint8_t> data) {
  fuzz_symbols(std::vector<uint8_t>(data.begin(), data.end()));
  try {
    ElfImage img = ElfImage::parse(std::vector<uint8_t>(data.begin(), data.end()));
    if (img.bytes.size() != data.size()) finding("image bytes differ from the input");
    check_load_plan(img);
  } catch (const ElfError&) {
  }
}

}  // namespace dk::fuzz
