// The object state stream (dk/core/state.h, docs/formats.md): objects are numbered in the
// order they are first met (the roots, the handle tables, the process table's children, then
// what each object holds), written once each, and named by number wherever they are held.
// Reading parses and checks every record first, then every reference, and only then builds
// the objects, so a bad stream never leaves half-built objects behind.
#include "dk/core/state.h"

#include <array>
#include <cstring>
#include <iterator>
#include <typeinfo>

#include "dk/core/pipe.h"
#include "dk/core/state_io.h"
#include "dk/core/sync.h"

namespace dk {
namespace {

using state::Reader;
using state::Writer;

constexpr uint32_t kCore = state::tag("CORE");
constexpr uint32_t kObjects = state::tag("OBJS");
constexpr uint32_t kRoots = state::tag("ROOT");
constexpr uint32_t kHandles = state::tag("HTAB");
constexpr uint32_t kProcesses = state::tag("PTAB");
constexpr uint32_t kSemaphore = state::tag("SEMA");
constexpr uint32_t kNotification = state::tag("NEVT");
constexpr uint32_t kSynchronization = state::tag("SEVT");
constexpr uint32_t kThread = state::tag("THRD");
constexpr uint32_t kProcess = state::tag("PROC");
constexpr uint32_t kConnection = state::tag("CONN");
constexpr uint32_t kEnd = state::tag("PEND");
constexpr uint32_t kServer = state::tag("LSTN");
constexpr uint32_t kWaits = state::tag("WAIT");
constexpr uint32_t kMappings = state::tag("MAPS");
constexpr uint32_t kLedger = state::tag("QLED");

constexpr uint32_t kNone = 0xffffffffu;  // a child record nobody holds any more
// Bounds checked on read, before anything is allocated.
constexpr uint32_t kMaxEntries = 1u << 20;
constexpr uint32_t kMaxHandles = 1u << 20;
constexpr uint32_t kMaxTables = 1u << 16;
constexpr uint32_t kMaxImages = 1u << 16;
constexpr uint32_t kMaxBacklog = 1u << 16;
constexpr uint64_t kMaxImage = 256ull << 20;
constexpr uint32_t kMaxThreadsWaiting = 1u << 20;
constexpr uint32_t kMaxMappings = 1u << 16;  // per picoprocess
constexpr uint32_t kMaxPicoprocesses = 1u << 16;
constexpr uint32_t kProtBits = DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC;
constexpr size_t kRecordHead = 10;  // tag, version, length

struct SaveError {
  std::string what;
};

// ---- saving ----

class Saver {
 public:
  uint32_t ref(const std::shared_ptr<HostObject>& o) {
    if (!o) throw SaveError{"a null object"};
    return id(o.get(), o, nullptr);
  }
  uint32_t ref(const std::shared_ptr<Connection>& c) { return id(c.get(), nullptr, c); }

  // OBJS: every entry, including those the entries written so far hold.
  void write_entries(Writer& w) {
    w.record(kObjects, 1, [&](Writer& w) {
      const size_t at = w.raw().size();
      w.u32(0);
      for (size_t i = 0; i < entries_.size(); ++i) {
        const Entry e = entries_[i];  // a copy: writing may add entries
        if (e.conn)
          write_connection(w, *e.conn);
        else
          write_object(w, *e.obj);
      }
      w.raw().patch_u32(at, static_cast<uint32_t>(entries_.size()));
    });
  }

 private:
  struct Entry {
    std::shared_ptr<HostObject> obj;
    std::shared_ptr<Connection> conn;
  };

  uint32_t id(const void* key, std::shared_ptr<HostObject> o, std::shared_ptr<Connection> c) {
    auto [it, fresh] = ids_.emplace(key, static_cast<uint32_t>(entries_.size()));
    if (fresh) entries_.push_back({std::move(o), std::move(c)});
    return it->second;
  }

  void write_channel(Writer& w, const Channel& c) {
    w.u64(c.read_total);
    w.u64(c.write_total);
    w.flag(c.write_closed);
    w.flag(c.read_closed);
    const std::vector<uint8_t> bytes(c.bytes.begin(), c.bytes.end());
    w.bytes(bytes.data(), bytes.size());
    w.u32(static_cast<uint32_t>(c.cargo.size()));
    for (const auto& k : c.cargo) {
      w.u64(k.at);
      w.u32(ref(k.object));
    }
  }

