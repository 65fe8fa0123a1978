// ElfImage::parse and load_file: a good ET_EXEC and ET_DYN parse to the expected plan, every
// malformed field is refused with an ElfError naming it, and no single-byte corruption or
// truncation of a good image gets past the parser as anything but an ElfError.

#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>

#include "dk/elf_image.h"

namespace dk {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kBase = 0x400000;
constexpr uint64_t kNoteOff = 0x800;
constexpr uint64_t kCodeOff = 0x1000;
constexpr uint64_t kDataOff = 0x2000;
constexpr uint64_t kFileSize = 0x2080;

// An image kept as editable headers plus file contents; bytes() lays the headers over the
// contents. Program headers: 0 R (headers + note), 1 RX (code), 2 RW (data + bss), 3 PT_NOTE.
struct TestImage {
  Elf64_Ehdr eh{};
  std::vector<Elf64_Phdr> ph;
  std::vector<uint8_t> file;

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = file;
    std::memcpy(out.data(), &eh, sizeof eh);
    const size_t at = eh.e_phoff;
    const size_t len = ph.size() * sizeof(Elf64_Phdr);
    if (out.size() < at + len) out.resize(at + len);
    if (len != 0) std::memcpy(out.data() + at, ph.data(), len);
    return out;
  }

  Elf64_Phdr& load(size_t i) { return ph.at(i); }
  Elf64_Phdr& note_ph() { return ph.at(3); }

  // Writes one note at `off` with 4-byte padding; returns the bytes written.
  uint64_t put_note(uint64_t off, const std::string& name_with_nul, uint32_t type,
                    const std::vector<uint8_t>& desc) {
    Elf64_Nhdr nh{static_cast<Elf64_Word>(name_with_nul.size()),
                  static_cast<Elf64_Word>(desc.size()), type};
    auto pad4 = [](uint64_t n) { return (n + 3) & ~uint64_t{3}; };
    const uint64_t total = sizeof nh + pad4(nh.n_namesz) + pad4(nh.n_descsz);
    if (file.size() < off + total) file.resize(off + total);
    std::memcpy(file.data() + off, &nh, sizeof nh);
    std::memcpy(file.data() + off + sizeof nh, name_with_nul.data(), name_with_nul.size());
    if (!desc.empty())
      std::memcpy(file.data() + off + sizeof nh + pad4(nh.n_namesz), desc.data(), desc.size());
    return total;
  }

  void set_dk_note(const dk_image_note& n) {
    std::vector<uint8_t> desc(sizeof n);
    std::memcpy(desc.data(), &n, sizeof n);
    note_ph().p_filesz = put_note(kNoteOff, std::string("Dk", 3), 1, desc);
  }
};

Elf64_Phdr phdr(uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr, uint64_t filesz,
                uint64_t memsz, uint64_t align) {
  Elf64_Phdr p{};
  p.p_type = type;
  p.p_flags = flags;
  p.p_offset = off;
  p.p_vaddr = vaddr;
  p.p_paddr = vaddr;
  p.p_filesz = filesz;
  p.p_memsz = memsz;
  p.p_align = align;
  return p;
}

dk_image_note good_note(uint64_t base) {
  dk_image_note n{};
  n.abi_major = DK_ABI_MAJOR;
  n.abi_minor = DK_ABI_MINOR;
  n.thread_start = base + 0x1010;
  n.exception_dispatch = base + 0x1020;
  n.flags = 0;
  return n;
}

