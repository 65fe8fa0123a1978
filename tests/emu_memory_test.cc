// AddressSpace: the checked accessors and the semantics of calls 1-3, directly and from a
// guest (tests/guest/emu_guest.c, case "vm").
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/address_space.h"
#include "dk/engine.h"
#include "dk/host.h"
#include "dk/run.h"

#include <unicorn/unicorn.h>

namespace dk {
namespace {

constexpr uint64_t P = DK_PAGE_SIZE;
constexpr uint32_t R = DK_PROT_READ, W = DK_PROT_WRITE, X = DK_PROT_EXEC, G = DK_PROT_GUARD;

TEST(AddressSpace, AllocateFixedAndPicked) {
  AddressSpace as;
  uint64_t a = 0x100000;
  EXPECT_EQ(as.allocate(a, 1, DK_ALLOC_COMMIT, R | W), 0);
  EXPECT_EQ(a, 0x100000u);
  EXPECT_EQ(as.committed_bytes(), P);  // rounded up to a page
  uint64_t p1 = 0, p2 = 0;
  EXPECT_EQ(as.allocate(p1, 2 * P, DK_ALLOC_COMMIT, R), 0);
  EXPECT_EQ(as.allocate(p2, P, DK_ALLOC_RESERVE, R), 0);
  EXPECT_EQ(p1, AddressSpace::kPickTop - 2 * P);  // top-down, first fit: deterministic
  EXPECT_EQ(p2, p1 - P);
  EXPECT_EQ(as.committed_bytes(), 3 * P);
  // Same again in a fresh address space: same addresses.
  AddressSpace as2;
  uint64_t q1 = 0;
  EXPECT_EQ(as2.allocate(q1, 2 * P, DK_ALLOC_COMMIT, R), 0);
  EXPECT_EQ(q1, p1);
}

TEST(AddressSpace, AllocateErrors) {
  AddressSpace as;
  uint64_t a = 0x100001;
  EXPECT_EQ(as.allocate(a, P, DK_ALLOC_COMMIT, R), -DK_E_INVAL);  // unaligned
  a = 0x100000;
  EXPECT_EQ(as.allocate(a, 0, DK_ALLOC_COMMIT, R), -DK_E_INVAL);
  EXPECT_EQ(as.allocate(a, P, 0, R), -DK_E_INVAL);
  EXPECT_EQ(as.allocate(a, P, DK_ALLOC_REPLACE, R), -DK_E_INVAL);
  EXPECT_EQ(as.allocate(a, P, 16, R), -DK_E_INVAL);
  EXPECT_EQ(as.allocate(a, P, DK_ALLOC_COMMIT, 16), -DK_E_INVAL);
  a = 0x1000;  // below the user range
  EXPECT_EQ(as.allocate(a, P, DK_ALLOC_COMMIT, R), -DK_E_INVAL);
  a = DK_USER_HIGH - P;
  EXPECT_EQ(as.allocate(a, 2 * P, DK_ALLOC_COMMIT, R), -DK_E_INVAL);  // runs past the top
  a = DK_USER_HIGH - P;
  EXPECT_EQ(as.allocate(a, ~0ull - 100, DK_ALLOC_COMMIT, R), -DK_E_INVAL);  // overflow
  EXPECT_EQ(as.committed_bytes(), 0u);
}

TEST(AddressSpace, ReserveCommitReplace) {
  AddressSpace as;
  uint64_t a = 0x200000;
  ASSERT_EQ(as.allocate(a, 4 * P, DK_ALLOC_RESERVE, R), 0);
  EXPECT_EQ(as.committed_bytes(), 0u);
  EXPECT_FALSE(as.check(a, 1, R));  // reserved: no access
  uint64_t b = a;
  EXPECT_EQ(as.allocate(b, P, DK_ALLOC_RESERVE, R), -DK_E_EXIST);
  b = a + P;
  EXPECT_EQ(as.allocate(b, 2 * P, DK_ALLOC_COMMIT, R | W), 0);  // inside the reservation
  EXPECT_EQ(as.committed_bytes(), 2 * P);
  EXPECT_TRUE(as.check(a + P, 2 * P, R | W));
  uint64_t v = 5;
  ASSERT_TRUE(as.write(a + P, &v, 8));
  b = a + P;
  EXPECT_EQ(as.allocate(b, P, DK_ALLOC_COMMIT, R), -DK_E_EXIST);  // committed already
  b = a + P;
  EXPECT_EQ(as.allocate(b, P, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, R | W), 0);
  v = 1;
  ASSERT_TRUE(as.read(a + P, &v, 8));
  EXPECT_EQ(v, 0u);  // fresh zero-filled page
  EXPECT_EQ(as.committed_bytes(), 2 * P);
  // REPLACE over a mix of reserved and committed pages.
  b = a;
  EXPECT_EQ(as.allocate(b, 4 * P, DK_ALLOC_RESERVE | DK_ALLOC_REPLACE, R), 0);
  EXPECT_EQ(as.committed_bytes(), 0u);
}

TEST(AddressSpace, FreeAndProtect) {
  AddressSpace as;
  uint64_t a = 0x300000;
  ASSERT_EQ(as.allocate(a, 3 * P, DK_ALLOC_COMMIT, R | W), 0);
  EXPECT_EQ(as.free(a + P, P), 0);  // a hole in the middle
  EXPECT_EQ(as.committed_bytes(), 2 * P);
  EXPECT_FALSE(as.check(a, 3 * P, R));
  EXPECT_TRUE(as.check(a + 2 * P, P, R));
  EXPECT_EQ(as.free(a + P, P), 0);  // freeing unmapped pages is fine
  EXPECT_EQ(as.free(a + 1, P), -DK_E_INVAL);
  // Protect: all pages must be committed, or nothing changes.
  EXPECT_EQ(as.protect(a, 3 * P, R), -DK_E_FAULT);
  EXPECT_TRUE(as.check(a, P, W));
  EXPECT_EQ(as.protect(a, P, R), 0);
  EXPECT_FALSE(as.check(a, P, W));
  EXPECT_TRUE(as.check(a, P, R));
  uint64_t v = 1;
  EXPECT_FALSE(as.write(a, &v, 8));
  EXPECT_EQ(as.protect(a, P, 0), 0);
  EXPECT_FALSE(as.read(a, &v, 8));
  EXPECT_TRUE(as.peek(a, &v, 8));  // the host's own view ignores protection
  EXPECT_EQ(as.protect(a, P, 32), -DK_E_INVAL);
  // Reserved pages are not committed: FAULT.
  uint64_t r = 0x400000;
  ASSERT_EQ(as.allocate(r, P, DK_ALLOC_RESERVE, R), 0);
  EXPECT_EQ(as.protect(r, P, R), -DK_E_FAULT);
}

// Calls `step(i)` for i = 0, 1, ... until it fails or `max` calls: the successes, and the
// failing status in `st` (0 if none failed).
template <class Step>
uint64_t successes_until_refused(uint64_t max, dk_status_t& st, Step step) {
  st = 0;
  uint64_t done = 0;
  for (uint64_t i = 0; i < max && st == 0; ++i)
    if ((st = step(i)) == 0) ++done;
  return done;
}

// An address space mapped into a real engine, as a picoprocess's is while it runs.
class MappedSpace : public ::testing::Test {
 protected:
  void SetUp() override { as.attach(engine.uc()); }
  void TearDown() override { as.attach(nullptr); }
  Engine engine;
  AddressSpace as;
};

// Each committed region is one Unicorn mapping, and Unicorn aborts past about 4,000: commits
// stop at a bound with NOMEM (small bounds here: every change re-maps, O(regions) in Unicorn).
TEST_F(MappedSpace, CommittedRegionsAreBounded) {
  as.set_region_limits(64, 160);
  dk_status_t st = 0;
  const uint64_t made = successes_until_refused(300, st, [&](uint64_t i) {
    uint64_t a = 0x10000000 + i * 2 * P;  // apart: no merging
    return as.allocate(a, P, DK_ALLOC_COMMIT, R | W);
  });
  EXPECT_EQ(st, -DK_E_NOMEM);
  EXPECT_EQ(made, 62u);  // the 63rd: 62 regions + 3 (what a commit may add) would pass 64
  // What was made still works, and freeing makes room again.
  uint64_t first = 0x10000000;
  EXPECT_TRUE(as.write(first, "x", 1));
  EXPECT_EQ(as.free(first, P), 0);
  EXPECT_EQ(as.allocate(first, P, DK_ALLOC_COMMIT, R | W), 0);
}

// Protections splitting one region page by page stop with INVAL before Unicorn's limit.
TEST_F(MappedSpace, ProtectionSplitsAreBounded) {
  as.set_region_limits(64, 160);
  uint64_t a = 0x400000;
  const uint64_t pages = 512;
  ASSERT_EQ(as.allocate(a, pages * P, DK_ALLOC_COMMIT, R | W), 0);
  dk_status_t st = 0;
  const uint64_t done = successes_until_refused(pages / 2, st, [&](uint64_t i) {
    return as.protect(a + (2 * i + 1) * P, P, R);  // every other page
  });
  EXPECT_EQ(st, -DK_E_INVAL);
  EXPECT_EQ(done, 79u);  // 1 region + 2 per split: 159, and one more split would pass 160
  EXPECT_LE(as.regions().size(), 160u);
  EXPECT_TRUE(as.write(a, "z", 1));  // the engine and the address space still work
}

// Guard pages taken one by one, and a protection set and undone, merge back into one
// region, so neither grows the count of mappings.
TEST_F(MappedSpace, RegionsMergeBackWhenTheyAgree) {
  uint64_t a = 0x200000;
  ASSERT_EQ(as.allocate(a, 64 * P, DK_ALLOC_COMMIT, R | W | G), 0);
  for (uint64_t i = 64; i-- > 0;) ASSERT_TRUE(as.take_guard(a + i * P));  // a stack grows down
  auto regions = as.regions();
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].prot, R | W);
  for (uint64_t i = 0; i < 64; i += 2) ASSERT_EQ(as.protect(a + i * P, P, R), 0);
  EXPECT_EQ(as.regions().size(), 64u);
  for (uint64_t i = 0; i < 64; i += 2) ASSERT_EQ(as.protect(a + i * P, P, R | W), 0);
  EXPECT_EQ(as.regions().size(), 1u);
  EXPECT_TRUE(as.write(a + 5 * P, "y", 1));
}