  void write_connection(Writer& w, const Connection& c) {
    w.record(kConnection, 1, [&](Writer& w) {
      write_channel(w, c.dir[0]);
      write_channel(w, c.dir[1]);
    });
  }

  void write_object(Writer& w, const HostObject& o) {
    const std::type_info& type = typeid(o);
    if (type == typeid(SemaphoreObject)) {
      const auto& s = static_cast<const SemaphoreObject&>(o);
      w.record(kSemaphore, 1, [&](Writer& w) {
        w.u32(s.count);
        w.u32(s.max);
      });
    } else if (type == typeid(EventObject)) {
      const auto& e = static_cast<const EventObject&>(o);
      w.record(e.auto_reset() ? kSynchronization : kNotification, 1,
               [&](Writer& w) { w.flag(e.signaled); });
    } else if (type == typeid(ThreadObject)) {
      const auto& t = static_cast<const ThreadObject&>(o);
      w.record(kThread, 1, [&](Writer& w) {
        w.u32(t.pid);
        w.u32(t.tid);
        w.flag(t.exited);
      });
    } else if (type == typeid(ProcessObject)) {
      const auto& p = static_cast<const ProcessObject&>(o);
      w.record(kProcess, 1, [&](Writer& w) {
        w.u32(p.pid);
        w.flag(p.exited);
        w.i64(p.exit_code);
      });
    } else if (type == typeid(ConnEnd)) {
      const auto& e = static_cast<const ConnEnd&>(o);
      const uint32_t conn = ref(e.conn);
      w.record(kEnd, 1, [&](Writer& w) {
        w.u32(e.type);
        w.str(e.name);
        w.flag(e.readable);
        w.flag(e.writable);
        w.flag(e.nonblocking);
        w.u32(e.mode());
        w.u8(static_cast<uint8_t>(e.side));
        w.u32(conn);
      });
    } else if (type == typeid(Listener)) {
      const auto& l = static_cast<const Listener&>(o);
      std::vector<uint32_t> backlog;
      for (const auto& c : l.backlog) backlog.push_back(ref(c));
      w.record(kServer, 1, [&](Writer& w) {
        w.str(l.name);
        w.u32(l.client_type);
        w.flag(l.nonblocking);
        w.u32(l.mode());
        w.flag(l.closed);
        w.u32(static_cast<uint32_t>(backlog.size()));
        for (uint32_t id : backlog) w.u32(id);
      });
    } else if (auto* s = dynamic_cast<const HostStream*>(&o)) {
      throw SaveError{"stream " + s->name + " (type " + std::to_string(s->type) +
                      ") holds what only its host has and can not be saved"};
    } else {
      throw SaveError{"an object of kind " + std::to_string(static_cast<uint32_t>(o.kind())) +
                      " that is not the host core's can not be saved"};
    }
  }

  std::map<const void*, uint32_t> ids_;
  std::vector<Entry> entries_;
};

void write_image(Writer& w, const ProcessTable::Image& image) {
  w.str(image.name);
  w.bytes(image.bytes.data(), image.bytes.size());
}

void write_limits(Writer& w, const Limits& l) {
  w.u64(l.memory);
  w.u64(l.threads);
  w.u64(l.handles);
  w.u64(l.streams);
  w.u64(l.cpu_ticks);
  w.u64(l.output_bytes);
}

// ---- loading ----

struct Channel0 {
  uint64_t read_total = 0, write_total = 0;
  bool write_closed = false, read_closed = false;
  std::vector<uint8_t> bytes;
  std::vector<std::pair<uint64_t, uint32_t>> cargo;  // at, id
};

// One entry as read, before any object is built.
struct Parsed {
  uint32_t tag = 0;
  uint64_t offset = 0;
  uint32_t a = 0, b = 0;  // SEMA count, max; THRD/PROC pid, tid; PEND/LSTN type, mode
  bool flag = false;      // events: signaled; THRD/PROC: exited; LSTN: closed
  int64_t code = 0;
  Channel0 dir[2];
  std::string name;
  bool readable = false, writable = false, nonblocking = false;
  uint8_t side = 0;
  uint32_t conn = 0;
  std::vector<uint32_t> backlog;
};

// A reference read at `offset` that must name an entry of kind `want`.
enum class Want { Object, Connection, End, Process, Stream };
struct Ref {
  uint32_t id;
  uint64_t offset;
  Want want;
  const char* what;
};

class Loader {
 public:
  void read(Reader& in, CoreState& s) {
    uint16_t version = 0;
    Reader core = in.record(kCore, kStateVersion, "state", version);
    read_entries(core);
    {
      uint16_t roots_version = 0;
      Reader r = core.record(kRoots, 1, "roots", roots_version);
      const uint32_t n = r.count("root count", kMaxEntries, 4);
      for (uint32_t i = 0; i < n; ++i) roots_.push_back(ref(r, Want::Object, "root"));
      r.done("roots");
    }
    const uint32_t ntables = core.count("handle table count", kMaxTables, kRecordHead);
    for (uint32_t i = 0; i < ntables; ++i) read_table(core);
    if (core.flag("process table present")) read_processes(core);
    if (version >= 2) {
      read_waits(core);
      read_mappings(core);
      if (core.flag("quota ledger present")) read_ledger(core);
    }
    core.done("state");
    in.done("stream");
    check_refs();
    build(s);
  }

