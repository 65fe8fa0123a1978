// Whole processes timed as a user times them: posix_spawn to waitpid, stdout and stderr to
// /dev/null (runtime_bench.cc, startup_bench.cc). Medians of rounds: this 2-core machine is
// shared, and a mean follows its worst moments.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace dk::bench {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// posix_spawn of `argv` with stdout to `out_fd` (-1: /dev/null) and stderr to /dev/null;
// throws when it cannot start.
inline pid_t spawn_quiet(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (out_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  else
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) throw std::runtime_error(argv[0] + ": posix_spawn: " + std::strerror(err));
  return pid;
}

// Waits for `pid` (`usage`, if given, receives its resource use); throws unless it exited 0.
inline void wait_exit_0(const std::vector<std::string>& argv, pid_t pid, rusage* usage) {
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  if (usage) *usage = ru;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw std::runtime_error(cmd + ": did not exit 0 (status " + std::to_string(status) + ")");
  }
}

// Wall seconds from posix_spawn of `argv` (stdout and stderr to /dev/null) to its exit;
// throws unless it exits 0. `usage`, if given, receives the child's resource use (its page
// faults: ru_minflt).
inline double spawn_and_wait(const std::vector<std::string>& argv, rusage* usage = nullptr) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = spawn_quiet(argv, -1);
  rusage ru{};
  wait_exit_0(argv, pid, &ru);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (usage) *usage = ru;
  return s;
}

// Runs `argv` to its exit 0 (throws otherwise) and returns what it wrote to stdout.
inline std::string spawn_and_read(const std::vector<std::string>& argv) {
  FILE* out = std::tmpfile();
  if (!out) throw std::runtime_error(std::string("tmpfile: ") + std::strerror(errno));
  std::string text;
  try {
    wait_exit_0(argv, spawn_quiet(argv, fileno(out)), nullptr);
    std::rewind(out);
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, out)) > 0) text.append(buf, n);
  } catch (...) {
    std::fclose(out);
    throw;
  }
  std::fclose(out);
  return text;
}

}  // namespace dk::bench
