// The trace format's decoding entry points over the shared codec (dk/byte_codec.h).
#pragma once

#include "dk/byte_codec.h"
#include "dk/trace_format.h"

namespace dk::trace_detail {

using dk::ByteReader;
using dk::ByteWriter;
using dk::DecodeError;

// Decoding counterparts of encode_header / encode_record (trace_format.cc).
void decode_header(ByteReader& in, TraceHeader& h, bool exact);
void decode_record(ByteReader& in, TraceRecord& r);

}  // namespace dk::trace_detail
