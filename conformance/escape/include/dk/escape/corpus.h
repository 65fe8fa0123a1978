// The escape corpus: every attempt a picoprocess makes to get out, with the outcome a host
// that contains it produces. An attempt is an attempt image started with a case name, or an
// instruction stream generated for it; it always runs beside a sibling picoprocess. The table
// is data; the runner (runner.h) and the observer (observer.h) decide verdicts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dk/monitor/quota.h"

namespace dk::escape {

// What a containing host leaves behind for the attacker itself. The observer adds its own
// checks to every attempt (observer.h); this is only the attacker's end.
struct Expect {
  enum class Kind {
    Exit,       // exited with `exit_code`
    Exception,  // ended by an unhandled exception of `exception_type` (and detail/address)
    TickLimit,  // stopped by the tick limit (a clean end)
  };
  Kind kind = Kind::Exit;
  int64_t exit_code = 0;
  uint32_t exception_type = 0;
  int64_t detail = -1;   // -1: any
  int64_t address = -1;  // -1: any; otherwise the exact faulting address or trap rip
  std::string describe() const;
};

// Facts only the attempt's own process knows: where the canaries are, and addresses inside
// the harness. Generated streams embed them.
struct AttemptContext {
  std::string id;              // the attempt's id
  std::string canary_path;     // host file outside every mapping; must stay unchanged
  std::string absent_path;     // host path that must stay absent
  uint16_t canary_port = 0;    // TCP port on 127.0.0.1 that must see no connection
  std::string marker;          // bytes that must never reach the harness's own stdout/stderr
  uint64_t harness_code = 0;   // an address of harness code
  uint64_t harness_data = 0;   // the address of the harness buffer the observer checksums
  uint64_t harness_stack = 0;  // an address on the harness's stack
};

struct Attempt {
  std::string id;      // "syscall.x64.059": family first
  std::string family;  // "syscall.x64", "int", "args", ...
  std::string what;    // one line for reports
  std::string clause;  // the ABI.md rule it holds the host to
  // An attempt image (in the images folder) and its case, or a generated stream.
  std::string image;
  std::string case_name;
  std::function<std::vector<uint8_t>(const AttemptContext&)> generate;
  Expect expect;
  // The sibling: default esc_sibling work, which must exit 90; attempts on shared image pages
  // watch with a second picoprocess of the same image instead.
  std::string sibling_image = "esc_sibling";
  std::string sibling_case = "work";
  int64_t sibling_exit = 90;
  Limits limits;           // manifest limits for the attacker (0: the host's defaults)
  uint64_t max_ticks = 0;  // 0: the runner's default
  double timeout_s = 0;    // 0: the runner's default
};

// The whole corpus, in family order.
std::vector<Attempt> corpus();
// Family names in corpus order (each once).
std::vector<std::string> families(const std::vector<Attempt>& attempts);

}  // namespace dk::escape
