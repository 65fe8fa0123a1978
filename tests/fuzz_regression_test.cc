// Replays fuzz inputs through the fuzz targets' entry functions in the normal build: every
// saved crash under tests/fuzz/regressions/<target>/ (each fails until its bug is fixed), and
// every seed under tests/fuzz/corpus/<target>/ (they must keep passing). docs/fuzzing.md says
// how a crash found by a campaign becomes a file here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "fuzz/archive_entry.h"
#include "fuzz/dispatcher_entry.h"
#include "fuzz/elf_entry.h"
#include "fuzz/instructions_entry.h"
#include "fuzz/manifest_entry.h"
#include "fuzz/state_entry.h"
#include "fuzz/trace_entry.h"
#include "fuzz/uri_namespace_entry.h"

namespace dk {
namespace {

namespace fs = std::filesystem;
using Entry = std::function<void(std::span<const uint8_t>)>;

const std::map<std::string, Entry>& entries() {
  static const std::map<std::string, Entry> m = {
      {"archive", fuzz::fuzz_archive},
      {"dispatcher", fuzz::fuzz_dispatcher},
      {"elf", fuzz::fuzz_elf},
      {"instructions", fuzz::fuzz_instructions},
      {"manifest_ini", fuzz::fuzz_manifest_ini},
      {"manifest_yaml", fuzz::fuzz_manifest_yaml},
      {"state", fuzz::fuzz_state},
      {"trace", fuzz::fuzz_trace},
      {"uri_namespace", fuzz::fuzz_uri_namespace},
  };
  return m;
}

struct FuzzCase {
  std::string target;
  fs::path file;
};

void PrintTo(const FuzzCase& c, std::ostream* os) {
  *os << c.file.string();
}

std::vector<FuzzCase> cases_in(const std::string& folder) {
  std::vector<FuzzCase> out;
  const fs::path root = fs::path(DK_SOURCE_DIR) / "tests" / "fuzz" / folder;
  if (!fs::is_directory(root)) return out;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path()))
      if (f.is_regular_file() && f.path().filename().string()[0] != '.')
        out.push_back({dir.path().filename().string(), f.path()});
  }
  std::sort(out.begin(), out.end(),
            [](const FuzzCase& a, const FuzzCase& b) { return a.file < b.file; });
  return out;
}

std::string case_name(const ::testing::TestParamInfo<FuzzCase>& info) {
  std::string n = info.param.target + "_" + info.param.file.filename().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class FuzzReplay : public ::testing::TestWithParam<FuzzCase> {};

TEST_P(FuzzReplay, Passes) {
  const FuzzCase& c = GetParam();
  auto it = entries().find(c.target);
  ASSERT_NE(it, entries().end()) << "no fuzz target named " << c.target << " for " << c.file;
  std::ifstream in(c.file, std::ios::binary);
  ASSERT_TRUE(in) << c.file;
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  try {
    it->second(bytes);
  } catch (const fuzz::Finding& f) {
    FAIL() << c.file << ": " << f.what();
  } catch (const std::exception& e) {
    FAIL() << c.file << ": an exception escaped the entry point: " << e.what();
  }
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FuzzReplay);
INSTANTIATE_TEST_SUITE_P(Regressions, FuzzReplay, ::testing::ValuesIn(cases_in("regressions")),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Corpus, FuzzReplay, ::testing::ValuesIn(cases_in("corpus")), case_name);

// A replay of nothing checks nothing: the folders must be where this test looks, and every
// target must have seeds (a target without any is replayed by no test at all).
TEST(FuzzReplayLayout, EveryTargetHasSeedsToReplay) {
  const auto seeds = cases_in("corpus");
  EXPECT_FALSE(seeds.empty()) << "no seed under " << DK_SOURCE_DIR << "/tests/fuzz/corpus";
  for (const auto& [target, entry] : entries()) {
    const auto has = [&](const FuzzCase& c) { return c.target == target; };
    EXPECT_TRUE(std::any_of(seeds.begin(), seeds.end(), has))
        << "tests/fuzz/corpus/" << target << "/ holds no seed";
  }
  EXPECT_TRUE(fs::is_directory(fs::path(DK_SOURCE_DIR) / "tests" / "fuzz" / "regressions"));
}

TEST(FuzzReplayLayout, EveryFolderNamesATarget) {
  for (const char* folder : {"corpus", "regressions"})
    for (const FuzzCase& c : cases_in(folder)) EXPECT_TRUE(entries().count(c.target)) << c.file;
}

}  // namespace
}  // namespace dk