TEST(AddressSpace, CheckedAccessors) {
  AddressSpace as;
  uint64_t a = 0x500000, b = 0x501000;
  ASSERT_EQ(as.allocate(a, P, DK_ALLOC_COMMIT, R | W), 0);
  ASSERT_EQ(as.allocate(b, P, DK_ALLOC_COMMIT, R), 0);
  // Straddling two regions: allowed when both allow the access.
  EXPECT_TRUE(as.check(a + P - 4, 8, R));
  EXPECT_FALSE(as.check(a + P - 4, 8, W));
  uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_FALSE(as.write(a + P - 4, buf, 8));
  uint8_t back[8] = {};
  ASSERT_TRUE(as.read(a + P - 4, back, 4));
  EXPECT_EQ(back[0], 0);  // nothing was half written
  // Straddling into unmapped memory, outside the user range, overflow.
  EXPECT_FALSE(as.check(b + P - 4, 8, R));
  EXPECT_FALSE(as.check(0x1000, 8, R));
  EXPECT_FALSE(as.check(a, ~0ull, R));
  EXPECT_FALSE(as.check(~0ull - 3, 8, R));
  EXPECT_TRUE(as.check(0, 0, R));  // len 0
  // Guard pages fail every downcall access and keep the guard.
  ASSERT_EQ(as.protect(a, P, R | W | G), 0);
  EXPECT_FALSE(as.check(a, 1, R));
  EXPECT_FALSE(as.read(a, back, 1));
  EXPECT_EQ(as.prot_at(a), R | W | G);
  EXPECT_TRUE(as.take_guard(a + 100));  // a guest touch
  EXPECT_EQ(as.prot_at(a), R | W);
  EXPECT_FALSE(as.take_guard(a));
  EXPECT_TRUE(as.check(a, 1, R | W));
}

