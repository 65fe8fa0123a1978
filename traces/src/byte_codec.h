// The trace format's decoding entry points over the shared codec (dk/byte_codec.h).
#pragma once

#include "dk/byte_codec.h"
#include "dk/trace_format.h"

namespace dk::trace_detail {

using dk::ByteReader;
using dk::ByteWriter;
using dk::DecodeError;

// Decoding counterparts of encode_header / encode_record (trace_format.cc). A record is read
// as the header's minor version lays it out; a 1.0 record comes back in the current shape.
void decode_header(ByteReader& in, TraceHeader& h, bool exact);
void decode_record(ByteReader& in, TraceRecord& r, uint16_t format_minor);
// A decoded 1.0 record in the current shape: the effects its downcall implied, a mapping's
// bytes moved from the output bytes to a memory-write effect (trace_upgrade.cc).
void upgrade_record_1_0(TraceRecord& r);

}  // namespace dk::trace_detail