TestImage good_image(bool pie) {
  const uint64_t base = pie ? 0 : kBase;
  TestImage img;
  img.file.assign(kFileSize, 0);
  std::memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
  img.eh.e_ident[EI_CLASS] = ELFCLASS64;
  img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
  img.eh.e_ident[EI_VERSION] = EV_CURRENT;
  img.eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  img.eh.e_type = pie ? ET_DYN : ET_EXEC;
  img.eh.e_machine = EM_X86_64;
  img.eh.e_version = EV_CURRENT;
  img.eh.e_entry = base + 0x1000;
  img.eh.e_phoff = sizeof(Elf64_Ehdr);
  img.eh.e_ehsize = sizeof(Elf64_Ehdr);
  img.eh.e_phentsize = sizeof(Elf64_Phdr);
  img.ph = {
      phdr(PT_LOAD, PF_R, 0, base, 0x1000, 0x1000, 0x1000),
      phdr(PT_LOAD, PF_R | PF_X, kCodeOff, base + 0x1000, 0x100, 0x100, 0x1000),
      phdr(PT_LOAD, PF_R | PF_W, kDataOff, base + 0x2000, 0x80, 0x2000, 0x1000),
      phdr(PT_NOTE, PF_R, kNoteOff, base + kNoteOff, 0, 0, 4),
  };
  img.eh.e_phnum = static_cast<Elf64_Half>(img.ph.size());
  // Code: nops then ret, so the entry and upcall addresses point at real instructions.
  std::memset(img.file.data() + kCodeOff, 0x90, 0x100);
  img.file[kCodeOff + 0xff] = 0xc3;
  std::memset(img.file.data() + kDataOff, 0x5a, 0x80);
  img.set_dk_note(good_note(base));
  return img;
}

// What parse says about `bytes`: the ElfError message, or "<parsed>".
std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    ElfImage::parse(bytes);
  } catch (const ElfError& e) {
    return e.what();
  }
  return "<parsed>";
}

std::string parse_error(const TestImage& img) { return parse_error(img.bytes()); }

// ---- Good images ----

TEST(ElfImage, GoodExecutableParses) {
  const TestImage img = good_image(false);
  const ElfImage im = ElfImage::parse(img.bytes());
  EXPECT_FALSE(im.pie);
  EXPECT_EQ(im.entry, kBase + 0x1000);
  EXPECT_EQ(im.min_vaddr, kBase);
  EXPECT_EQ(im.max_vaddr, kBase + 0x4000);
  ASSERT_EQ(im.segments.size(), 3u);
  EXPECT_EQ(im.segments[0].vaddr, kBase);
  EXPECT_EQ(im.segments[0].prot, DK_PROT_READ);
  EXPECT_EQ(im.segments[1].vaddr, kBase + 0x1000);
  EXPECT_EQ(im.segments[1].offset, kCodeOff);
  EXPECT_EQ(im.segments[1].filesz, 0x100u);
  EXPECT_EQ(im.segments[1].prot, DK_PROT_READ | DK_PROT_EXEC);
  EXPECT_EQ(im.segments[2].filesz, 0x80u);
  EXPECT_EQ(im.segments[2].memsz, 0x2000u);
  EXPECT_EQ(im.segments[2].prot, DK_PROT_READ | DK_PROT_WRITE);
  ASSERT_TRUE(im.note.has_value());
  EXPECT_EQ(im.note->abi_major, DK_ABI_MAJOR);
  EXPECT_EQ(im.note->thread_start, kBase + 0x1010);
  EXPECT_EQ(im.note->exception_dispatch, kBase + 0x1020);
  EXPECT_EQ(im.bytes, img.bytes());
}

TEST(ElfImage, GoodPieParses) {
  const ElfImage im = ElfImage::parse(good_image(true).bytes());
  EXPECT_TRUE(im.pie);
  EXPECT_EQ(im.entry, 0x1000u);
  EXPECT_EQ(im.min_vaddr, 0u);
  EXPECT_EQ(im.max_vaddr, 0x4000u);
  ASSERT_EQ(im.segments.size(), 3u);
  ASSERT_TRUE(im.note.has_value());
  EXPECT_EQ(im.note->thread_start, 0x1010u);
}

TEST(ElfImage, WithoutNoteTheNoteIsEmpty) {
  TestImage img = good_image(false);
  img.ph.pop_back();
  img.eh.e_phnum = 3;
  const ElfImage im = ElfImage::parse(img.bytes());
  EXPECT_FALSE(im.note.has_value());
}

TEST(ElfImage, OtherNotesBeforeTheDkNoteAreSkipped) {
  TestImage img = good_image(false);
  uint64_t len = img.put_note(kNoteOff, "GNU", NT_GNU_BUILD_ID, std::vector<uint8_t>(20, 0xab));
  std::vector<uint8_t> desc(sizeof(dk_image_note));
  const dk_image_note n = good_note(kBase);
  std::memcpy(desc.data(), &n, sizeof n);
  len += img.put_note(kNoteOff + len, std::string("Dk", 3), 1, desc);
  img.note_ph().p_filesz = len;
  const ElfImage im = ElfImage::parse(img.bytes());
  ASSERT_TRUE(im.note.has_value());
  EXPECT_EQ(im.note->exception_dispatch, kBase + 0x1020);
}

