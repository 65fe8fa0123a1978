// fuzz_state: the host core's object state reader (dk/core/state.h) on arbitrary bytes.
// Nothing escapes load_state: a stream is loaded or refused with a message. What loads saves
// again, and that stream loads and saves to the same bytes (ids are given in the order
// objects are met, so a second round trip must be exact).
#pragma once

#include <span>
#include <vector>

#include "dk/core/pipe.h"
#include "dk/core/state.h"
#include "fuzz_input.h"

namespace dk::fuzz {

// Queued handles may hold the ends of their own connection: dropped so nothing leaks.
inline void drop_state_cargo(CoreState& s) {
  for (const auto& o : s.held)
    if (auto* end = dynamic_cast<ConnEnd*>(o.get())) {
      auto a = std::move(end->conn->dir[0].cargo);
      auto b = std::move(end->conn->dir[1].cargo);
    }
}

inline void fuzz_state(std::span<const uint8_t> data) {
  CoreState s;
  StateError err;
  if (load_state(data.data(), data.size(), s, err) != 0) {
    if (err.what.empty()) finding("a refused stream without a message");
    if (err.offset > data.size()) finding("an error offset past the end: " + err.what);
    return;
  }
  std::vector<uint8_t> once, twice;
  if (save_state(s, once, err) != 0) finding("a loaded state does not save: " + err.what);
  CoreState back;
  if (load_state(once.data(), once.size(), back, err) != 0)
    finding("a saved state does not load: " + err.what);
  if (save_state(back, twice, err) != 0) finding("a reloaded state does not save: " + err.what);
  drop_state_cargo(s);
  drop_state_cargo(back);
  if (once != twice) finding("saving what a load gave back changed the bytes");
}

}  // namespace dk::fuzz
