// The stream base every host's stream objects derive from (files, directories, devices, pipe
// and socket ends, servers), and the request one read or write carries. Kinds override what
// they support; the rest answers as the ABI says for a stream of the wrong kind. Errors are
// dk_status_t values; nothing here throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/host.h"
#include "dk/monitor/uri.h"

namespace dk {

struct StreamIo {
  CallContext& cx;
  uint64_t offset = 0;
  uint64_t room = 0;                         // read: bytes the guest offered
  const std::vector<uint8_t>* in = nullptr;  // write: the bytes
  std::vector<uint8_t>* out = nullptr;       // read: the bytes produced
  uint64_t done = 0;                         // bytes read or written
};

// A directory stream's read (ABI.md #22): the names from entry `io.offset` on, each
// NUL-terminated, as many whole ones as fit in io.room; OVERFLOW, with the room the first
// one needs in io.done, when not even that one fits. `name_of(*it)` gives an entry's name.
template <class It, class NameOf>
dk_status_t read_dir_entries(It first, It last, NameOf name_of, StreamIo& io) {
  for (uint64_t skip = io.offset; skip > 0 && first != last; --skip) ++first;
  std::vector<uint8_t>& out = *io.out;
  out.clear();
  for (; first != last; ++first) {
    const std::string& name = name_of(*first);
    if (out.size() + name.size() + 1 > io.room) {
      if (out.empty()) {
        io.done = name.size() + 1;
        return -DK_E_OVERFLOW;
      }
      break;
    }
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(0);
  }
  io.done = out.size();
  return 0;
}

// What a host backed by the kernel watches while a thread is parked in a wait: descriptors
// whose readiness may end it. A host with nothing outside the world (the simulated one) has
// none; its world changes only when a peer calls.
class IoWatch {
 public:
  virtual void arm(int fd, uint32_t events) = 0;

 protected:
  ~IoWatch() = default;
};

class HostStream : public HostObject {
 public:
  HostStream(uint32_t type, std::string name, bool readable, bool writable, bool nonblocking)
      : HostObject(ObjectKind::Stream),
        type(type),
        name(std::move(name)),
        readable(readable),
        writable(writable),
        nonblocking(nonblocking) {}

  uint32_t type;     // DK_STREAM_*
  std::string name;  // the virtual URI, canonical spelling; never a host path
  bool readable, writable, nonblocking;
  // dev:console, set by the host that made the stream: what is written to it counts
  // against the output_bytes quota (QuotaEnforcer).
  bool console_device = false;

  // Files and directories take offsets; every other stream needs offset 0.
  virtual bool positioned() const { return false; }
  virtual dk_status_t read(StreamIo& io) = 0;
  virtual dk_status_t write(StreamIo& io) = 0;
  // DkObjectsWaitAny: data or end of stream readable, a client waiting, the peer closed.
  virtual bool wait_ready() const { return true; }
  // A wait that parks on this stream: arm what would make it ready (a descriptor).
  virtual void arm_wait(IoWatch&) const {}
  // dk_stream_attr.size: a file's length, or the bytes ready to read.
  virtual uint64_t size() const { return 0; }
  virtual uint32_t mode() const { return share_; }
  virtual void set_mode(uint32_t m) { share_ = m; }
  // DkStreamDelete on pipes and sockets (READ, WRITE, ALL); files are deleted by their host.
  virtual dk_status_t shutdown(uint32_t /*which*/) { return -DK_E_WRONGTYPE; }
  // DkStreamFlush after the host wrote back the caller's shared mappings.
  virtual dk_status_t flush() { return 0; }
  // DkStreamWaitForClient on this stream would now give the caller a new stream handle (a
  // server with a client in its backlog), or try to (a TCP server learns whether a client
  // waits only by accepting). The streams quota is asked just before (QuotaEnforcer).
  virtual bool would_accept() const { return false; }

