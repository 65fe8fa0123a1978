// The golden traces in traces/corpus/ (the examples on the simulated host, seed 1) replay
// against this build: its emulator and its guest images. A change that alters what an example
// does fails here until the traces are re-recorded on purpose with scripts/update-golden-traces.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dk/trace_launch.h"
#include "dk/replayer.h"
#include "dk/run.h"
#include "dk/trace_file.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUpdate = "; if the change is meant, run scripts/update-golden-traces";

std::vector<fs::path> corpus() {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(fs::path(DK_SOURCE_DIR) / "traces" / "corpus"))
    if (e.path().extension() == ".dktrace") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(GoldenTraces, EveryExampleHasOne) {
  std::vector<std::string> names;
  for (const auto& p : corpus()) names.push_back(p.stem().string());
  for (const char* want : {"hello", "counter", "pipeline", "filetool", "fault"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

TEST(GoldenTraces, ReplayAgainstThisBuild) {
  for (const auto& path : corpus()) {
    SCOPED_TRACE(path.filename().string());
    TraceReader in(path.string());
    const TraceHeader& h = in.header();
    ASSERT_EQ(h.host_kind, "sim");
    const TraceLaunch& l = h.launch;
    // This build's image, not the trace's copy: the test is about what this build does.
    std::ifstream f(std::string(DK_GUEST_DIR) + "/" + l.name, std::ios::binary);
    ASSERT_TRUE(f) << l.name << " is not built";
    LaunchSpec spec;
    RunOptions opts;
    launch_from_trace(l, spec, opts);
    // The image this build made, not the trace's copy: a changed image must fail here.
    spec.image.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    EXPECT_EQ(trace_hash(spec.image.data(), spec.image.size()), h.image_hash)
        << "guest/" << l.name << " is not the image the golden trace was recorded from" << kUpdate;
    ReplayOptions ro;
    ro.unicorn_version = unicorn_version();
    Replayer rp(in, ro);
    opts.events = &rp;
    const RunResult r = run_picoprocess(rp, spec, opts);
    EXPECT_FALSE(rp.diverged()) << rp.divergence().report() << kUpdate;
    EXPECT_TRUE(rp.finished()) << r.reason << kUpdate;
    EXPECT_GT(rp.downcalls_replayed(), 3u);
  }
}

}  // namespace
}  // namespace dk
