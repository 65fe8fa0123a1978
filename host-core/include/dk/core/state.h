// The host core's objects written to a byte stream and read back, the base of process
// snapshots (docs/formats.md, "Object state stream"). What is saved: semaphores, both kinds
// of event, pipe and loopback socket ends with their connection (both directions: buffered
// bytes, totals, closed flags, queued handles), pipe servers with their backlog, thread and
// process records (pid, tid, exited, exit code), handle tables (each handle's value and
// object, the next value, the limit), the process table (images, children's records),
// CoreHost's pending waits and stream mappings, and the quota decorator's ledger (limits,
// use and peak of every counter, the bound stdout and stderr).
// Objects are saved once however many hold them; the objects they hold (queued handles, a
// server's clients, an end's connection) come along. Streams of other kinds hold what only
// their host has (files, sockets, devices) and can not be saved here (nor, yet, a mapping of
// one). Wake lists are not state: a restored parked thread enters them again when it retries.
//
// Errors are values: saving something that can not be saved gives NOTSUP and names it;
// reading a stream that is cut short, carries an unknown tag or version, a count past its
// bound or a reference to nothing gives INVAL with the offset and what was wrong.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dk/core/process_table.h"
#include "dk/core/stream.h"
#include "dk/handle_table.h"
#include "dk/monitor/quota_ledger.h"

namespace dk {

struct CoreState {
  // Objects saved as themselves, in order (with everything they hold); after a load, the
  // same objects rebuilt, in the same order.
  std::vector<std::shared_ptr<HostObject>> roots;
  // Handle tables by pid.
  std::map<uint32_t, HandleTable> handles;
  // The process table, when there is one to save.
  std::optional<ProcessTable> processes;
  // CoreHost's own (CoreHost::save_core): the objects each parked DkObjectsWaitAny waits on,
  // by (pid, thread), in the call's order; and each picoprocess's stream mappings, in the
  // order they were made (the mapped stream by reference, like any object).
  std::map<std::pair<uint32_t, uint32_t>, std::vector<std::shared_ptr<HostObject>>> waits;
  std::map<uint32_t, std::vector<StreamMapping>> mappings;
  // The quota decorator's ledger (QuotaEnforcer::save_quotas), when there is one.
  std::optional<QuotaLedger::State> quotas;
  // After a load: every object of the stream, by its id. Keeps alive the records that only
  // the process table's weak references name (in a world the emulator holds those) until
  // their owner takes them.
  std::vector<std::shared_ptr<HostObject>> held;
};

struct StateError {
  uint64_t offset = 0;  // where the stream went wrong (load), 0 for save
  std::string what;
};

// The stream's first four bytes, and the format version this code writes and reads.
inline constexpr char kStateMagic[5] = "DkST";
// Version 2 added the pending waits, the stream mappings and the quota ledger; a version 1
// stream still loads (with none of them).
inline constexpr uint16_t kStateVersion = 2;

// Writes `s` (held is not read) to `out`: 0, or -DK_E_NOTSUP with `err`.
dk_status_t save_state(const CoreState& s, std::vector<uint8_t>& out, StateError& err);
// Reads a stream written by save_state into `s`: 0, or -DK_E_INVAL with `err` (and `s`
// left empty).
dk_status_t load_state(const uint8_t* data, size_t size, CoreState& s, StateError& err);

}  // namespace dk
