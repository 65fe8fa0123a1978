// Parsing and checking of guest ELF images. This is the trust line for image bytes: every
// field the loader will use is checked here, once, and anything malformed is refused with an
// ElfError (this module reports errors by exception throughout).
//
// Policy beyond the ELF rules:
//  - Section headers are never read; loading needs only the program headers.
//  - PT_INTERP is refused (dynamically linked) and so is PT_TLS (the guest sets up its own fs
//    base; the host provides no TLS block).
//  - PT_DYNAMIC is ignored, so a static-pie is accepted: the host only picks the load bias,
//    and the image's start code applies its own relative relocations, if it has any.
//  - A PT_LOAD with p_memsz 0 occupies nothing and is skipped once its fields are checked.
//  - Notes are read from PT_NOTE segments with 4-byte padding, or 8-byte when p_align is 8
//    (as .note.gnu.property is laid out).

#include "dk/elf_image.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace dk {
namespace {

// Headers are copied out of the byte buffer as the host's own structs.
static_assert(std::endian::native == std::endian::little, "ELF images are read as little-endian");

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxImageBytes = 256ull << 20;
// Past this, rounding an end address up to a page would wrap.
constexpr uint64_t kMaxEnd = std::numeric_limits<uint64_t>::max() - (kPage - 1);
constexpr uint32_t kDkNoteType = 1;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string dec(uint64_t v) { return std::to_string(v); }

[[noreturn]] void fail(const std::string& what) { throw ElfError("ELF: " + what); }

// Callers check that [off, off + sizeof(T)) lies inside `bytes`.
template <class T>
T read_at(const std::vector<uint8_t>& bytes, uint64_t off) {
  T value;
  std::memcpy(&value, bytes.data() + off, sizeof value);
  return value;
}

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }  // v <= kMaxEnd

// Fits [off, off + len) inside a buffer of `size` bytes, without overflowing.
bool fits(uint64_t off, uint64_t len, uint64_t size) { return off <= size && len <= size - off; }

std::string ph_name(const char* type, size_t index) {
  return std::string(type) + " (program header " + dec(index) + ")";
}

void check_header(const Elf64_Ehdr& eh, uint64_t size) {
  const unsigned char* id = eh.e_ident;
  if (id[EI_MAG0] != ELFMAG0 || id[EI_MAG1] != ELFMAG1 || id[EI_MAG2] != ELFMAG2 ||
      id[EI_MAG3] != ELFMAG3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "bad magic %02x %02x %02x %02x (want 7f 45 4c 46)", id[0], id[1],
                  id[2], id[3]);
    fail(buf);
  }
  if (id[EI_CLASS] != ELFCLASS64)
    fail("EI_CLASS " + dec(id[EI_CLASS]) + " is not ELFCLASS64 (2); only 64-bit images run");
  if (id[EI_DATA] != ELFDATA2LSB)
    fail("EI_DATA " + dec(id[EI_DATA]) + " is not ELFDATA2LSB (1); images are little-endian");
  if (id[EI_VERSION] != EV_CURRENT)
    fail("EI_VERSION " + dec(id[EI_VERSION]) + " is not EV_CURRENT (1)");
  if (id[EI_OSABI] != ELFOSABI_SYSV && id[EI_OSABI] != ELFOSABI_GNU)
    fail("EI_OSABI " + dec(id[EI_OSABI]) + " is neither ELFOSABI_SYSV (0) nor ELFOSABI_GNU (3)");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    fail("e_type " + dec(eh.e_type) + " is neither ET_EXEC (2) nor ET_DYN (3)");
  if (eh.e_machine != EM_X86_64) fail("e_machine " + dec(eh.e_machine) + " is not EM_X86_64 (62)");
  if (eh.e_version != EV_CURRENT) fail("e_version " + dec(eh.e_version) + " is not EV_CURRENT (1)");
  if (eh.e_ehsize != sizeof(Elf64_Ehdr))
    fail("e_ehsize " + dec(eh.e_ehsize) + " is not " + dec(sizeof(Elf64_Ehdr)));
  if (eh.e_phnum == 0) fail("e_phnum is 0: the image has no program headers");
  if (eh.e_phnum == PN_XNUM)
    fail("e_phnum " + hex(PN_XNUM) + " (PN_XNUM, extended numbering) is not supported");
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    fail("e_phentsize " + dec(eh.e_phentsize) + " is not " + dec(sizeof(Elf64_Phdr)));
  if (!fits(eh.e_phoff, uint64_t{sizeof(Elf64_Phdr)} * eh.e_phnum, size))
    fail("e_phoff " + hex(eh.e_phoff) + " + " + dec(sizeof(Elf64_Phdr)) + "*e_phnum (" +
         dec(eh.e_phnum) + ") runs past the end of the file (size " + dec(size) + ")");
}

