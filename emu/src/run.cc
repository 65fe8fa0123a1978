// run_picoprocess: one picoprocess (and any children it creates) in a world of its own.
#include "dk/run.h"

#include "dk/world.h"

namespace dk {

int RunResult::shell_status() const {
  switch (end) {
    case End::Exited:
      return static_cast<int>(static_cast<uint64_t>(exit_code) & 0xff);
    case End::UnhandledException:
      return 128 + static_cast<int>(exception_type);
    case End::TickLimit:
      return 124;  // as timeout(1)
    case End::LoadError:
      return 127;  // as a shell that cannot run the program
    case End::HostError:
      return 125;
    case End::Deadlock:
      return 126;  // it would never have ended
  }
  return 125;
}

RunResult run_picoprocess(Host& host, const LaunchSpec& spec, const RunOptions& opts,
                          std::vector<TrapRecord>* audit) {
  World world(opts, audit);
  const uint32_t pid = world.add(host, spec);
  world.run();
  return world.result(pid);
}

}  // namespace dk
