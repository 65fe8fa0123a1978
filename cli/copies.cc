// dk run --copies N: N copies of one picoprocess in one world, a progress line on stderr while
// they start, and a summary when every copy has ended or every live one waits with no
// deadline (the world's deadlock: an idle server), which ends the idle ones.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "commands.h"
#include "dk/elf_image.h"
#include "dk/json.h"
#include "dk/world.h"
#include "run_command.h"

namespace dk::cli {
namespace {

using Clock = std::chrono::steady_clock;

// This process's resident memory in KiB (/proc/self/statm; 0 if unreadable).
double resident_kib() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024.0;
}

// Hears the world's ends: the first copy ended for the deadlock is the moment every live copy
// is idle and still held, where the resident memory is read.
class IdleWatch final : public RunEvents {
 public:
  double kib_at_idle = 0;
  void on_schedule(const EventSite&, uint32_t, uint32_t) override {}
  void on_exception(const EventSite&, uint32_t, uint32_t, uint64_t) override {}
  void on_foreign_trap(const EventSite&, uint32_t, uint64_t) override {}
  void on_upcall(const EventSite&, uint32_t, uint64_t, uint64_t) override {}
  void on_end(const EventSite&, uint32_t reason, int64_t, std::string_view) override {
    if (reason == static_cast<uint32_t>(RunResult::End::Deadlock) && kib_at_idle == 0)
      kib_at_idle = resident_kib();
  }
};

// "started 120 of 1000 copies": rewritten in place on a terminal; elsewhere one line at each
// tenth and at the end.
class Progress {
 public:
  explicit Progress(uint64_t total) : total_(total), tty_(isatty(2) == 1) {}
  void update(uint64_t done) {
    const Clock::time_point now = Clock::now();
    const bool last = done == total_;
    if (tty_) {
      if (!last && now - shown_ < std::chrono::milliseconds(100)) return;
      shown_ = now;
      fprintf(stderr, "\rdk: started %llu of %llu copies", static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(total_));
      if (last) fputc('\n', stderr);
    } else {
      const uint64_t tenth = done * 10 / total_;
      if (tenth == tenth_ && !last) return;
      if (last && tenth_ == 10) return;
      tenth_ = tenth;
      fprintf(stderr, "dk: started %llu of %llu copies\n", static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(total_));
    }
  }

 private:
  uint64_t total_;
  bool tty_;
  Clock::time_point shown_{};
  uint64_t tenth_ = 0;
};

std::string number(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

void run_copies(const RunArgs& a, const LaunchSpec& spec, Host& host, RunOptions opts) {
  IdleWatch watch;
  opts.events = &watch;
  const double kib_before = resident_kib();
  const Clock::time_point t0 = Clock::now();
  World world(host, opts);
  Progress progress(a.copies);
  for (uint64_t i = 0; i < a.copies; ++i) {
    try {
      world.add(spec);
    } catch (const ElfError& e) {
      fprintf(stderr, "dk: run: %s: %s\n", a.target.c_str(), e.what());
      throw Exit{2};
    }
    progress.update(i + 1);
  }
  world.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double kib_held = std::max(watch.kib_at_idle, resident_kib());

  uint64_t started = 0, idle = 0, exited_ok = 0;
  for (uint32_t pid = 1; pid <= a.copies; ++pid) {
    const RunResult& r = world.result(pid);
    if (r.end == RunResult::End::LoadError) continue;
    ++started;
    if (r.end == RunResult::End::Deadlock) ++idle;
    if (r.end == RunResult::End::Exited && r.exit_code == 0) ++exited_ok;
  }
  const double kib_per = started > 0 ? (kib_held - kib_before) / static_cast<double>(started) : 0;
  const double per_second = seconds > 0 ? static_cast<double>(started) / seconds : 0;
  const uint64_t others = a.copies - idle - exited_ok;
  if (a.json) {
    JsonWriter o;
    o.begin_object().field("started", started).field("idle", idle);
    o.field("exited", exited_ok).field("other", others);
    o.key("kib_per_picoprocess").raw(number(kib_per, 1));
    o.key("starts_per_second").raw(number(per_second, 1));
    o.key("seconds").raw(number(seconds, 4)).end_object();
    fflush(stdout);
    printf("%s\n", o.str().c_str());
  } else {
    fflush(stdout);
    fprintf(stderr,
            "dk: %llu copies started, %llu held idle (ended now), %llu exited 0, %llu ended "
            "otherwise; %.1f KiB per picoprocess, %.0f starts per second\n",
            static_cast<unsigned long long>(started), static_cast<unsigned long long>(idle),
            static_cast<unsigned long long>(exited_ok), static_cast<unsigned long long>(others),
            kib_per, per_second);
  }
  // Success: every copy exited 0 or was idle.
  throw Exit{others == 0 ? 0 : 1};
}

}  // namespace dk::cli