// Checks one PT_LOAD on its own; ordering and range are checked over all of them later.
ElfSegment check_load(const Elf64_Phdr& ph, size_t index, uint64_t size) {
  const std::string where = ph_name("PT_LOAD", index);
  if (ph.p_filesz > ph.p_memsz)
    fail(where + ": p_filesz " + hex(ph.p_filesz) + " exceeds p_memsz " + hex(ph.p_memsz));
  if (!fits(ph.p_offset, ph.p_filesz, size))
    fail(where + ": p_offset " + hex(ph.p_offset) + " + p_filesz " + hex(ph.p_filesz) +
         " runs past the end of the file (size " + dec(size) + ")");
  // 0 and 1 both mean "no constraint"; the page rule below still applies.
  if (ph.p_align > 1) {
    if (!std::has_single_bit(ph.p_align))
      fail(where + ": p_align " + hex(ph.p_align) + " is not a power of two");
    if (ph.p_align < kPage)
      fail(where + ": p_align " + hex(ph.p_align) + " is below the page size " + hex(kPage));
  }
  if (ph.p_vaddr % kPage != ph.p_offset % kPage)
    fail(where + ": p_vaddr " + hex(ph.p_vaddr) + " and p_offset " + hex(ph.p_offset) +
         " differ modulo the page size " + hex(kPage));
  if (ph.p_vaddr > kMaxEnd || ph.p_memsz > kMaxEnd - ph.p_vaddr)
    fail(where + ": p_vaddr " + hex(ph.p_vaddr) + " + p_memsz " + hex(ph.p_memsz) +
         " overflows the address space");
  ElfSegment seg;
  seg.vaddr = ph.p_vaddr;
  seg.memsz = ph.p_memsz;
  seg.filesz = ph.p_filesz;
  seg.offset = ph.p_offset;
  if (ph.p_flags & PF_R) seg.prot |= DK_PROT_READ;
  if (ph.p_flags & PF_W) seg.prot |= DK_PROT_WRITE;
  if (ph.p_flags & PF_X) seg.prot |= DK_PROT_EXEC;
  return seg;
}

// Segments arrive in program-header order, each with its program-header index alongside.
void check_layout(const std::vector<ElfSegment>& segs, const std::vector<size_t>& index, bool pie) {
  if (segs.empty()) fail("no PT_LOAD segment with p_memsz > 0: nothing to load");
  for (size_t i = 1; i < segs.size(); ++i) {
    const ElfSegment& prev = segs[i - 1];
    const ElfSegment& cur = segs[i];
    const std::string where = ph_name("PT_LOAD", index[i]);
    if (cur.vaddr < prev.vaddr)
      fail(where + ": p_vaddr " + hex(cur.vaddr) + " is below the previous PT_LOAD's " +
           hex(prev.vaddr) + "; PT_LOAD segments must be in ascending p_vaddr order");
    const uint64_t prev_end = page_up(prev.vaddr + prev.memsz);
    if (page_down(cur.vaddr) < prev_end)
      fail(where + ": p_vaddr " + hex(cur.vaddr) + " overlaps the pages of the previous PT_LOAD" +
           " (which end at " + hex(prev_end) + ")");
  }
  const uint64_t lo = page_down(segs.front().vaddr);
  const uint64_t hi = page_up(segs.back().vaddr + segs.back().memsz);
  if (pie) {
    if (hi - lo > DK_USER_HIGH - DK_USER_LOW)
      fail("PT_LOAD span " + hex(hi - lo) + " bytes does not fit the user range [" +
           hex(DK_USER_LOW) + ", " + hex(DK_USER_HIGH) + ")");
  } else if (lo < DK_USER_LOW || hi > DK_USER_HIGH) {
    fail("PT_LOAD span [" + hex(lo) + ", " + hex(hi) + ") lies outside the user range [" +
         hex(DK_USER_LOW) + ", " + hex(DK_USER_HIGH) + ")");
  }
}

