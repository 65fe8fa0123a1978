// The translation buffer (emu/src/engine.cc): Unicorn 2.1.1 crashes when its code buffer
// fills in the middle of a run, so an engine empties it between runs once its estimated use
// passes a bound (half the buffer). Here the bound is lowered below what one copy of hello
// translates, so a world of hundreds of copies empties its engines' buffers again and
// again: every copy must still run to its exit, with the same ticks as the first (a flush
// never changes what the guest sees).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/engine.h"
#include "dk/host_factory.h"
#include "dk/run.h"
#include "dk/world.h"

namespace dk {
namespace {

class Counting : public Console {
 public:
  size_t bytes = 0;
  void write(int, const uint8_t*, size_t n) override { bytes += n; }
  size_t read(uint8_t*, size_t) override { return 0; }
};

std::vector<uint8_t> hello_image() {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/hello", std::ios::binary);
  EXPECT_TRUE(in) << "hello";
  return {std::istreambuf_iterator<char>(in), {}};
}

// `copies` copies of hello in one world on a fresh simulated host (seed 1), run to the end.
struct Copies {
  std::vector<RunResult> results;  // by pid, from 1
  uint64_t translations = 0, flushes = 0;
  size_t console_bytes = 0;
};

Copies run_copies(uint32_t copies) {
  const std::vector<uint8_t> hello = hello_image();
  Counting console;
  HostLaunch l;
  l.seed = 1;
  l.image = hello;
  l.name = "hello";
  l.console = &console;
  LaunchedHost built = make_host(l);
  World world(*built.host);
  LaunchSpec spec;
  spec.image = hello;
  spec.name = "hello";
  spec.args = {"hello", "copy"};
  for (uint32_t i = 0; i < copies; ++i) world.add(spec);
  world.run();
  Copies c;
  for (uint32_t pid = 1; pid <= world.size(); ++pid) c.results.push_back(world.result(pid));
  c.translations = world.translations();
  c.flushes = world.translation_flushes();
  c.console_bytes = console.bytes;
  return c;
}

TEST(EngineTranslationBuffer, FlushesBetweenRunsChangeNothing) {
  struct Restore {
    ~Restore() { Engine::set_translation_flush_at(0); }
  } restore;
  Engine::set_translation_flush_at(128 << 10);
  constexpr uint32_t kCopies = 400;
  const Copies c = run_copies(kCopies);
  ASSERT_EQ(c.results.size(), kCopies);
  for (uint32_t i = 0; i < kCopies; ++i) {
    const RunResult& r = c.results[i];
    ASSERT_EQ(r.end, RunResult::End::Exited) << "copy " << i + 1 << ": " << r.reason;
    ASSERT_EQ(r.exit_code, 0) << "copy " << i + 1;
    ASSERT_EQ(r.ticks, c.results[0].ticks) << "copy " << i + 1;
  }
  EXPECT_GT(c.console_bytes, 0u);
  EXPECT_EQ(c.console_bytes % kCopies, 0u);
  // One copy translates more than the bound (~290 blocks of hello): the buffers were
  // emptied again and again.
  EXPECT_GE(c.flushes, kCopies / 2);
}

// Copies of one image share its read-only pages, and the engines keep them mapped from one
// copy to the next: hundreds of copies translate hardly more code than one.
TEST(EngineTranslationBuffer, CopiesOfOneImageReuseItsTranslations) {
  const Copies one = run_copies(1), many = run_copies(200);
  for (const Copies* c : {&one, &many})
    for (const RunResult& r : c->results) EXPECT_EQ(r.exit_code, 0);
  EXPECT_GT(one.translations, 100u);
  // Each engine of the pool (World::kMaxEngines) translates the code once; what a copy
  // translates again is the code on its own pages (none in hello).
  EXPECT_LE(many.translations, one.translations * World::kMaxEngines);
}

}  // namespace
}  // namespace dk