 private:
  uint32_t ref(Reader& r, Want want, const char* what) {
    const uint64_t at = r.pos();
    const uint32_t id = r.u32(what);
    refs_.push_back({id, at, want, what});
    return id;
  }

  void read_channel(Reader& r, Channel0& c) {
    const uint64_t at = r.pos();
    c.read_total = r.u64("read total");
    c.write_total = r.u64("write total");
    c.write_closed = r.flag("write closed");
    c.read_closed = r.flag("read closed");
    r.bytes(c.bytes, Channel::kCapacity, "buffered bytes");
    if (c.write_total < c.read_total || c.write_total - c.read_total != c.bytes.size())
      throw DecodeError{at, "channel: " + std::to_string(c.bytes.size()) +
                                " bytes buffered, but the totals (read " +
                                std::to_string(c.read_total) + ", written " +
                                std::to_string(c.write_total) + ") say otherwise"};
    const uint32_t n = r.count("queued handle count", Channel::kMaxCargo, 12);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t k_at = r.pos();
      const uint64_t pos = r.u64("queued handle position");
      if (pos > c.write_total)
        throw DecodeError{k_at, "queued handle at byte " + std::to_string(pos) +
                                    " past the bytes written (" + std::to_string(c.write_total) +
                                    ")"};
      c.cargo.emplace_back(pos, ref(r, Want::Object, "queued handle"));
    }
  }

  uint32_t stream_type(Reader& r, const char* what) {
    const uint64_t at = r.pos();
    const uint32_t t = r.u32(what);
    if (t != DK_STREAM_PIPE && t != DK_STREAM_SOCKET)
      throw DecodeError{at, std::string(what) + " " + std::to_string(t) +
                                " is neither a pipe nor a socket"};
    return t;
  }

  void read_entries(Reader& core) {
    static constexpr uint32_t kTags[] = {kSemaphore, kNotification, kSynchronization, kThread,
                                         kProcess,   kConnection,   kEnd,             kServer};
    static constexpr uint16_t kVersions[] = {1, 1, 1, 1, 1, 1, 1, 1};
    uint16_t version = 0;
    Reader objs = core.record(kObjects, 1, "objects", version);
    const uint32_t n = objs.count("object count", kMaxEntries, kRecordHead);
    entries_.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      Parsed& p = entries_[i];
      p.offset = objs.pos();
      Reader r = objs.record_of(kTags, std::size(kTags), kVersions, "object", p.tag, version);
      if (p.tag == kSemaphore) {
        p.a = r.u32("semaphore count");
        p.b = r.u32("semaphore maximum");
        if (p.b < 1 || p.a > p.b)
          throw DecodeError{p.offset, "semaphore: count " + std::to_string(p.a) +
                                          " with maximum " + std::to_string(p.b)};
      } else if (p.tag == kNotification || p.tag == kSynchronization) {
        p.flag = r.flag("event signaled");
      } else if (p.tag == kThread) {
        p.a = r.u32("thread pid");
        p.b = r.u32("thread id");
        p.flag = r.flag("thread exited");
      } else if (p.tag == kProcess) {
        p.a = r.u32("process pid");
        p.flag = r.flag("process exited");
        p.code = r.i64("exit code");
      } else if (p.tag == kConnection) {
        read_channel(r, p.dir[0]);
        read_channel(r, p.dir[1]);
      } else if (p.tag == kEnd) {
        p.a = stream_type(r, "end type");
        p.name = r.str("end name", DK_URI_MAX);
        p.readable = r.flag("end readable");
        p.writable = r.flag("end writable");
        p.nonblocking = r.flag("end nonblocking");
        p.b = r.bounded("end share mode", 0777);
        const uint64_t side_at = r.pos();
        p.side = r.u8("end side");
        if (p.side > 1)
          throw DecodeError{side_at, "end side " + std::to_string(p.side) + " is not 0 or 1"};
        p.conn = ref(r, Want::Connection, "end connection");
      } else {  // kServer
        p.name = r.str("server name", DK_URI_MAX);
        p.a = stream_type(r, "server client type");
        p.nonblocking = r.flag("server nonblocking");
        p.b = r.bounded("server share mode", 0777);
        p.flag = r.flag("server closed");
        const uint32_t nb = r.count("backlog count", kMaxBacklog, 4);
        for (uint32_t k = 0; k < nb; ++k) p.backlog.push_back(ref(r, Want::End, "backlog client"));
      }
      r.done("object");
    }
    objs.done("objects");
  }