bool in_exec_segment(const std::vector<ElfSegment>& segs, uint64_t addr) {
  for (const ElfSegment& s : segs)
    if ((s.prot & DK_PROT_EXEC) && addr >= s.vaddr && addr - s.vaddr < s.memsz) return true;
  return false;
}

// Walks the notes of one PT_NOTE segment, keeping the Dk note if there is one.
void scan_notes(const std::vector<uint8_t>& bytes, const Elf64_Phdr& ph, size_t index,
                std::optional<dk_image_note>& note) {
  const std::string where = ph_name("PT_NOTE", index);
  if (!fits(ph.p_offset, ph.p_filesz, bytes.size()))
    fail(where + ": p_offset " + hex(ph.p_offset) + " + p_filesz " + hex(ph.p_filesz) +
         " runs past the end of the file (size " + dec(bytes.size()) + ")");
  uint64_t pad;
  if (ph.p_align <= 4)
    pad = 4;
  else if (ph.p_align == 8)
    pad = 8;
  else
    fail(where + ": p_align " + hex(ph.p_align) + " is not 4 or 8");
  auto padded = [pad](uint64_t n) { return (n + pad - 1) & ~(pad - 1); };

  const uint64_t end = ph.p_offset + ph.p_filesz;
  uint64_t at = ph.p_offset;
  while (at < end) {
    const uint64_t left = end - at;
    const std::string here = where + ": note at file offset " + hex(at);
    if (left < sizeof(Elf64_Nhdr))
      fail(here + ": " + dec(left) + " trailing bytes are too short for a note header");
    const auto nh = read_at<Elf64_Nhdr>(bytes, at);
    const uint64_t name_at = at + sizeof(Elf64_Nhdr);
    // The descriptor starts at the next boundary after header + name (as the kernel reads
    // notes): with 8-byte notes, "Dk\0" after the 12-byte header pads to offset 16, not 20.
    const uint64_t name_room = padded(sizeof(Elf64_Nhdr) + nh.n_namesz) - sizeof(Elf64_Nhdr);
    if (name_room > end - name_at)
      fail(here + ": n_namesz " + dec(nh.n_namesz) + " runs past the end of the segment");
    const uint64_t desc_at = name_at + name_room;
    if (nh.n_descsz > end - desc_at)
      fail(here + ": n_descsz " + dec(nh.n_descsz) + " runs past the end of the segment");

    const bool is_dk = nh.n_namesz == 3 && std::memcmp(bytes.data() + name_at, "Dk", 3) == 0;
    if (is_dk && nh.n_type == kDkNoteType) {
      if (nh.n_descsz != sizeof(dk_image_note))
        fail(here + ": Dk note n_descsz " + dec(nh.n_descsz) + " is not " +
             dec(sizeof(dk_image_note)) + " (sizeof dk_image_note)");
      if (note) fail(here + ": a second Dk note; an image carries exactly one");
      note = read_at<dk_image_note>(bytes, desc_at);
    }
    // The last note's padding may be cut off by the segment's end.
    const uint64_t desc_room = padded(nh.n_descsz);
    at = desc_room >= end - desc_at ? end : desc_at + desc_room;
  }
}