TEST(ElfImage, UpcallsOfZeroMeanNone) {
  TestImage img = good_image(false);
  dk_image_note n = good_note(kBase);
  n.thread_start = 0;
  n.exception_dispatch = 0;
  img.set_dk_note(n);
  const ElfImage im = ElfImage::parse(img.bytes());
  ASSERT_TRUE(im.note.has_value());
  EXPECT_EQ(im.note->thread_start, 0u);
}

TEST(ElfImage, AlignZeroOrOneIsAccepted) {
  TestImage img = good_image(false);
  img.load(0).p_align = 0;
  img.load(1).p_align = 1;
  EXPECT_EQ(parse_error(img), "<parsed>");
}

// ---- The file and the ELF header ----

TEST(ElfImage, EmptyFile) { EXPECT_THAT(parse_error(std::vector<uint8_t>{}), HasSubstr("empty")); }

TEST(ElfImage, TruncatedHeader) {
  std::vector<uint8_t> b = good_image(false).bytes();
  b.resize(63);
  EXPECT_THAT(parse_error(b), HasSubstr("ELF header"));
}

TEST(ElfImage, BadMagic) {
  TestImage img = good_image(false);
  img.eh.e_ident[EI_MAG3] = 'G';
  EXPECT_THAT(parse_error(img), HasSubstr("magic"));
}

TEST(ElfImage, Class32) {
  TestImage img = good_image(false);
  img.eh.e_ident[EI_CLASS] = ELFCLASS32;
  EXPECT_THAT(parse_error(img), HasSubstr("EI_CLASS 1"));
}

TEST(ElfImage, BigEndian) {
  TestImage img = good_image(false);
  img.eh.e_ident[EI_DATA] = ELFDATA2MSB;
  EXPECT_THAT(parse_error(img), HasSubstr("EI_DATA 2"));
}

TEST(ElfImage, IdentVersionAndOsAbi) {
  TestImage img = good_image(false);
  img.eh.e_ident[EI_VERSION] = 0;
  EXPECT_THAT(parse_error(img), HasSubstr("EI_VERSION"));
  img = good_image(false);
  img.eh.e_ident[EI_OSABI] = ELFOSABI_FREEBSD;
  EXPECT_THAT(parse_error(img), HasSubstr("EI_OSABI 9"));
  img = good_image(false);
  img.eh.e_version = 2;
  EXPECT_THAT(parse_error(img), HasSubstr("e_version 2"));
}

TEST(ElfImage, WrongMachine) {
  TestImage img = good_image(false);
  img.eh.e_machine = EM_AARCH64;
  EXPECT_THAT(parse_error(img), HasSubstr("e_machine 183"));
}

TEST(ElfImage, RelocatableAndCoreAreRefused) {
  TestImage img = good_image(false);
  img.eh.e_type = ET_REL;
  EXPECT_THAT(parse_error(img), HasSubstr("e_type 1"));
  img.eh.e_type = ET_CORE;
  EXPECT_THAT(parse_error(img), HasSubstr("e_type 4"));
}

TEST(ElfImage, BadEhsize) {
  TestImage img = good_image(false);
  img.eh.e_ehsize = 52;
  EXPECT_THAT(parse_error(img), HasSubstr("e_ehsize 52"));
}

TEST(ElfImage, PhoffOutOfFile) {
  TestImage img = good_image(false);
  std::vector<uint8_t> b = img.bytes();
  Elf64_Ehdr eh = img.eh;
  eh.e_phoff = kFileSize - 8;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_THAT(parse_error(b), HasSubstr("e_phoff 0x2078"));
  eh.e_phoff = ~uint64_t{0} - 8;  // would wrap when the table length is added
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_THAT(parse_error(b), HasSubstr("runs past the end of the file"));
}

TEST(ElfImage, PhnumOverflowsTheFile) {
  TestImage img = good_image(false);
  std::vector<uint8_t> b = img.bytes();
  Elf64_Ehdr eh = img.eh;
  eh.e_phnum = 0xfffe;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_THAT(parse_error(b), HasSubstr("e_phnum (65534)"));
  eh.e_phnum = PN_XNUM;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_THAT(parse_error(b), HasSubstr("PN_XNUM"));
  eh.e_phnum = 0;
  std::memcpy(b.data(), &eh, sizeof eh);
  EXPECT_THAT(parse_error(b), HasSubstr("e_phnum is 0"));
}