  void read_image(Reader& r, ProcessTable::Image& image) {
    image.name = r.str("image name", DK_URI_MAX);
    r.bytes(image.bytes, kMaxImage, "image");
  }

  void read_table(Reader& core) {
    uint16_t version = 0;
    const uint64_t at = core.pos();
    Reader r = core.record(kHandles, 1, "handle table", version);
    Table t;
    t.pid = r.u32("handle table pid");
    if (!tables_.empty() && t.pid <= tables_.back().pid)
      throw DecodeError{at, "handle table of pid " + std::to_string(t.pid) + " out of order"};
    t.next = r.u64("next handle");
    if (t.next < HandleTable::kFirst)
      throw DecodeError{at, "next handle " + std::to_string(t.next) + " below the first"};
    t.limit = r.u64("handle limit");
    const uint32_t n = r.count("handle count", kMaxHandles, 12);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t h_at = r.pos();
      const uint64_t h = r.u64("handle");
      if (h < HandleTable::kFirst || h >= t.next ||
          (!t.entries.empty() && h <= t.entries.back().first))
        throw DecodeError{h_at, "handle " + std::to_string(h) +
                                    " out of order or outside the values handed out"};
      t.entries.emplace_back(h, ref(r, Want::Object, "handle object"));
    }
    r.done("handle table");
    tables_.push_back(std::move(t));
  }

  void read_processes(Reader& core) {
    uint16_t version = 0;
    Reader r = core.record(kProcesses, 1, "process table", version);
    procs_.emplace();
    read_image(r, procs_->first);
    const uint32_t ni = r.count("image count", kMaxImages, 16);
    for (uint32_t i = 0; i < ni; ++i) {
      const uint64_t at = r.pos();
      const uint32_t pid = r.u32("image pid");
      if (!procs_->images.empty() && pid <= procs_->images.back().first)
        throw DecodeError{at, "image of pid " + std::to_string(pid) + " out of order"};
      procs_->images.emplace_back(pid, ProcessTable::Image{});
      read_image(r, procs_->images.back().second);
    }
    const uint32_t nc = r.count("child count", kMaxImages, 8);
    for (uint32_t i = 0; i < nc; ++i) {
      const uint64_t at = r.pos();
      const uint32_t pid = r.u32("child pid");
      if (!procs_->children.empty() && pid <= procs_->children.back().first)
        throw DecodeError{at, "child " + std::to_string(pid) + " out of order"};
      const uint64_t id_at = r.pos();
      const uint32_t id = r.u32("child record");
      if (id != kNone) refs_.push_back({id, id_at, Want::Process, "child record"});
      procs_->children.emplace_back(pid, id);
    }
    r.done("process table");
  }

  // An object reference that may be none (0xffffffff).
  uint32_t ref_or_none(Reader& r, Want want, const char* what) {
    const uint64_t at = r.pos();
    const uint32_t id = r.u32(what);
    if (id != kNone) refs_.push_back({id, at, want, what});
    return id;
  }

  void read_waits(Reader& core) {
    uint16_t version = 0;
    Reader r = core.record(kWaits, 1, "waits", version);
    const uint32_t n = r.count("waiting thread count", kMaxThreadsWaiting, 12);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t at = r.pos();
      Wait w;
      w.pid = r.u32("waiting pid");
      w.thread = r.u32("waiting thread");
      if (!waits_.empty() && std::make_pair(w.pid, w.thread) <=
                                 std::make_pair(waits_.back().pid, waits_.back().thread))
        throw DecodeError{at, "wait of thread " + std::to_string(w.pid) + "/" +
                                  std::to_string(w.thread) + " out of order"};
      const uint64_t k_at = r.pos();
      const uint32_t k = r.count("waited object count", DK_WAIT_MAX, 4);
      if (k == 0) throw DecodeError{k_at, "a wait on no object"};
      for (uint32_t j = 0; j < k; ++j) w.ids.push_back(ref(r, Want::Object, "waited object"));
      waits_.push_back(std::move(w));
    }
    r.done("waits");
  }

  void read_mappings(Reader& core) {
    uint16_t version = 0;
    Reader r = core.record(kMappings, 1, "mappings", version);
    const uint32_t n = r.count("mapping picoprocess count", kMaxPicoprocesses, 8);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t at = r.pos();
      const uint32_t pid = r.u32("mapping pid");
      if (!maps_.empty() && pid <= maps_.back().first)
        throw DecodeError{at, "mappings of pid " + std::to_string(pid) + " out of order"};
      const uint64_t k_at = r.pos();
      const uint32_t k = r.count("mapping count", kMaxMappings, 33);
      if (k == 0) throw DecodeError{k_at, "pid " + std::to_string(pid) + " with no mapping"};
      maps_.emplace_back(pid, std::vector<Map>{});
      for (uint32_t j = 0; j < k; ++j) {
        const uint64_t m_at = r.pos();
        Map m;
        m.addr = r.u64("mapping address");
        m.size = r.u64("mapping size");
        m.offset = r.u64("mapping offset");
        m.prot = r.u32("mapping protection");
        m.shared = r.flag("mapping shared");
        m.file = ref(r, Want::Stream, "mapped stream");
        if (m.addr % DK_PAGE_SIZE || m.size % DK_PAGE_SIZE || m.size == 0 ||
            m.addr + m.size < m.addr)
          throw DecodeError{m_at, "mapping at " + std::to_string(m.addr) + " of " +
                                      std::to_string(m.size) + " bytes is not whole pages"};
        if (m.prot & ~kProtBits)
          throw DecodeError{m_at, "mapping protection " + std::to_string(m.prot) +
                                      " has bits other than read, write and execute"};
        if (m.shared && !(m.prot & DK_PROT_WRITE))
          throw DecodeError{m_at, "a shared mapping that can not be written"};
        maps_.back().second.push_back(m);
      }
    }
    r.done("mappings");
  }

  static void read_limits(Reader& r, Limits& l) {
    l.memory = r.u64("memory limit");
    l.threads = r.u64("threads limit");
    l.handles = r.u64("handles limit");
    l.streams = r.u64("streams limit");
    l.cpu_ticks = r.u64("cpu_ticks limit");
    l.output_bytes = r.u64("output_bytes limit");
  }

  void read_ledger(Reader& core) {
    uint16_t version = 0;
    Reader r = core.record(kLedger, 1, "quota ledger", version);
    ledger_.emplace();
    read_limits(r, ledger_->defaults);
    const uint32_t n = r.count("ledger picoprocess count", kMaxPicoprocesses, 157);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t at = r.pos();
      Pico p;
      p.pid = r.u32("ledger pid");
      if (!ledger_->entries.empty() && p.pid <= ledger_->entries.back().pid)
        throw DecodeError{at, "ledger entry of pid " + std::to_string(p.pid) + " out of order"};
      read_limits(r, p.limits);
      for (QuotaLedger::Use& u : p.use) {
        const uint64_t u_at = r.pos();
        u.used = r.u64("counter use");
        u.peak = r.u64("counter peak");
        if (u.peak < u.used)
          throw DecodeError{u_at, "counter peak " + std::to_string(u.peak) + " below its use " +
                                      std::to_string(u.used)};
      }
      p.applied = r.flag("limits applied");
      p.std_out[0] = ref_or_none(r, Want::Object, "stdout object");
      p.std_out[1] = ref_or_none(r, Want::Object, "stderr object");
      ledger_->entries.push_back(p);
    }
    r.done("quota ledger");
  }

  void check_refs() {
    std::vector<uint8_t> sides(entries_.size(), 0);  // bit per side taken
    for (const Ref& r : refs_) {
      if (r.id >= entries_.size())
        throw DecodeError{r.offset, std::string(r.what) + " " + std::to_string(r.id) +
                                        " names no object (there are " +
                                        std::to_string(entries_.size()) + ")"};
      const uint32_t tag = entries_[r.id].tag;
      const bool ok = r.want == Want::Object       ? tag != kConnection
                      : r.want == Want::Connection ? tag == kConnection
                      : r.want == Want::End        ? tag == kEnd
                      : r.want == Want::Stream     ? tag == kEnd || tag == kServer
                                                   : tag == kProcess;
      if (!ok)
        throw DecodeError{r.offset, std::string(r.what) + " " + std::to_string(r.id) +
                                        " names a " + state::tag_name(tag) +
                                        " record, which it can not be"};
    }
    for (const Parsed& p : entries_) {
      if (p.tag != kEnd) continue;
      const uint8_t bit = static_cast<uint8_t>(1u << p.side);
      if (sides[p.conn] & bit)
        throw DecodeError{p.offset, "connection " + std::to_string(p.conn) +
                                        " has two ends on side " + std::to_string(p.side)};
      sides[p.conn] |= bit;
    }
  }

  void fill(Channel& c, const Channel0& p, const std::vector<std::shared_ptr<HostObject>>& objs) {
    c.read_total = p.read_total;
    c.write_total = p.write_total;
    c.write_closed = p.write_closed;
    c.read_closed = p.read_closed;
    c.bytes.assign(p.bytes.begin(), p.bytes.end());
    for (const auto& [at, id] : p.cargo) c.cargo.push_back({at, objs[id]});
  }

  void build(CoreState& s) {
    const size_t n = entries_.size();
    std::vector<std::shared_ptr<HostObject>> objs(n);
    std::vector<std::shared_ptr<Connection>> conns(n);
    for (size_t i = 0; i < n; ++i)
      if (entries_[i].tag == kConnection) conns[i] = std::make_shared<Connection>();
    for (size_t i = 0; i < n; ++i) {
      const Parsed& p = entries_[i];
      if (p.tag == kSemaphore) {
        objs[i] = std::make_shared<SemaphoreObject>(p.a, p.b);
      } else if (p.tag == kNotification || p.tag == kSynchronization) {
        objs[i] = std::make_shared<EventObject>(p.tag == kNotification
                                                    ? ObjectKind::NotificationEvent
                                                    : ObjectKind::SynchronizationEvent,
                                                p.flag);
      } else if (p.tag == kThread) {
        auto t = std::make_shared<ThreadObject>();
        t->pid = p.a;
        t->tid = p.b;
        t->exited = p.flag;
        objs[i] = t;
      } else if (p.tag == kProcess) {
        auto proc = std::make_shared<ProcessObject>();
        proc->pid = p.a;
        proc->exited = p.flag;
        proc->exit_code = p.code;
        objs[i] = proc;
      } else if (p.tag == kEnd) {
        auto e = std::make_shared<ConnEnd>(p.a, p.name, conns[p.conn], p.side, p.nonblocking);
        e->readable = p.readable;
        e->writable = p.writable;
        e->set_mode(p.b);
        objs[i] = e;
      } else if (p.tag == kServer) {
        auto l = std::make_shared<Listener>(p.name, p.a, p.nonblocking);
        l->set_mode(p.b);
        l->closed = p.flag;
        objs[i] = l;
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const Parsed& p = entries_[i];
      if (p.tag == kConnection) {
        fill(conns[i]->dir[0], p.dir[0], objs);
        fill(conns[i]->dir[1], p.dir[1], objs);
      } else if (p.tag == kServer) {
        auto& l = static_cast<Listener&>(*objs[i]);
        for (uint32_t id : p.backlog) l.backlog.push_back(std::static_pointer_cast<ConnEnd>(objs[id]));
      }
    }
    for (uint32_t id : roots_) s.roots.push_back(objs[id]);
    for (const Table& t : tables_) {
      std::map<dk_handle_t, std::shared_ptr<HostObject>> table;
      for (const auto& [h, id] : t.entries) table.emplace(h, objs[id]);
      s.handles[t.pid].restore(std::move(table), t.next, t.limit);
    }
    if (procs_) {
      s.processes.emplace(std::move(procs_->first));
      for (auto& [pid, image] : procs_->images) s.processes->set_image(pid, std::move(image));
      for (const auto& [pid, id] : procs_->children) {
        std::weak_ptr<ProcessObject> w;
        if (id != kNone) w = std::static_pointer_cast<ProcessObject>(objs[id]);
        s.processes->restore_child(pid, std::move(w));
      }
    }
    for (const Wait& w : waits_) {
      auto& objects = s.waits[{w.pid, w.thread}];
      for (uint32_t id : w.ids) objects.push_back(objs[id]);
    }
    for (const auto& [pid, list] : maps_) {
      auto& mappings = s.mappings[pid];
      for (const Map& m : list)
        mappings.push_back(StreamMapping{m.addr, m.size,
                                         std::static_pointer_cast<HostStream>(objs[m.file]),
                                         m.offset, m.prot, m.shared});
    }
    if (ledger_) {
      QuotaLedger::State& q = s.quotas.emplace();
      q.defaults = ledger_->defaults;
      for (const Pico& p : ledger_->entries) {
        QuotaLedger::Picoprocess& e = q.entries[p.pid];
        e.limits = p.limits;
        e.use = p.use;
        e.applied = p.applied;
        for (int k = 0; k < 2; ++k)
          if (p.std_out[k] != kNone) e.std_out[k] = objs[p.std_out[k]];
      }
    }
    s.held = std::move(objs);
  }

  struct Table {
    uint32_t pid = 0;
    uint64_t next = 0, limit = 0;
    std::vector<std::pair<uint64_t, uint32_t>> entries;
  };
  struct Processes {
    ProcessTable::Image first;
    std::vector<std::pair<uint32_t, ProcessTable::Image>> images;
    std::vector<std::pair<uint32_t, uint32_t>> children;  // pid, id or kNone
  };
  struct Wait {
    uint32_t pid = 0, thread = 0;
    std::vector<uint32_t> ids;
  };
  struct Map {
    uint64_t addr = 0, size = 0, offset = 0;
    uint32_t prot = 0;
    bool shared = false;
    uint32_t file = 0;
  };
  struct Pico {
    uint32_t pid = 0;
    Limits limits;
    std::array<QuotaLedger::Use, 6> use{};
    bool applied = false;
    uint32_t std_out[2] = {kNone, kNone};
  };
  struct Ledger {
    Limits defaults;
    std::vector<Pico> entries;
  };
  std::vector<Parsed> entries_;
  std::vector<Ref> refs_;
  std::vector<Wait> waits_;
  std::vector<std::pair<uint32_t, std::vector<Map>>> maps_;
  std::optional<Ledger> ledger_;
  std::vector<uint32_t> roots_;
  std::vector<Table> tables_;
  std::optional<Processes> procs_;
};

}  // namespace

