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

TEST(EngineTranslationBuffer, FlushesBetweenRunsChangeNothing) {
  struct Restore {
    ~Restore() { Engine::set_translation_flush_at(0); }
  } restore;
  Engine::set_translation_flush_at(128 << 10);
  std::ifstream in(std::string(DK_GUEST_DIR) + "/hello", std::ios::binary);
  ASSERT_TRUE(in) << "hello";
  const std::vector<uint8_t> hello{std::istreambuf_iterator<char>(in), {}};
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
  constexpr uint32_t kCopies = 400;
  for (uint32_t i = 0; i < kCopies; ++i) world.add(spec);
  world.run();
  ASSERT_EQ(world.size(), kCopies);
  for (uint32_t pid = 1; pid <= kCopies; ++pid) {
    const RunResult& r = world.result(pid);
    ASSERT_EQ(r.end, RunResult::End::Exited) << "copy " << pid << ": " << r.reason;
    ASSERT_EQ(r.exit_code, 0) << "copy " << pid;
    ASSERT_EQ(r.ticks, world.result(1).ticks) << "copy " << pid;
  }
  EXPECT_GT(console.bytes, 0u);
  EXPECT_EQ(console.bytes % kCopies, 0u);
  // One copy translates more than the bound (~290 blocks of hello): the buffers were
  // emptied again and again.
  EXPECT_GE(world.translation_flushes(), kCopies / 2);
}

// Copies of one image share its read-only pages, and the engines keep them mapped from one
// copy to the next: hundreds of copies translate hardly more code than one.
uint64_t translations_of_copies(const std::vector<uint8_t>& hello, uint32_t copies) {
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
  for (uint32_t pid = 1; pid <= copies; ++pid) EXPECT_EQ(world.result(pid).exit_code, 0);
  return world.translations();
}

TEST(EngineTranslationBuffer, CopiesOfOneImageReuseItsTranslations) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/hello", std::ios::binary);
  ASSERT_TRUE(in) << "hello";
  const std::vector<uint8_t> hello{std::istreambuf_iterator<char>(in), {}};
  const uint64_t one = translations_of_copies(hello, 1);
  const uint64_t many = translations_of_copies(hello, 200);
  EXPECT_GT(one, 100u);
  // Each engine of the pool (World::kMaxEngines) translates the code once; what a copy
  // translates again is the code on its own pages (none in hello).
  EXPECT_LE(many, one * World::kMaxEngines);
}

}  // namespace
}  // namespace dk