TEST(ElfImage, WrongPhentsize) {
  TestImage img = good_image(false);
  img.eh.e_phentsize = 32;
  EXPECT_THAT(parse_error(img), HasSubstr("e_phentsize 32"));
}

// ---- PT_LOAD ----

TEST(ElfImage, FileszAboveMemsz) {
  TestImage img = good_image(false);
  img.load(2).p_filesz = 0x2001;
  EXPECT_THAT(parse_error(img), HasSubstr("p_filesz 0x2001 exceeds p_memsz 0x2000"));
}

TEST(ElfImage, SegmentOffsetPastEnd) {
  TestImage img = good_image(false);
  img.load(2).p_offset = 0x3000;
  img.load(2).p_vaddr = kBase + 0x3000;
  EXPECT_THAT(parse_error(img), HasSubstr("p_offset 0x3000 + p_filesz 0x80 runs past"));
  img = good_image(false);
  img.load(2).p_filesz = 0x81;
  EXPECT_THAT(parse_error(img), HasSubstr("PT_LOAD (program header 2): p_offset"));
  img = good_image(false);
  img.load(2).p_offset = ~uint64_t{0} - 0x10;  // offset + filesz wraps
  EXPECT_THAT(parse_error(img), HasSubstr("p_offset"));
}

TEST(ElfImage, VaddrOffsetMisaligned) {
  TestImage img = good_image(false);
  img.load(1).p_vaddr = kBase + 0x1008;
  img.eh.e_entry = kBase + 0x1008;
  EXPECT_THAT(parse_error(img), HasSubstr("differ modulo the page size"));
}

TEST(ElfImage, BadAlign) {
  TestImage img = good_image(false);
  img.load(1).p_align = 0x3000;
  EXPECT_THAT(parse_error(img), HasSubstr("p_align 0x3000 is not a power of two"));
  img.load(1).p_align = 0x800;
  EXPECT_THAT(parse_error(img), HasSubstr("p_align 0x800 is below the page size"));
}

TEST(ElfImage, OverlappingSegments) {
  TestImage img = good_image(false);
  img.load(1).p_memsz = 0x1001;  // reaches into the data segment's first page
  EXPECT_THAT(parse_error(img), HasSubstr("overlaps the pages of the previous PT_LOAD"));
  img = good_image(false);
  img.load(2).p_vaddr = kBase + 0x1000 + 0x80;  // same page as the code, misaligned anyway
  img.load(2).p_offset = kDataOff + 0x80;
  img.load(2).p_filesz = 0;
  EXPECT_THAT(parse_error(img), HasSubstr("overlaps the pages"));
}

TEST(ElfImage, SegmentsOutOfOrder) {
  TestImage img = good_image(false);
  std::swap(img.ph[1], img.ph[2]);
  EXPECT_THAT(parse_error(img), HasSubstr("ascending p_vaddr order"));
}

TEST(ElfImage, AddressOverflow) {
  TestImage img = good_image(true);
  img.load(2).p_vaddr = 0xfffffffffffff000ull;
  img.load(2).p_offset = kDataOff;
  EXPECT_THAT(parse_error(img), HasSubstr("p_vaddr 0xfffffffffffff000 + p_memsz 0x2000 overflows"));
}

TEST(ElfImage, OutsideUserRange) {
  TestImage img = good_image(false);
  img.load(0).p_vaddr = 0;  // below DK_USER_LOW
  EXPECT_THAT(parse_error(img), HasSubstr("outside the user range"));
  img = good_image(false);
  img.load(2).p_vaddr = DK_USER_HIGH - 0x1000;  // the bss runs past DK_USER_HIGH
  EXPECT_THAT(parse_error(img), HasSubstr("outside the user range"));
}

TEST(ElfImage, PieSpanMustFit) {
  TestImage img = good_image(true);
  img.load(2).p_memsz = DK_USER_HIGH;  // the span from 0 is then larger than the user range
  EXPECT_THAT(parse_error(img), HasSubstr("does not fit the user range"));
}