TEST(AddressSpace, ReadCstr) {
  AddressSpace as;
  uint64_t a = 0x600000;
  ASSERT_EQ(as.allocate(a, 2 * P, DK_ALLOC_COMMIT, R | W), 0);
  const char s[] = "file:/x";
  ASSERT_TRUE(as.write(a + P - 3, s, sizeof s));  // across the page boundary
  std::string out;
  EXPECT_EQ(as.read_cstr(a + P - 3, DK_URI_MAX, out), 0);
  EXPECT_EQ(out, "file:/x");
  EXPECT_EQ(as.read_cstr(a + P - 3, 3, out), -DK_E_NAMETOOLONG);
  EXPECT_EQ(as.read_cstr(a + P - 3, 7, out), 0);
  std::vector<char> fill(P, 'a');
  ASSERT_TRUE(as.write(a + P, fill.data(), P));
  EXPECT_EQ(as.read_cstr(a + P, DK_URI_MAX * 4, out), -DK_E_FAULT);  // runs into unmapped
  EXPECT_EQ(as.read_cstr(0x1000, 10, out), -DK_E_FAULT);
}

// ---- from a guest ----

class VmHost : public Host {
 public:
  std::string_view name() const override { return "test"; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
  // Memory and exit: the Host defaults, through GuestControl.
  dk_status_t DkDebugOutput(CallContext&, Call& c) override {
    uint64_t v = 0;
    std::memcpy(&v, c.in_bytes.data(), std::min<size_t>(8, c.in_bytes.size()));
    out.push_back(static_cast<int64_t>(v));
    return 0;
  }
  std::vector<int64_t> out;
};

TEST(EmuMemory, GuestSeesCallSemantics) {
  std::ifstream f(std::string(DK_GUEST_DIR) + "/emu_guest", std::ios::binary);
  LaunchSpec spec;
  spec.image.assign(std::istreambuf_iterator<char>(f), {});
  spec.args = {"emu_guest", "vm"};
  VmHost host;
  RunResult res = run_picoprocess(host, spec);
  ASSERT_EQ(res.end, RunResult::End::Exited) << res.reason;
  EXPECT_EQ(res.exit_code, 0);
  const int64_t base = 0x200000000;
  const std::vector<int64_t> want = {
      -DK_E_INVAL, 0, base, -DK_E_EXIST, 0, -DK_E_EXIST, 0, 0, -DK_E_FAULT, 0, -DK_E_FAULT,
      0, 0, 0, -DK_E_INVAL, -DK_E_INVAL, -DK_E_INVAL};
  ASSERT_EQ(host.out.size(), want.size() + 3);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(host.out[i], want[i]) << "output " << i;
  const uint64_t p1 = host.out[want.size()], p2 = host.out[want.size() + 1];
  EXPECT_EQ(p2 + P, p1);
  EXPECT_EQ(host.out.back(), -DK_E_FAULT);  // the out-pointer was bad: nothing allocated
}

// Host memory a picoprocess gives back is kept for the next commit of the same size
// (address_space.cc, BackingPool): whoever commits it next sees zeros, never the bytes of
// the one before, in the same address space or another.
TEST(AddressSpace, ReusedHostMemoryComesBackZeroed) {
  const std::string dirty(64, 'x');
  for (int round = 0; round < 3; ++round) {
    auto before = std::make_unique<AddressSpace>();
    uint64_t a = 0x500000;
    ASSERT_EQ(before->allocate(a, 3 * P, DK_ALLOC_COMMIT, R | W), 0);
    for (const uint64_t off : {uint64_t{0}, uint64_t{P - 8}, uint64_t{2 * P + 100}}) ASSERT_TRUE(before->write(a + off, dirty.data(), 64));
    ASSERT_EQ(before->free(a, 3 * P), 0);  // given back through the same address space
    uint64_t b = 0x500000;
    ASSERT_EQ(before->allocate(b, 3 * P, DK_ALLOC_COMMIT, R | W), 0);
    ASSERT_TRUE(before->write(b + 200, dirty.data(), 64));
    before.reset();  // and with the address space
    AddressSpace after;
    uint64_t c = 0x700000;
    ASSERT_EQ(after.allocate(c, 3 * P, DK_ALLOC_COMMIT, R | W), 0);
    std::string page(3 * P, '?');
    ASSERT_TRUE(after.read(c, page.data(), page.size()));
    EXPECT_EQ(page, std::string(3 * P, '\0')) << "round " << round;
  }
}

// Pages of the whole process in memory (/proc/self/statm, second field), in bytes.
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// A block kept for the next commit is no more resident than its last owner made it: the
// pages it never touched are not brought in by the clearing, in the pool or for the next
// owner. 48 picoprocess-sized blocks of 1 MiB, one page written in each, given back: the
// pool keeps them (48 MiB is under its bound), and the process's resident memory must not
// grow by the 47 MiB that clearing whole blocks would touch.
TEST(AddressSpace, PooledHostMemoryStaysAsResidentAsItsLastOwnerMadeIt) {
  constexpr int kBlocks = 48;
  constexpr uint64_t kBlock = 1 << 20;
  const std::string dirty(64, 'x');
  auto fill = [&] {
    std::vector<std::unique_ptr<AddressSpace>> spaces;
    for (int i = 0; i < kBlocks; ++i) {
      spaces.push_back(std::make_unique<AddressSpace>());
      uint64_t a = 0x800000;
      EXPECT_EQ(spaces.back()->allocate(a, kBlock, DK_ALLOC_COMMIT, R | W), 0);
      EXPECT_TRUE(spaces.back()->write(a + kBlock - P + 8, dirty.data(), dirty.size()));
    }
    return spaces;
  };
  const uint64_t before = resident_bytes();
  fill();  // given back to the pool as they go
  auto again = fill();  // the same blocks, cleared, come back from the pool
  for (const auto& as : again) {
    std::string page(P, '?');
    ASSERT_TRUE(as->read(0x800000 + kBlock - P, page.data(), P));
    EXPECT_EQ(page.substr(0, 8), std::string(8, '\0'));
  }
  again.clear();
  const uint64_t after = resident_bytes();
  EXPECT_LT(after, before + 8 * kBlock) << "resident grew by " << (after - before) / 1024 << " KiB";
}

// ---- shared pages (AddressSpace::shared_pages, commit_shared) ----

std::shared_ptr<AddressSpace::Backing> code_pages(const char* text) {
  return AddressSpace::shared_pages(reinterpret_cast<const uint8_t*>(text), 16,
                                    std::strlen(text), 2 * P);
}

std::string read_string(const AddressSpace& as, uint64_t addr, size_t n) {
  std::string out(n, '\0');
  EXPECT_TRUE(as.peek(addr, out.data(), n));
  return out;
}

TEST(SharedPages, CommittedAsTheImageHasThem) {
  const auto pages = code_pages("image bytes");
  ASSERT_TRUE(pages);
  AddressSpace a;
  ASSERT_EQ(a.commit_shared(0x400000, 2 * P, R | X, pages), 0);
  EXPECT_EQ(read_string(a, 0x400000 + 16, 11), "image bytes");
  EXPECT_EQ(read_string(a, 0x400000, 4), std::string(4, '\0'));  // zero around them
  EXPECT_EQ(a.committed_bytes(), 2 * P);
  EXPECT_EQ(a.shared_bytes(), 2 * P);
  EXPECT_EQ(a.prot_at(0x400000 + P), R | X);
  // A store by the guest: the pages are not writable.
  EXPECT_FALSE(a.write(0x400000, "x", 1));
}

TEST(SharedPages, RefusedWhereAPrivateCommitWouldBeAndWhenWritable) {
  const auto pages = code_pages("x");
  AddressSpace a;
  EXPECT_EQ(a.commit_shared(0x400000, 2 * P, R | W, pages), -DK_E_INVAL);
  EXPECT_EQ(a.commit_shared(0x400000, 2 * P, R | G, pages), -DK_E_INVAL);
  EXPECT_EQ(a.commit_shared(0x400000, 3 * P, R, pages), -DK_E_INVAL);  // longer than them
  EXPECT_EQ(a.commit_shared(0x400001, P, R, pages), -DK_E_INVAL);
  EXPECT_EQ(a.commit_shared(0x400000, 2 * P, R, nullptr), -DK_E_INVAL);
  uint64_t at = 0x401000;
  ASSERT_EQ(a.allocate(at, P, DK_ALLOC_COMMIT, R | W), 0);
  EXPECT_EQ(a.commit_shared(0x400000, 2 * P, R, pages), -DK_E_EXIST);
  EXPECT_EQ(a.shared_bytes(), 0u);
  EXPECT_FALSE(AddressSpace::shared_pages(nullptr, 0, 0, P + 1));
  EXPECT_FALSE(AddressSpace::shared_pages(reinterpret_cast<const uint8_t*>("ab"), P - 1, 2, P));
}

// A picoprocess that makes a shared page writable and stores to it gets its own copy; its
// neighbours keep reading the image's bytes.
TEST(SharedPages, AStoreGetsItsOwnCopyAndNeighboursNeverSeeIt) {
  const auto pages = code_pages("original");
  AddressSpace a, b;
  ASSERT_EQ(a.commit_shared(0x400000, 2 * P, R | X, pages), 0);
  ASSERT_EQ(b.commit_shared(0x400000, 2 * P, R | X, pages), 0);
  ASSERT_EQ(a.protect(0x400000, P, R | W | X), 0);
  ASSERT_TRUE(a.write(0x400000 + 16, "CHANGED!", 8));
  EXPECT_EQ(read_string(a, 0x400000 + 16, 8), "CHANGED!");
  EXPECT_EQ(read_string(b, 0x400000 + 16, 8), "original");
  // Only the page made writable was copied; the other one is still shared.
  EXPECT_EQ(a.shared_bytes(), P);
  EXPECT_EQ(b.shared_bytes(), 2 * P);
  // Given back its first protection, the private copy keeps the store.
  ASSERT_EQ(a.protect(0x400000, P, R | X), 0);
  EXPECT_EQ(read_string(a, 0x400000 + 16, 8), "CHANGED!");
  // The host's own stores (poke) copy too.
  ASSERT_TRUE(b.poke(0x400000 + P, "poked", 5));
  AddressSpace c;
  ASSERT_EQ(c.commit_shared(0x400000, 2 * P, R | X, pages), 0);
  EXPECT_EQ(read_string(c, 0x400000 + P, 5), std::string(5, '\0'));
  EXPECT_EQ(read_string(c, 0x400000 + 16, 8), "original");
}

// Freeing shared pages gives back no page another picoprocess still maps.
TEST(SharedPages, FreeingThemLeavesTheNeighboursBytes) {
  const auto pages = code_pages("still here");
  AddressSpace a, b;
  ASSERT_EQ(a.commit_shared(0x400000, 2 * P, R, pages), 0);
  ASSERT_EQ(b.commit_shared(0x400000, 2 * P, R, pages), 0);
  ASSERT_EQ(a.free(0x400000, 2 * P), 0);
  EXPECT_EQ(a.committed_bytes(), 0u);
  EXPECT_EQ(read_string(b, 0x400000 + 16, 10), "still here");
}

std::string engine_bytes(Engine& e, uint64_t addr, size_t n) {
  std::string out(n, '\0');
  EXPECT_EQ(uc_mem_read(e.uc(), addr, out.data(), n), UC_ERR_OK);
  return out;
}

// An engine keeps the shared regions of the address space that left it mapped (their
// translations with them) for the next one that holds the same pages; any other address
// space that attaches gets its own bytes there.
TEST(SharedPages, AnEngineKeepsThemForTheNextPicoprocessOfTheImage) {
  Engine engine;
  const auto image = code_pages("image A");
  const auto other = code_pages("image B");
  {
    AddressSpace a;
    ASSERT_EQ(a.commit_shared(0x400000, 2 * P, R | X, image), 0);
    a.attach(engine.uc(), &engine.residents());
  }  // gone: its shared region stays in the engine
  ASSERT_EQ(engine.residents().size(), 1u);
  EXPECT_EQ(engine_bytes(engine, 0x400000 + 16, 7), "image A");
  {
    AddressSpace b;
    ASSERT_EQ(b.commit_shared(0x400000, 2 * P, R | X, image), 0);
    b.attach(engine.uc(), &engine.residents());
    EXPECT_TRUE(engine.residents().empty());  // taken over as it was
    EXPECT_EQ(engine_bytes(engine, 0x400000 + 16, 7), "image A");
    b.attach(nullptr);
  }
  {
    AddressSpace c;  // another image at the same address
    ASSERT_EQ(c.commit_shared(0x400000, 2 * P, R | X, other), 0);
    c.attach(engine.uc(), &engine.residents());
    EXPECT_EQ(engine_bytes(engine, 0x400000 + 16, 7), "image B");
    c.attach(nullptr);
  }
  {
    AddressSpace d;  // private memory over part of it
    uint64_t at = 0x401000;
    ASSERT_EQ(d.allocate(at, P, DK_ALLOC_COMMIT, R | W), 0);
    ASSERT_TRUE(d.write(at, "private", 7));
    d.attach(engine.uc(), &engine.residents());
    EXPECT_EQ(engine_bytes(engine, at, 7), "private");
    std::string none(1, '\0');
    EXPECT_NE(uc_mem_read(engine.uc(), 0x400000 + 16, none.data(), 1), UC_ERR_OK);
    d.attach(nullptr);
  }
  EXPECT_TRUE(engine.residents().empty());
}


}  // namespace
}  // namespace dk
