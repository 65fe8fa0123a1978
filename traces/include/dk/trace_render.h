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

// Buffers show their first `max_bytes` bytes (`dk trace show -s N`), 32 by default.
inline constexpr size_t kRenderBytes = 32;

// One call. `with_result`: outputs and ` = status` too (a call not yet served has neither).
std::string render_call(const DowncallRecord& call, bool with_result = true,
                        size_t max_bytes = kRenderBytes);
// Argument `i` of a call as render_call shows it.
std::string render_arg(const DowncallRecord& call, int i, bool with_result = true,
                       size_t max_bytes = kRenderBytes);
// One record: `[tick thread] ...`, and `[tick pid:thread]` for pids other than 0 and 1.
std::string render_record(const TraceRecord& r, size_t max_bytes = kRenderBytes);
std::string render_event(const TraceRecord& r,
                         size_t max_bytes = kRenderBytes);  // without the site
std::string render_site(const TraceRecord& r);  // the `[tick thread] ` prefix alone

// `dk trace show --json` (trace_json.cc; schema in docs/formats.md): every field of a record
// or of the header, one JSON object on one line. Buffers are whole, in lowercase hex; a u64
// above 2^53 (where a JSON reader's doubles lose digits) is a decimal string.
std::string record_json(const TraceRecord& r);
std::string header_json(const TraceHeader& h);

std::string status_text(dk_status_t status);  // "0", "-6 NOENT"

}  // namespace dk