TEST(ElfImage, NoLoadSegment) {
  TestImage img = good_image(false);
  for (int i = 0; i < 3; ++i) img.ph[i].p_type = PT_NULL;
  EXPECT_THAT(parse_error(img), HasSubstr("no PT_LOAD"));
  img = good_image(false);
  for (int i = 0; i < 3; ++i) img.ph[i].p_memsz = img.ph[i].p_filesz = 0;
  EXPECT_THAT(parse_error(img), HasSubstr("no PT_LOAD"));
}

TEST(ElfImage, EntryOutsideExecutableSegment) {
  TestImage img = good_image(false);
  img.eh.e_entry = kBase + 0x2000;  // the data segment
  EXPECT_THAT(parse_error(img), HasSubstr("e_entry 0x402000"));
  img.eh.e_entry = kBase + 0x1100;  // just past the code
  EXPECT_THAT(parse_error(img), HasSubstr("e_entry 0x401100"));
  img.eh.e_entry = 0;
  EXPECT_THAT(parse_error(img), HasSubstr("e_entry 0x0"));
}

// ---- Other program headers ----

TEST(ElfImage, InterpIsRefused) {
  TestImage img = good_image(false);
  img.ph.push_back(phdr(PT_INTERP, PF_R, 0x200, kBase + 0x200, 28, 28, 1));
  img.eh.e_phnum = static_cast<Elf64_Half>(img.ph.size());
  EXPECT_THAT(parse_error(img), HasSubstr("PT_INTERP"));
}

TEST(ElfImage, TlsIsRefused) {
  TestImage img = good_image(false);
  img.ph.push_back(phdr(PT_TLS, PF_R, kDataOff, kBase + 0x2000, 0x10, 0x20, 8));
  img.eh.e_phnum = static_cast<Elf64_Half>(img.ph.size());
  EXPECT_THAT(parse_error(img), HasSubstr("PT_TLS"));
}