void check_note(const dk_image_note& note, const std::vector<ElfSegment>& segs) {
  if (note.abi_major != DK_ABI_MAJOR)
    throw ElfError("image needs Dk ABI " + dec(note.abi_major) + ".x; this host implements " +
                   dec(DK_ABI_MAJOR) + ".x");
  if (note.thread_start != 0 && !in_exec_segment(segs, note.thread_start))
    fail("Dk note thread_start " + hex(note.thread_start) +
         " is not inside an executable PT_LOAD segment");
  if (note.exception_dispatch != 0 && !in_exec_segment(segs, note.exception_dispatch))
    fail("Dk note exception_dispatch " + hex(note.exception_dispatch) +
         " is not inside an executable PT_LOAD segment");
}

}  // namespace

ElfImage ElfImage::parse(std::vector<uint8_t> bytes) {
  const uint64_t size = bytes.size();
  if (size == 0) fail("empty file");
  if (size < sizeof(Elf64_Ehdr))
    fail("file is " + dec(size) + " bytes, shorter than the " + dec(sizeof(Elf64_Ehdr)) +
         "-byte ELF header");
  const auto eh = read_at<Elf64_Ehdr>(bytes, 0);
  check_header(eh, size);

  ElfImage image;
  image.pie = eh.e_type == ET_DYN;
  image.entry = eh.e_entry;
  std::vector<size_t> load_index;
  std::vector<size_t> note_index;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    const auto ph = read_at<Elf64_Phdr>(bytes, eh.e_phoff + i * sizeof(Elf64_Phdr));
    switch (ph.p_type) {
      case PT_LOAD: {
        ElfSegment seg = check_load(ph, i, size);
        if (seg.memsz == 0) break;
        image.segments.push_back(seg);
        load_index.push_back(i);
        break;
      }
      case PT_INTERP:
        fail(ph_name("PT_INTERP", i) + ": the image is dynamically linked; Dk images are static");
      case PT_TLS:
        fail(ph_name("PT_TLS", i) + ": thread-local storage is not supported; the image sets up " +
             "its own fs base");
      case PT_NOTE:
        note_index.push_back(i);
        break;
      default:
        break;  // PT_PHDR, PT_DYNAMIC, PT_GNU_STACK and the like need nothing from the host.
    }
  }
  check_layout(image.segments, load_index, image.pie);
  image.min_vaddr = page_down(image.segments.front().vaddr);
  image.max_vaddr = page_up(image.segments.back().vaddr + image.segments.back().memsz);

  if (!in_exec_segment(image.segments, image.entry))
    fail("e_entry " + hex(image.entry) + " is not inside an executable PT_LOAD segment");

  for (size_t i : note_index)
    scan_notes(bytes, read_at<Elf64_Phdr>(bytes, eh.e_phoff + i * sizeof(Elf64_Phdr)), i,
               image.note);
  if (image.note) check_note(*image.note, image.segments);

  image.bytes = std::move(bytes);
  return image;
}

ElfImage ElfImage::load_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ElfError("ELF: cannot open " + path + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw ElfError("ELF: cannot stat " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ElfError("ELF: " + path + " is not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) throw ElfError("ELF: " + path + ": empty file");
  if (size > kMaxImageBytes)
    throw ElfError("ELF: " + path + " is " + dec(size) + " bytes, over the " +
                   dec(kMaxImageBytes >> 20) + " MiB image limit");

  std::vector<uint8_t> bytes(size);
  uint64_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, bytes.data() + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ElfError("ELF: cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0)
      throw ElfError("ELF: " + path + " shrank while being read (" + dec(got) + " of " + dec(size) +
                     " bytes)");
    got += static_cast<uint64_t>(n);
  }
  try {
    return parse(std::move(bytes));
  } catch (const ElfError& e) {
    throw ElfError(path + ": " + e.what());
  }
}

}  // namespace dk
