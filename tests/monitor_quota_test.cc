// Quotas: limits read from both manifest forms and the counters the hosts charge.
#include <gtest/gtest.h>

#include "dk/monitor/manifest.h"
#include "dk/monitor/quota.h"

namespace dk {
namespace {

TEST(Quota, ChargeAndRelease) {
  QuotaCounter q(3);
  EXPECT_EQ(q.charge(), 0);
  EXPECT_EQ(q.charge(2), 0);
  EXPECT_EQ(q.charge(), -DK_E_QUOTA);
  EXPECT_EQ(q.used(), 3u);  // a refused charge takes nothing
  q.release(2);
  EXPECT_EQ(q.charge(2), 0);
  EXPECT_EQ(q.charge(1), -DK_E_QUOTA);
  q.release(100);
  EXPECT_EQ(q.used(), 0u);
  EXPECT_EQ(q.peak(), 3u);
}

TEST(Quota, ZeroMeansNoLimit) {
  QuotaCounter q(0);
  EXPECT_TRUE(q.unlimited());
  EXPECT_EQ(q.charge(1ull << 62), 0);
  EXPECT_EQ(q.charge(1ull << 62), 0);
  EXPECT_EQ(q.charge(UINT64_MAX), -DK_E_QUOTA);  // would wrap
}

TEST(Quota, FromManifestLimits) {
  Manifest m = parse_manifest_yaml(
      "package: {name: q, version: 1}\nlimits: {memory: 1MiB, threads: 2, handles: 4, streams: 1, "
      "cpu_ticks: 1000, output_bytes: 1KiB}\n",
      "q.yaml");
  Quotas q(m.limits);
  EXPECT_EQ(q.memory.charge(1u << 20), 0);
  EXPECT_EQ(q.memory.charge(4096), -DK_E_QUOTA);
  EXPECT_EQ(q.threads.charge(2), 0);
  EXPECT_EQ(q.threads.charge(), -DK_E_QUOTA);
  EXPECT_EQ(q.streams.charge(), 0);
  EXPECT_EQ(q.streams.charge(), -DK_E_QUOTA);
  EXPECT_EQ(q.output_bytes.charge(1024), 0);
  EXPECT_EQ(q.output_bytes.charge(1), -DK_E_QUOTA);
  EXPECT_EQ(q.cpu_ticks.limit(), 1000u);
  EXPECT_EQ(q.handles.limit(), 4u);
  Manifest none = parse_manifest_yaml("package: {name: q, version: 1}\n", "n.yaml");
  EXPECT_EQ(none.limits, Limits{});
  Manifest ini = parse_manifest_ini("[Limits]\nMemory=2MiB\nOutput_Bytes=0\n", "l.ini");
  EXPECT_EQ(ini.limits.memory, 2u << 20);
  EXPECT_EQ(ini.limits.output_bytes, 0u);
}

}  // namespace
}  // namespace dk