dk_status_t save_state(const CoreState& s, std::vector<uint8_t>& out, StateError& err) {
  out.clear();
  try {
    Saver saver;
    std::vector<uint32_t> roots;
    for (const auto& o : s.roots) roots.push_back(saver.ref(o));
    std::vector<std::vector<std::pair<dk_handle_t, uint32_t>>> tables;
    for (const auto& [pid, t] : s.handles) {
      tables.emplace_back();
      for (const auto& [h, o] : t.entries()) tables.back().emplace_back(h, saver.ref(o));
    }
    std::vector<std::pair<uint32_t, uint32_t>> children;
    if (s.processes)
      for (const auto& [pid, w] : s.processes->children()) {
        auto p = w.lock();
        children.emplace_back(pid, p ? saver.ref(p) : kNone);
      }
    // CoreHost's waits and mappings (a thread or picoprocess with an empty list is left out:
    // it waits on nothing, maps nothing), then the ledger's stdout and stderr objects.
    std::vector<std::pair<std::pair<uint32_t, uint32_t>, std::vector<uint32_t>>> waits;
    for (const auto& entry : s.waits) {
      if (entry.second.empty()) continue;
      waits.emplace_back(entry.first, std::vector<uint32_t>{});
      for (const auto& o : entry.second) waits.back().second.push_back(saver.ref(o));
    }
    std::vector<std::pair<uint32_t, std::vector<uint32_t>>> mapped;  // pid, the streams' ids
    for (const auto& entry : s.mappings) {
      if (entry.second.empty()) continue;
      mapped.emplace_back(entry.first, std::vector<uint32_t>{});
      for (const StreamMapping& m : entry.second) {
        if (!m.file) throw SaveError{"a mapping of no stream"};
        mapped.back().second.push_back(saver.ref(std::shared_ptr<HostObject>(m.file)));
      }
    }
    std::vector<std::array<uint32_t, 2>> std_ids;  // by ledger entry
    if (s.quotas)
      for (const auto& entry : s.quotas->entries) {
        std::array<uint32_t, 2> ids{kNone, kNone};
        for (int k = 0; k < 2; ++k)
          if (entry.second.std_out[k]) ids[k] = saver.ref(entry.second.std_out[k]);
        std_ids.push_back(ids);
      }

    Writer w(out);
    w.raw().raw(kStateMagic, 4);
    w.record(kCore, kStateVersion, [&](Writer& w) {
      saver.write_entries(w);
      w.record(kRoots, 1, [&](Writer& w) {
        w.u32(static_cast<uint32_t>(roots.size()));
        for (uint32_t id : roots) w.u32(id);
      });
      w.u32(static_cast<uint32_t>(s.handles.size()));
      size_t i = 0;
      for (const auto& entry : s.handles) {
        const uint32_t pid = entry.first;  // named, not bound: lambdas capture it everywhere
        const auto& t = entry.second;
        const auto& entries = tables[i++];
        w.record(kHandles, 1, [&](Writer& w) {
          w.u32(pid);
          w.u64(t.next_value());
          w.u64(t.limit());
          w.u32(static_cast<uint32_t>(entries.size()));
          for (const auto& [h, id] : entries) {
            w.u64(h);
            w.u32(id);
          }
        });
      }
      w.flag(s.processes.has_value());
      if (s.processes)
        w.record(kProcesses, 1, [&](Writer& w) {
          write_image(w, s.processes->first());
          w.u32(static_cast<uint32_t>(s.processes->images().size()));
          for (const auto& [pid, image] : s.processes->images()) {
            w.u32(pid);
            write_image(w, image);
          }
          w.u32(static_cast<uint32_t>(children.size()));
          for (const auto& [pid, id] : children) {
            w.u32(pid);
            w.u32(id);
          }
        });
      w.record(kWaits, 1, [&](Writer& w) {
        w.u32(static_cast<uint32_t>(waits.size()));
        for (const auto& wait : waits) {
          w.u32(wait.first.first);
          w.u32(wait.first.second);
          w.u32(static_cast<uint32_t>(wait.second.size()));
          for (uint32_t id : wait.second) w.u32(id);
        }
      });
      w.record(kMappings, 1, [&](Writer& w) {
        w.u32(static_cast<uint32_t>(mapped.size()));
        for (const auto& entry : mapped) {
          const std::vector<StreamMapping>& list = s.mappings.at(entry.first);
          w.u32(entry.first);
          w.u32(static_cast<uint32_t>(list.size()));
          for (size_t i = 0; i < list.size(); ++i) {
            const StreamMapping& m = list[i];
            w.u64(m.addr);
            w.u64(m.size);
            w.u64(m.offset);
            w.u32(m.prot);
            w.flag(m.shared);
            w.u32(entry.second[i]);
          }
        }
      });
      w.flag(s.quotas.has_value());
      if (s.quotas)
        w.record(kLedger, 1, [&](Writer& w) {
          write_limits(w, s.quotas->defaults);
          w.u32(static_cast<uint32_t>(s.quotas->entries.size()));
          size_t i = 0;
          for (const auto& entry : s.quotas->entries) {
            const QuotaLedger::Picoprocess& p = entry.second;
            w.u32(entry.first);
            write_limits(w, p.limits);
            for (const QuotaLedger::Use& u : p.use) {
              w.u64(u.used);
              w.u64(u.peak);
            }
            w.flag(p.applied);
            w.u32(std_ids[i][0]);
            w.u32(std_ids[i][1]);
            ++i;
          }
        });
    });
    return 0;
  } catch (const SaveError& e) {
    out.clear();
    err = StateError{0, e.what};
    return -DK_E_NOTSUP;
  }
}

dk_status_t load_state(const uint8_t* data, size_t size, CoreState& s, StateError& err) {
  s = CoreState{};
  try {
    ByteReader in(data, size);
    char magic[4];
    in.raw(magic, 4, "magic");
    if (memcmp(magic, kStateMagic, 4) != 0)
      throw DecodeError{0, "not an object state stream (no DkST magic)"};
    Reader r(in);
    Loader loader;
    loader.read(r, s);
    return 0;
  } catch (const DecodeError& e) {
    s = CoreState{};
    err = StateError{e.offset, e.what};
    return -DK_E_INVAL;
  }
}

}  // namespace dk
