// Printing calls and records strace-like, from the call table's argument names and kinds:
// `DkStreamWrite(stream=0x11, offset=0, buf="hi\n", count=3) = 0`. Used by `dk trace show`,
// `dk trace diff`, divergence reports, the Chrome export and tests.
#pragma once

#include <cstdint>
#include <string>

#include "dk/trace_format.h"

namespace dk {

// Bytes as a quoted C string with escapes; more than `max` bytes end in `"...`.
std::string quote_bytes(const uint8_t* data, size_t len, size_t max = 32);

// One call. `with_result`: outputs and ` = status` too (a call not yet served has neither).
std::string render_call(const DowncallRecord& call, bool with_result = true);
// One record: `[tick thread] ...`, and `[tick pid:thread]` for pids other than 0 and 1.
std::string render_record(const TraceRecord& r);
std::string render_site(const TraceRecord& r);  // the `[tick thread] ` prefix alone
// One record as a JSON object (one line), for `dk trace show --json`.
std::string record_json(const TraceRecord& r);
std::string json_string(const std::string& s);

std::string status_text(dk_status_t status);  // "0", "-6 NOENT"

}  // namespace dk