 private:
  uint32_t share_ = 0666;
};

// A DkStreamMap region of one picoprocess: a copy of the file's bytes in fresh pages
// (CoreHost keeps them by pid; they are part of its state, dk/core/state.h).
struct StreamMapping {
  uint64_t addr = 0, size = 0;  // page-aligned, whole pages
  std::shared_ptr<HostStream> file;
  uint64_t offset = 0;
  uint32_t prot = 0;
  bool shared = false;  // stores reach the file on DkStreamFlush and DkStreamUnmap
};

// The stream behind handle `h`: BADHANDLE, or WRONGTYPE for another kind of object.
inline dk_status_t get_stream(CallContext& cx, dk_handle_t h, std::shared_ptr<HostStream>& s) {
  auto o = cx.handles.get(h);
  if (!o) return -DK_E_BADHANDLE;
  s = std::dynamic_pointer_cast<HostStream>(o);
  return s ? 0 : -DK_E_WRONGTYPE;
}

// The stream behind `h` as kind T (a host's stream class): WRONGTYPE for any other.
template <class T>
dk_status_t get_stream_as(CallContext& cx, dk_handle_t h, std::shared_ptr<T>& out) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, h, s)) return st;
  out = std::dynamic_pointer_cast<T>(s);
  return out ? 0 : -DK_E_WRONGTYPE;
}

// Why a DkStreamWrite at `offset` on `s` is refused before a byte moves, or 0: an offset on
// a stream that takes none (INVAL), a server (NOTCONN), a stream not open for writing
// (ACCESS). The core host's write and the quota decorator's output_bytes check (which comes
// after these) share it.
inline dk_status_t write_refusal(const HostStream& s, uint64_t offset) {
  if (!s.positioned() && offset != 0) return -DK_E_INVAL;
  if (s.type == DK_STREAM_SERVER) return -DK_E_NOTCONN;  // servers carry no data
  if (!s.writable) return -DK_E_ACCESS;
  return 0;
}

// DkStreamOpen's checks before a host looks at what the URI names: INVAL for flags outside
// the ABI's (an access mode above RDWR, create bits beyond TRY, ALWAYS and TRUNCATE or TRY
// with ALWAYS, options beyond NONBLOCK, share above 0777), then the URI's syntax into `uri`.
// Every host's open starts here, and the quota decorator asks it before the streams quota,
// so these refusals come first.
dk_status_t check_open_request(const Call& call, Uri& uri);

// What a DkStreamOpen asks for, read from its access, share, create and options arguments
// once check_open_request has accepted them. changes(): the open may change what it names
// (write access, append or a create), so the policy is asked for write access.
struct OpenFlags {
  uint32_t mode = DK_ACCESS_RDONLY;  // RDONLY, WRONLY, RDWR
  bool append = false;
  uint32_t share = 0644;
  uint32_t create = DK_CREATE_NEVER;
  bool nonblocking = false;
  bool readable() const { return mode != DK_ACCESS_WRONLY; }
  bool writable() const { return mode != DK_ACCESS_RDONLY; }
  bool changes() const { return writable() || append || create != DK_CREATE_NEVER; }
  static OpenFlags of(const Call& call) {
    OpenFlags f;
    const uint64_t access = call.arg(1);
    f.mode = static_cast<uint32_t>(access & ~uint64_t{DK_ACCESS_APPEND});
    f.append = access & DK_ACCESS_APPEND;
    f.share = static_cast<uint32_t>(call.arg(2));
    f.create = static_cast<uint32_t>(call.arg(3));
    f.nonblocking = call.arg(4) & DK_OPTION_NONBLOCK;
    return f;
  }
};

// A call that cannot go on yet: AGAIN for a nonblocking stream, else park the thread until
// the world changes (see kBlocked).
inline dk_status_t block_or_again(CallContext& cx, bool nonblocking) {
  if (nonblocking) return -DK_E_AGAIN;
  cx.ctl.block(kNoDeadline);
  return kBlocked;
}

}  // namespace dk
