// The region bounds of AddressSpace at their production values (kMaxCommitRegions = 1,024,
// kMaxSplitRegions = 3,000), with the address space mapped into a real engine: each committed
// region is one Unicorn mapping and Unicorn aborts the process past about 4,000, so the
// bounds must refuse first (NOMEM for commits, INVAL for splitting protections), leave the
// engine working, and let split regions merge back. emu_memory_test checks the same rules
// with small bounds; these take minutes, so they run in the normal build only
// (tests/README.md): every change re-maps in O(regions) inside Unicorn.
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdint>

#include "dk/abi.h"
#include "dk/address_space.h"
#include "dk/engine.h"

namespace dk {
namespace {

constexpr uint64_t P = DK_PAGE_SIZE;
constexpr uint32_t R = DK_PROT_READ, W = DK_PROT_WRITE;

// How many mappings Unicorn itself holds.
uint32_t unicorn_mappings(uc_struct* uc) {
  uc_mem_region* regions = nullptr;
  uint32_t count = 0;
  EXPECT_EQ(uc_mem_regions(uc, &regions, &count), UC_ERR_OK);
  uc_free(regions);
  return count;
}

// The engine, not only the address space's own buffers, sees the byte.
bool engine_reads(uc_struct* uc, uint64_t addr, uint8_t want) {
  uint8_t got = 0;
  return uc_mem_read(uc, addr, &got, 1) == UC_ERR_OK && got == want;
}

class ProductionBounds : public ::testing::Test {
 protected:
  void SetUp() override {
    as.attach(engine.uc());
    base_mappings = unicorn_mappings(engine.uc());  // the engine's own pages
  }
  void TearDown() override { as.attach(nullptr); }
  Engine engine;
  AddressSpace as;  // the production bounds: no set_region_limits
  uint32_t base_mappings = 0;
};

// Separate one-page commits: each one more Unicorn mapping, until a commit that could leave
// more than 1,024 committed regions (a commit may add up to three: itself and the two halves
// of a reservation it splits) gets NOMEM.
TEST_F(ProductionBounds, CommitsStopWithNomemAt1024Regions) {
  const uint64_t first = 0x10000000;
  dk_status_t st = 0;
  uint64_t made = 0;
  for (uint64_t i = 0; i < 2 * AddressSpace::kMaxCommitRegions && st == 0; ++i) {
    uint64_t a = first + i * 2 * P;  // apart: no two regions touch
    if ((st = as.allocate(a, P, DK_ALLOC_COMMIT, R | W)) == 0) ++made;
  }
  EXPECT_EQ(st, -DK_E_NOMEM);
  EXPECT_EQ(made, AddressSpace::kMaxCommitRegions - 2);  // 1,022 + 3 would pass 1,024
  EXPECT_LE(as.regions().size(), AddressSpace::kMaxCommitRegions);
  EXPECT_EQ(unicorn_mappings(engine.uc()), base_mappings + made);  // one each, all in Unicorn

  // Still refused (nothing changed), then freeing one makes room for one.
  const uint64_t last = first + (made - 1) * 2 * P;
  uint64_t again = first + made * 2 * P;
  EXPECT_EQ(as.allocate(again, P, DK_ALLOC_COMMIT, R | W), -DK_E_NOMEM);
  ASSERT_TRUE(as.write(last, "L", 1));
  EXPECT_TRUE(engine_reads(engine.uc(), last, 'L'));
  ASSERT_EQ(as.free(first, P), 0);
  again = first + made * 2 * P;
  EXPECT_EQ(as.allocate(again, P, DK_ALLOC_COMMIT, R | W), 0);
  ASSERT_TRUE(as.write(again, "N", 1));
  EXPECT_TRUE(engine_reads(engine.uc(), again, 'N'));
}

// One commit split by protecting every other page: each split adds two regions until one
// that would pass 3,000 gets INVAL (and changes nothing); commits are refused meanwhile (the
// split regions count against 1,024 too); one protection over the whole range merges the
// pieces back into one region and one mapping.
TEST_F(ProductionBounds, ProtectionSplitsStopWithInvalAt3000RegionsAndMergeBack) {
  uint64_t a = 0x400000;
  const uint64_t pages = 2 * AddressSpace::kMaxSplitRegions;
  ASSERT_EQ(as.allocate(a, pages * P, DK_ALLOC_COMMIT, R | W), 0);
  // The first splits with the engine detached (the same code, without Unicorn's O(regions)
  // re-map per change, which would make this test take minutes), the last hundred and the
  // bound itself with every region mapped in Unicorn.
  as.attach(nullptr);
  dk_status_t st = 0;
  uint64_t done = 0;
  for (uint64_t i = 0; i < pages / 2 && st == 0; ++i) {
    if (i == AddressSpace::kMaxSplitRegions / 2 - 100) as.attach(engine.uc());
    if ((st = as.protect(a + (2 * i + 1) * P, P, R)) == 0) ++done;
  }
  EXPECT_EQ(st, -DK_E_INVAL);
  EXPECT_EQ(done, (AddressSpace::kMaxSplitRegions - 2) / 2);  // 1,499 splits: 2,999 regions
  EXPECT_EQ(as.regions().size(), 1 + 2 * done);
  EXPECT_LE(as.regions().size(), AddressSpace::kMaxSplitRegions);
  EXPECT_EQ(unicorn_mappings(engine.uc()), base_mappings + 1 + 2 * done);
  const uint64_t refused = a + (2 * done + 1) * P;
  EXPECT_EQ(as.prot_at(refused), static_cast<int64_t>(R | W));  // the refused call did nothing
  uint64_t c = 0;
  EXPECT_EQ(as.allocate(c, P, DK_ALLOC_COMMIT, R | W), -DK_E_NOMEM);

  // The engine and the address space still work at 2,999 mappings.
  ASSERT_TRUE(as.write(a, "z", 1));
  EXPECT_TRUE(engine_reads(engine.uc(), a, 'z'));
  EXPECT_FALSE(as.write(a + P, "z", 1));  // read-only now

  ASSERT_EQ(as.protect(a, pages * P, R | W), 0);
  ASSERT_EQ(as.regions().size(), 1u);
  EXPECT_EQ(as.regions()[0].prot, R | W);
  EXPECT_EQ(unicorn_mappings(engine.uc()), base_mappings + 1);
  EXPECT_TRUE(as.write(a + P, "m", 1));
  EXPECT_TRUE(engine_reads(engine.uc(), a + P, 'm'));
  EXPECT_TRUE(engine_reads(engine.uc(), a, 'z'));
  // Splitting is possible again after the merge.
  EXPECT_EQ(as.protect(refused, P, R), 0);
}

}  // namespace
}  // namespace dk
