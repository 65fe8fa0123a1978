// Between a trace header's launch (what to run, with which scheduling options) and the run's
// LaunchSpec and RunOptions (dk/run_types.h): what dk record writes and dk replay reads back.
#pragma once

#include "dk/run_types.h"
#include "dk/trace_format.h"

namespace dk {

// The launch as a trace header keeps it (checksum_every is left to the caller).
inline TraceLaunch trace_launch_of(const LaunchSpec& spec, const RunOptions& opts) {
  TraceLaunch l;
  l.image = spec.image;
  l.name = spec.name;
  l.args = spec.args;
  l.env = spec.env;
  l.stack_size = spec.stack_size;
  l.stdin_uri = spec.stdin_uri;
  l.stdout_uri = spec.stdout_uri;
  l.stderr_uri = spec.stderr_uri;
  l.quantum = opts.quantum;
  l.max_ticks = opts.max_ticks;
  l.max_world_ticks = opts.max_world_ticks;
  return l;
}

// The launch a trace recorded, image included (a caller that checks another image against
// the header's hash replaces spec.image afterwards).
inline void launch_from_trace(const TraceLaunch& l, LaunchSpec& spec, RunOptions& opts) {
  spec.image = l.image;
  spec.name = l.name;
  spec.args = l.args;
  spec.env = l.env;
  spec.stack_size = l.stack_size;
  spec.stdin_uri = l.stdin_uri;
  spec.stdout_uri = l.stdout_uri;
  spec.stderr_uri = l.stderr_uri;
  opts.quantum = l.quantum;
  opts.max_ticks = l.max_ticks;
  opts.max_world_ticks = l.max_world_ticks;
}

}  // namespace dk