TEST(ElfImage, DynamicIsIgnoredSoStaticPieLoads) {
  TestImage img = good_image(true);
  img.ph.push_back(phdr(PT_DYNAMIC, PF_R | PF_W, kDataOff, 0x2000, 0x40, 0x40, 8));
  img.ph.push_back(phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
  img.eh.e_phnum = static_cast<Elf64_Half>(img.ph.size());
  EXPECT_EQ(parse_error(img), "<parsed>");
}

// ---- The Dk note ----

TEST(ElfImage, NoteOutOfFile) {
  TestImage img = good_image(false);
  img.note_ph().p_offset = kFileSize - 4;
  EXPECT_THAT(parse_error(img), HasSubstr("PT_NOTE (program header 3): p_offset"));
}

TEST(ElfImage, NoteNameszTooLarge) {
  TestImage img = good_image(false);
  img.put_note(kNoteOff, std::string("Dk", 3), 1, std::vector<uint8_t>(32));
  Elf64_Word namesz = 0xfffffffd;
  std::memcpy(img.file.data() + kNoteOff, &namesz, sizeof namesz);
  EXPECT_THAT(parse_error(img), HasSubstr("n_namesz 4294967293"));
}

TEST(ElfImage, NoteDescszTooLarge) {
  TestImage img = good_image(false);
  Elf64_Word descsz = 0xffffffff;
  std::memcpy(img.file.data() + kNoteOff + 4, &descsz, sizeof descsz);
  EXPECT_THAT(parse_error(img), HasSubstr("n_descsz 4294967295"));
}

TEST(ElfImage, DkNoteDescszWrong) {
  TestImage img = good_image(false);
  img.note_ph().p_filesz =
      img.put_note(kNoteOff, std::string("Dk", 3), 1, std::vector<uint8_t>(16));
  EXPECT_THAT(parse_error(img), HasSubstr("Dk note n_descsz 16 is not 32"));
}

TEST(ElfImage, NoteTrailingBytes) {
  TestImage img = good_image(false);
  img.note_ph().p_filesz += 8;
  EXPECT_THAT(parse_error(img), HasSubstr("too short for a note header"));
}

TEST(ElfImage, NoteBadAlign) {
  TestImage img = good_image(false);
  img.note_ph().p_align = 16;
  EXPECT_THAT(parse_error(img), HasSubstr("PT_NOTE (program header 3): p_align 0x10"));
}

TEST(ElfImage, SecondDkNote) {
  TestImage img = good_image(false);
  std::vector<uint8_t> desc(sizeof(dk_image_note));
  const dk_image_note n = good_note(kBase);
  std::memcpy(desc.data(), &n, sizeof n);
  uint64_t len = img.put_note(kNoteOff, std::string("Dk", 3), 1, desc);
  len += img.put_note(kNoteOff + len, std::string("Dk", 3), 1, desc);
  img.note_ph().p_filesz = len;
  EXPECT_THAT(parse_error(img), HasSubstr("second Dk note"));
}

TEST(ElfImage, WrongAbiMajor) {
  TestImage img = good_image(false);
  dk_image_note n = good_note(kBase);
  n.abi_major = 2;
  img.set_dk_note(n);
  EXPECT_EQ(parse_error(img), "image needs Dk ABI 2.x; this host implements 1.x");
}

TEST(ElfImage, UpcallOutsideExecutableSegment) {
  TestImage img = good_image(false);
  dk_image_note n = good_note(kBase);
  n.thread_start = kBase + 0x2000;
  img.set_dk_note(n);
  EXPECT_THAT(parse_error(img), HasSubstr("thread_start 0x402000"));
  n = good_note(kBase);
  n.exception_dispatch = 0x10;
  img.set_dk_note(n);
  EXPECT_THAT(parse_error(img), HasSubstr("exception_dispatch 0x10"));
}

// ---- Corruption never gets through as anything but ElfError ----

// parse either succeeds or throws ElfError; anything else fails the test.
void expect_clean_outcome(const std::vector<uint8_t>& b, const std::string& what) {
  try {
    ElfImage::parse(b);
  } catch (const ElfError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": unexpected exception " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": unexpected non-std exception";
  }
}

TEST(ElfImage, EveryByteFlipIsHandled) {
  for (bool pie : {false, true}) {
    const std::vector<uint8_t> good = good_image(pie).bytes();
    for (size_t i = 0; i < good.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        std::vector<uint8_t> b = good;
        b[i] ^= mask;
        expect_clean_outcome(b, "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      }
    }
  }
}

TEST(ElfImage, EveryTruncationIsHandled) {
  const std::vector<uint8_t> good = good_image(false).bytes();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    expect_clean_outcome(b, "prefix " + std::to_string(n));
  }
  // Cutting into the data segment's file bytes must be caught.
  std::vector<uint8_t> b(good.begin(), good.end() - 1);
  EXPECT_THAT(parse_error(b), HasSubstr("p_filesz 0x80 runs past"));
}

// ---- load_file ----

class ElfLoadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dk_elf_test." + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<uint8_t>& b) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p.string();
  }
  std::string load_error(const std::string& path) {
    try {
      ElfImage::load_file(path);
    } catch (const ElfError& e) {
      return e.what();
    }
    return "<loaded>";
  }
  std::filesystem::path dir_;
};

TEST_F(ElfLoadFile, GoodFileLoads) {
  const std::string p = write("good", good_image(false).bytes());
  const ElfImage im = ElfImage::load_file(p);
  EXPECT_EQ(im.segments.size(), 3u);
  EXPECT_TRUE(im.note.has_value());
}

TEST_F(ElfLoadFile, MissingFileNamesPathAndReason) {
  const std::string p = (dir_ / "absent").string();
  const std::string msg = load_error(p);
  EXPECT_THAT(msg, HasSubstr(p));
  EXPECT_THAT(msg, HasSubstr(std::strerror(ENOENT)));
}

TEST_F(ElfLoadFile, EmptyFile) {
  const std::string p = write("empty", {});
  EXPECT_THAT(load_error(p), HasSubstr("empty file"));
}

TEST_F(ElfLoadFile, DirectoryIsRefused) {
  EXPECT_THAT(load_error(dir_.string()), HasSubstr("not a regular file"));
}

TEST_F(ElfLoadFile, ParseErrorsNameThePath) {
  TestImage img = good_image(false);
  img.eh.e_machine = EM_386;
  const std::string p = write("i386", img.bytes());
  const std::string msg = load_error(p);
  EXPECT_THAT(msg, HasSubstr(p));
  EXPECT_THAT(msg, HasSubstr("e_machine 3"));
}

}  // namespace
}  // namespace dk
