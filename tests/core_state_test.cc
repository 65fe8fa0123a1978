// The host core's object state stream (dk/core/state.h): every object kind, CoreHost's pending
// waits and stream mappings and the quota ledger round-trip with state that is not the default (saved, loaded, saved again: the same bytes; and the loaded
// objects behave as the saved ones did), and hostile streams (cut short, a wrong tag or
// version, counts past their bounds, references to nothing) each give their precise error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "dk/core/core_host.h"
#include "dk/core/pipe.h"
#include "dk/core/state.h"
#include "dk/core/state_io.h"
#include "dk/core/sync.h"
#include "host_worlds.h"
#include "null_guest.h"

namespace dk {
namespace {

// A guest with nothing in it (null_guest.h) whose control counts the calls that park.
class NoControl : public null_guest::NoControl {
 public:
  void block(uint64_t) override { ++blocked; }
  int blocked = 0;
};
using null_guest::NoMemory;

// Reads and writes on pipe ends the way DkStreamRead and DkStreamWrite do.
struct Io {
  NoMemory mem;
  NoControl ctl;
  HandleTable handles;
  CallContext cx{mem, ctl, handles};

  dk_status_t write(HostStream& s, const std::string& text, uint64_t* done = nullptr) {
    std::vector<uint8_t> in(text.begin(), text.end());
    StreamIo io{cx, 0, 0, &in, nullptr};
    const dk_status_t st = s.write(io);
    if (done) *done = io.done;
    return st;
  }
  std::string read(HostStream& s, uint64_t room, dk_status_t* status = nullptr) {
    std::vector<uint8_t> out;
    StreamIo io{cx, 0, room, nullptr, &out};
    const dk_status_t st = s.read(io);
    if (status) *status = st;
    return std::string(out.begin(), out.end());
  }
};

std::vector<uint8_t> save(const CoreState& s) {
  std::vector<uint8_t> out;
  StateError err;
  EXPECT_EQ(save_state(s, out, err), 0) << err.what;
  return out;
}

CoreState load(const std::vector<uint8_t>& bytes) {
  CoreState s;
  StateError err;
  EXPECT_EQ(load_state(bytes.data(), bytes.size(), s, err), 0) << err.offset << ": " << err.what;
  return s;
}

// Saves, loads and saves again: the second stream is the first, byte for byte.
CoreState round_trip(const CoreState& s) {
  const std::vector<uint8_t> a = save(s);
  CoreState back = load(a);
  EXPECT_EQ(save(back), a);
  return back;
}

StateError load_error(const std::vector<uint8_t>& bytes) {
  CoreState s;
  StateError err;
  EXPECT_EQ(load_state(bytes.data(), bytes.size(), s, err), -DK_E_INVAL);
  EXPECT_TRUE(s.roots.empty() && s.handles.empty() && !s.processes && s.held.empty() &&
              s.waits.empty() && s.mappings.empty() && !s.quotas);
  return err;
}

TEST(CoreState, SemaphoresAndEventsKeepTheirCounts) {
  CoreState s;
  s.roots = {std::make_shared<SemaphoreObject>(2, 5),
             std::make_shared<EventObject>(ObjectKind::NotificationEvent, true),
             std::make_shared<EventObject>(ObjectKind::SynchronizationEvent, true),
             std::make_shared<EventObject>(ObjectKind::SynchronizationEvent, false)};
  CoreState back = round_trip(s);
  ASSERT_EQ(back.roots.size(), 4u);
  auto& sem = dynamic_cast<SemaphoreObject&>(*back.roots[0]);
  EXPECT_EQ(sem.count, 2u);
  EXPECT_EQ(sem.max, 5u);
  // Behaviour after the load: two takes empty the semaphore, the synchronization event
  // clears when taken, the notification event stays signaled.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(object_ready(sem));
    object_take(sem);
  }
  EXPECT_FALSE(object_ready(sem));
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(object_ready(*back.roots[i]));
    object_take(*back.roots[i]);
  }
  EXPECT_TRUE(object_ready(*back.roots[1]));
  EXPECT_FALSE(object_ready(*back.roots[2]));
  EXPECT_FALSE(object_ready(*back.roots[3]));
  EXPECT_EQ(back.roots[2]->kind(), ObjectKind::SynchronizationEvent);
}

TEST(CoreState, PipeEndsKeepBytesFlagsAndQueuedHandles) {
  Io io;
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  auto sem = std::make_shared<SemaphoreObject>(1, 3);
  ASSERT_EQ(io.write(*a, "hello "), 0);
  ASSERT_EQ(a->send(sem), 0);
  ASSERT_EQ(a->send(b), 0);  // an end queued on its own connection
  ASSERT_EQ(io.write(*a, "world"), 0);
  EXPECT_EQ(io.read(*b, 2), "he");
  ASSERT_EQ(io.write(*b, "back"), 0);
  ASSERT_EQ(b->shutdown(DK_DELETE_WRITE), 0);
  a->nonblocking = true;
  a->set_mode(0600);

  CoreState s;
  s.roots = {a, b};
  CoreState back = round_trip(s);
  ASSERT_EQ(back.roots.size(), 2u);
  auto a2 = std::dynamic_pointer_cast<ConnEnd>(back.roots[0]);
  auto b2 = std::dynamic_pointer_cast<ConnEnd>(back.roots[1]);
  ASSERT_TRUE(a2 && b2);
  EXPECT_EQ(a2->conn, b2->conn);
  EXPECT_EQ(a2->name, "pipe:a");
  EXPECT_TRUE(a2->nonblocking);
  EXPECT_EQ(a2->mode(), 0600u);
  EXPECT_EQ(a2->side, 0);
  EXPECT_EQ(b2->side, 1);

  // The same reads, on the saved ends and on the loaded ones.
  for (auto [x, y] : {std::pair{a, b}, std::pair{a2, b2}}) {
    EXPECT_EQ(io.read(*y, 100), "llo ");  // stops at the queued handles
    std::shared_ptr<HostObject> got;
    ASSERT_EQ(y->receive(io.cx, got), 0);
    EXPECT_EQ(got->kind(), ObjectKind::Semaphore);
    EXPECT_EQ(dynamic_cast<SemaphoreObject&>(*got).max, 3u);
    ASSERT_EQ(y->receive(io.cx, got), 0);
    EXPECT_EQ(got, y);  // the end itself came back
    EXPECT_EQ(io.read(*y, 100), "world");
    EXPECT_EQ(io.read(*x, 100), "back");
    dk_status_t st = 1;
    EXPECT_EQ(io.read(*x, 100, &st), "");  // end of stream: the peer shut its writing down
    EXPECT_EQ(st, 0);
    EXPECT_EQ(io.write(*y, "x"), -DK_E_PIPE);
  }
}

TEST(CoreState, AHalfClosedConnectionStaysHalfClosed) {
  Io io;
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_SOCKET, "tcp:1", "tcp:2", a, b);
  ASSERT_EQ(io.write(*a, "last words"), 0);
  a.reset();  // the writer is gone; its bytes stay readable
  CoreState s;
  s.roots = {b};
  CoreState back = round_trip(s);
  auto b2 = std::dynamic_pointer_cast<ConnEnd>(back.roots[0]);
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->type, DK_STREAM_SOCKET);
  EXPECT_EQ(io.read(*b2, 100), "last words");
  EXPECT_TRUE(b2->wait_ready());  // end of stream
  EXPECT_EQ(io.write(*b2, "x"), -DK_E_PIPE);
}

TEST(CoreState, AFullPipeStillBlocksItsWriter) {
  Io io;
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  uint64_t done = 0;
  ASSERT_EQ(io.write(*a, std::string(Channel::kCapacity + 10, 'z'), &done), 0);
  EXPECT_EQ(done, Channel::kCapacity);
  CoreState s;
  s.roots = {a, b};
  CoreState back = round_trip(s);
  auto a2 = std::dynamic_pointer_cast<ConnEnd>(back.roots[0]);
  EXPECT_EQ(io.write(*a2, "more"), kBlocked);
  EXPECT_EQ(a2->out().bytes.size(), Channel::kCapacity);
}

TEST(CoreState, ServersKeepTheirBacklog) {
  auto l = std::make_shared<Listener>("pipe.srv:x", DK_STREAM_PIPE, false);
  std::shared_ptr<ConnEnd> client, server_end;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:x", "pipe:x", client, server_end);
  l->enqueue(server_end);
  auto closed = std::make_shared<Listener>("pipe.srv:y", DK_STREAM_PIPE, true);
  closed->shutdown(DK_DELETE_ALL);
  CoreState s;
  s.roots = {l, closed, client};
  CoreState back = round_trip(s);
  auto l2 = std::dynamic_pointer_cast<Listener>(back.roots[0]);
  auto closed2 = std::dynamic_pointer_cast<Listener>(back.roots[1]);
  auto client2 = std::dynamic_pointer_cast<ConnEnd>(back.roots[2]);
  ASSERT_TRUE(l2 && closed2 && client2);
  ASSERT_EQ(l2->backlog.size(), 1u);
  EXPECT_EQ(l2->backlog.front()->conn, client2->conn);
  EXPECT_TRUE(l2->wait_ready());
  EXPECT_TRUE(closed2->closed);
  EXPECT_TRUE(closed2->nonblocking);
  EXPECT_FALSE(closed2->wait_ready());
}

TEST(CoreState, HandleTablesAndTheProcessTable) {
  auto child = std::make_shared<ProcessObject>();
  child->pid = 2;
  child->exited = true;
  child->exit_code = -7;
  auto gone = std::make_shared<ProcessObject>();
  gone->pid = 3;
  auto thread = std::make_shared<ThreadObject>();
  thread->pid = 1;
  thread->tid = 4;
  CoreState s;
  s.processes.emplace(ProcessTable::Image{{1, 2, 3}, "first"});
  s.processes->set_image(1, {{9, 9}, "one"});
  s.processes->add_child(child, {{4, 5}, "two"});
  s.processes->add_child(gone, {{6}, "three"});
  gone.reset();  // every holder let go of pid 3's record
  HandleTable& t = s.handles[1];
  t.set_limit(50);
  const dk_handle_t h_child = t.insert(child);
  const dk_handle_t h_closed = t.insert(std::make_shared<SemaphoreObject>(0, 1));
  const dk_handle_t h_thread = t.insert(thread);
  t.erase(h_closed);
  s.handles[2].insert(std::make_shared<EventObject>(ObjectKind::NotificationEvent, false));

  CoreState back = round_trip(s);
  ASSERT_EQ(back.handles.size(), 2u);
  HandleTable& t2 = back.handles[1];
  EXPECT_EQ(t2.size(), 2u);
  EXPECT_EQ(t2.limit(), 50u);
  EXPECT_EQ(t2.next_value(), t.next_value());
  EXPECT_EQ(t2.get(h_closed), nullptr);
  std::shared_ptr<ProcessObject> p;
  ASSERT_EQ(t2.get_as(h_child, ObjectKind::Process, p), 0);
  EXPECT_EQ(p->pid, 2u);
  EXPECT_TRUE(p->exited);
  EXPECT_EQ(p->exit_code, -7);
  std::shared_ptr<ThreadObject> th;
  ASSERT_EQ(t2.get_as(h_thread, ObjectKind::Thread, th), 0);
  EXPECT_EQ(th->tid, 4u);
  // Handle values go on where they stopped; a closed one is never handed out again.
  EXPECT_EQ(t2.insert(std::make_shared<SemaphoreObject>(0, 1)), t.insert(std::make_shared<SemaphoreObject>(0, 1)));

  ASSERT_TRUE(back.processes);
  EXPECT_EQ(back.processes->child(2), p);  // the same record as the handle's
  EXPECT_TRUE(back.processes->child_forgotten(3));
  EXPECT_EQ(back.processes->child(3), nullptr);
  ASSERT_NE(back.processes->self_image(2), nullptr);
  EXPECT_EQ(back.processes->self_image(2)->name, "two");
  EXPECT_EQ(back.processes->self_image(7)->bytes, (std::vector<uint8_t>{1, 2, 3}));  // the first
  EXPECT_EQ(back.processes->self_image(1)->bytes, (std::vector<uint8_t>{9, 9}));
}

// CoreHost's pending waits and stream mappings and the quota decorator's ledger: every field
// comes back, and objects held by several of them (or by a handle table) are one object.
TEST(CoreState, WaitsMappingsAndTheLedgerKeepTheirFieldsAndObjects) {
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  auto sem = std::make_shared<SemaphoreObject>(0, 3);
  auto server = std::make_shared<Listener>("pipe.server:q", DK_STREAM_PIPE, false);
  CoreState s;
  s.handles[1].insert(a);
  s.waits[{1, 2}] = {sem, a};
  s.waits[{3, 1}] = {b};
  s.mappings[1] = {StreamMapping{0x40000, 2 * DK_PAGE_SIZE, a, DK_PAGE_SIZE,
                                 DK_PROT_READ | DK_PROT_WRITE, true},
                   StreamMapping{0x10000, DK_PAGE_SIZE, server, 0, DK_PROT_READ, false}};
  QuotaLedger::State& q = s.quotas.emplace();
  q.defaults.memory = 1 << 20;
  q.defaults.threads = 64;
  QuotaLedger::Picoprocess& p = q.entries[1];
  p.limits.output_bytes = 100;
  p.limits.streams = 9;
  p.use[3] = {2, 4};     // streams
  p.use[5] = {60, 60};   // output_bytes
  p.applied = true;
  p.std_out[1] = b;
  q.entries[7].use[0] = {0, 8192};

  CoreState back = round_trip(s);
  ASSERT_EQ(back.waits.size(), 2u);
  const auto& w = back.waits[{1, 2}];
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(dynamic_cast<SemaphoreObject&>(*w[0]).max, 3u);
  const std::shared_ptr<HostObject> a2 = back.handles[1].get(HandleTable::kFirst);
  EXPECT_EQ(w[1], a2);  // the handle's end, not a copy
  const auto& w31 = back.waits[{3, 1}];
  ASSERT_EQ(w31.size(), 1u);
  const std::shared_ptr<HostObject> b2 = w31[0];
  EXPECT_EQ(dynamic_cast<ConnEnd&>(*b2).conn, dynamic_cast<ConnEnd&>(*a2).conn);

  ASSERT_EQ(back.mappings.size(), 1u);
  const auto& m = back.mappings[1];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].addr, 0x40000u);
  EXPECT_EQ(m[0].size, 2 * DK_PAGE_SIZE);
  EXPECT_EQ(m[0].offset, DK_PAGE_SIZE);
  EXPECT_EQ(m[0].prot, DK_PROT_READ | DK_PROT_WRITE);
  EXPECT_TRUE(m[0].shared);
  EXPECT_EQ(m[0].file, a2);
  EXPECT_EQ(m[1].addr, 0x10000u);
  EXPECT_FALSE(m[1].shared);
  EXPECT_EQ(m[1].file->name, "pipe.server:q");

  ASSERT_TRUE(back.quotas);
  EXPECT_EQ(back.quotas->defaults, q.defaults);
  ASSERT_EQ(back.quotas->entries.size(), 2u);
  const QuotaLedger::Picoprocess& p2 = back.quotas->entries[1];
  EXPECT_EQ(p2.limits, p.limits);
  EXPECT_EQ(p2.use, p.use);
  EXPECT_TRUE(p2.applied);
  EXPECT_EQ(p2.std_out[0], nullptr);
  EXPECT_EQ(p2.std_out[1], b2);
  EXPECT_EQ(back.quotas->entries[7].use[0], (QuotaLedger::Use{0, 8192}));
  EXPECT_FALSE(back.quotas->entries[7].applied);
}

// A ledger put back from a snapshot counts on from where it stopped.
TEST(CoreState, ARestoredLedgerCountsOn) {
  QuotaLedger ledger;
  Limits l;
  l.output_bytes = 10;
  ledger.set_limits(1, l);
  Io io;
  io.cx.pid = 1;
  uint64_t charged = 0;
  ASSERT_EQ(ledger.output(io.cx, nullptr, true, 6, charged), 0);
  CoreState s;
  s.quotas = ledger.save();
  CoreState back = round_trip(s);
  QuotaLedger again;
  again.restore(*back.quotas);
  EXPECT_EQ(again.quotas(1).output_bytes.used(), 6u);
  EXPECT_EQ(again.quotas(1).output_bytes.limit(), 10u);
  EXPECT_EQ(again.output(io.cx, nullptr, true, 5, charged), -DK_E_QUOTA);
  EXPECT_EQ(again.output(io.cx, nullptr, true, 4, charged), 0);
  EXPECT_EQ(again.quotas(1).output_bytes.peak(), 10u);
}

TEST(CoreState, AMappingOfAFileCanNotBeSavedYet) {
  struct FileStream : HostStream {
    FileStream() : HostStream(DK_STREAM_FILE, "file:/m", true, true, false) {}
    dk_status_t read(StreamIo&) override { return 0; }
    dk_status_t write(StreamIo&) override { return 0; }
  };
  CoreState s;
  s.mappings[1] = {StreamMapping{0x10000, DK_PAGE_SIZE, std::make_shared<FileStream>(), 0,
                                 DK_PROT_READ, false}};
  std::vector<uint8_t> out;
  StateError err;
  EXPECT_EQ(save_state(s, out, err), -DK_E_NOTSUP);
  EXPECT_EQ(err.what, "stream file:/m (type 1) holds what only its host has and can not be saved");
}

// A version 1 stream (before waits, mappings and the ledger) still loads, with none of them.
TEST(CoreState, AVersionOneStreamStillLoads) {
  CoreState s;
  s.roots = {std::make_shared<SemaphoreObject>(1, 2)};
  std::vector<uint8_t> bytes = save(s);
  // Version 2 ends with WAIT (10 + 4 bytes), MAPS (10 + 4) and the ledger flag (1).
  constexpr size_t kTail = 29;
  bytes.resize(bytes.size() - kTail);
  uint32_t len = 0;
  memcpy(&len, bytes.data() + 10, 4);
  len -= kTail;
  memcpy(bytes.data() + 10, &len, 4);
  const uint16_t v1 = 1;
  memcpy(bytes.data() + 8, &v1, 2);
  CoreState back = load(bytes);
  ASSERT_EQ(back.roots.size(), 1u);
  EXPECT_EQ(dynamic_cast<SemaphoreObject&>(*back.roots[0]).count, 1u);
  EXPECT_TRUE(back.waits.empty());
  EXPECT_TRUE(back.mappings.empty());
  EXPECT_FALSE(back.quotas);
}

TEST(CoreState, StreamsOfAHostCanNotBeSaved) {
  struct FileStream : HostStream {
    FileStream() : HostStream(DK_STREAM_FILE, "file:/x", true, true, false) {}
    dk_status_t read(StreamIo&) override { return 0; }
    dk_status_t write(StreamIo&) override { return 0; }
  };
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  ASSERT_EQ(a->send(std::make_shared<FileStream>()), 0);  // reached only through the cargo
  CoreState s;
  s.roots = {b};
  std::vector<uint8_t> out{1, 2};
  StateError err;
  EXPECT_EQ(save_state(s, out, err), -DK_E_NOTSUP);
  EXPECT_EQ(err.what, "stream file:/x (type 1) holds what only its host has and can not be saved");
  EXPECT_TRUE(out.empty());
}

// ---- hostile streams ----

// A stream with one semaphore as its root, and where its fields are.
struct Sample {
  std::vector<uint8_t> bytes;
  Sample() {
    CoreState s;
    s.roots = {std::make_shared<SemaphoreObject>(1, 2)};
    bytes = save(s);
  }
  // Offsets: magic 0, CORE 4 (tag, version at 8, length at 10), OBJS 14 (version 18, length
  // 20), object count 24, SEMA 28 (tag, version 32, length 34), count 38, maximum 42, ROOT 46.
  static constexpr size_t kObjectCount = 24, kSema = 28, kSemaVersion = 32, kSemaMax = 42;
  void put_u32(size_t at, uint32_t v) { memcpy(bytes.data() + at, &v, 4); }
  void put_u16(size_t at, uint16_t v) { memcpy(bytes.data() + at, &v, 2); }
};

TEST(CoreStateHostile, TheSampleIsWhatTheOffsetsSay) {
  Sample s;
  uint32_t tag = 0;
  memcpy(&tag, s.bytes.data() + Sample::kSema, 4);
  EXPECT_EQ(tag, state::tag("SEMA"));
  memcpy(&tag, s.bytes.data() + 46, 4);
  EXPECT_EQ(tag, state::tag("ROOT"));
  load(s.bytes);
}

TEST(CoreStateHostile, EveryCutIsAnError) {
  Sample s;
  for (size_t n = 0; n < s.bytes.size(); ++n) {
    std::vector<uint8_t> cut(s.bytes.begin(), s.bytes.begin() + static_cast<ptrdiff_t>(n));
    const StateError e = load_error(cut);
    EXPECT_NE(e.what.find("needs"), std::string::npos) << n << ": " << e.what;
  }
  // Cut inside the semaphore: the CORE record claims more than is left.
  const StateError e = load_error({s.bytes.begin(), s.bytes.begin() + 40});
  EXPECT_EQ(e.offset, 14u);
  EXPECT_EQ(e.what, "state: needs " + std::to_string(s.bytes.size() - 14) + " bytes, 26 left");
}

TEST(CoreStateHostile, TrailingBytesAreAnError) {
  Sample s;
  s.bytes.push_back(0);
  const StateError e = load_error(s.bytes);
  EXPECT_EQ(e.what, "stream: 1 unexpected bytes at its end");
  EXPECT_EQ(e.offset, s.bytes.size() - 1);
}

TEST(CoreStateHostile, NotAStateStream) {
  Sample s;
  s.bytes[0] = 'X';
  EXPECT_EQ(load_error(s.bytes).what, "not an object state stream (no DkST magic)");
}

TEST(CoreStateHostile, WrongTag) {
  Sample s;
  s.put_u32(Sample::kSema, state::tag("ZZZZ"));
  const StateError e = load_error(s.bytes);
  EXPECT_EQ(e.offset, Sample::kSema);
  EXPECT_EQ(e.what, "object: unknown tag 'ZZZZ'");
  Sample t;
  t.put_u32(4, state::tag("OBJS"));
  EXPECT_EQ(load_error(t.bytes).what, "state: tag 'OBJS' where 'CORE' was expected");
}

TEST(CoreStateHostile, WrongVersion) {
  Sample s;
  s.put_u16(Sample::kSemaVersion, 2);
  StateError e = load_error(s.bytes);
  EXPECT_EQ(e.offset, Sample::kSemaVersion);
  EXPECT_EQ(e.what, "object: 'SEMA' version 2 is not understood (1 to 1)");
  Sample t;
  t.put_u16(8, 0);
  e = load_error(t.bytes);
  EXPECT_EQ(e.what, "state: 'CORE' version 0 is not understood (1 to 2)");
  t.put_u16(8, 3);
  EXPECT_EQ(load_error(t.bytes).what, "state: 'CORE' version 3 is not understood (1 to 2)");
}

TEST(CoreStateHostile, OverLongCounts) {
  Sample s;
  s.put_u32(Sample::kObjectCount, 0xffffffffu);
  StateError e = load_error(s.bytes);
  EXPECT_EQ(e.offset, Sample::kObjectCount);
  EXPECT_EQ(e.what, "object count 4294967295 is over the limit 1048576");
  s.put_u32(Sample::kObjectCount, 1000);
  e = load_error(s.bytes);
  EXPECT_EQ(e.what, "object count 1000 does not fit the 18 bytes left");
}

TEST(CoreStateHostile, ValuesThatCanNotBe) {
  Sample s;
  s.put_u32(Sample::kSemaMax, 0);
  EXPECT_EQ(load_error(s.bytes).what, "semaphore: count 1 with maximum 0");
}

TEST(CoreStateHostile, ReferencesToNothingOrTheWrongKind) {
  CoreState c;
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  c.roots = {a};
  std::vector<uint8_t> bytes = save(c);
  // Entries: 0 the end a, 1 its connection (b is held by nothing saved). The root id is the
  // 4 bytes before the table count (u32), the process-table flag (u8), the empty WAIT and
  // MAPS records (14 bytes each) and the ledger flag (u8).
  const size_t root_id = bytes.size() - 5 - 29 - 4;
  uint32_t v = 0;
  memcpy(&v, bytes.data() + root_id, 4);
  ASSERT_EQ(v, 0u);
  v = 9;
  memcpy(bytes.data() + root_id, &v, 4);
  StateError e = load_error(bytes);
  EXPECT_EQ(e.offset, root_id);
  EXPECT_EQ(e.what, "root 9 names no object (there are 2)");
  v = 1;
  memcpy(bytes.data() + root_id, &v, 4);
  EXPECT_EQ(load_error(bytes).what, "root 1 names a 'CONN' record, which it can not be");
}

TEST(CoreStateHostile, BufferedBytesMustMatchTheTotals) {
  std::vector<uint8_t> bytes;
  {
    Io io;
    std::shared_ptr<ConnEnd> a, b;
    ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
    ASSERT_EQ(io.write(*a, "abc"), 0);
    CoreState c;
    c.roots = {a, b};
    bytes = save(c);
  }
  // The first channel's write total (3) sits right after its read total (0), after the
  // CONN record's head; find it by value.
  const std::vector<uint8_t> pattern = {0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0};
  auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  ASSERT_NE(it, bytes.end());
  *(it + 8) = 4;
  const StateError e = load_error(bytes);
  EXPECT_EQ(e.offset, static_cast<uint64_t>(it - bytes.begin()));
  EXPECT_EQ(e.what, "channel: 3 bytes buffered, but the totals (read 0, written 4) say otherwise");
}

// A stream whose tail is one wait, one mapping or one ledger entry, and where their fields are
// (counted from the end: the MAPS record, then the ledger flag, come last).
struct TailSample {
  std::vector<uint8_t> bytes;
  explicit TailSample(const CoreState& s) : bytes(save(s)) {}
  size_t from_end(size_t n) const { return bytes.size() - n; }
  void put_u32(size_t at, uint32_t v) { memcpy(bytes.data() + at, &v, 4); }
  void put_u64(size_t at, uint64_t v) { memcpy(bytes.data() + at, &v, 8); }
};

TEST(CoreStateHostile, WaitsThatCanNotBe) {
  CoreState c;
  c.waits[{1, 1}] = {std::make_shared<SemaphoreObject>(0, 1)};
  // ... WAIT: count, pid, thread, k, id; then MAPS (14 bytes) and the ledger flag.
  const TailSample t(c);
  const size_t k = t.from_end(1 + 14 + 8), id = t.from_end(1 + 14 + 4);
  load(t.bytes);
  TailSample none = t;
  none.put_u32(k, 0);
  StateError e = load_error(none.bytes);
  EXPECT_EQ(e.offset, k);
  EXPECT_EQ(e.what, "a wait on no object");
  TailSample many = t;
  many.put_u32(k, DK_WAIT_MAX + 1);
  EXPECT_EQ(load_error(many.bytes).what, "waited object count 65 is over the limit 64");
  TailSample dangling = t;
  dangling.put_u32(id, 5);
  e = load_error(dangling.bytes);
  EXPECT_EQ(e.offset, id);
  EXPECT_EQ(e.what, "waited object 5 names no object (there are 1)");
}

TEST(CoreStateHostile, MappingsThatCanNotBe) {
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  CoreState c;
  c.roots = {std::make_shared<SemaphoreObject>(0, 1)};  // entry 0; a is 1, its connection 2
  c.mappings[1] = {StreamMapping{0x10000, DK_PAGE_SIZE, a, 0, DK_PROT_READ | DK_PROT_WRITE, true}};
  // ... MAPS: count, pid, k, then addr size offset (u64) prot (u32) shared (u8) id (u32);
  // then the ledger flag.
  const TailSample t(c);
  const size_t addr = t.from_end(1 + 33), prot = addr + 24, shared = addr + 28, id = addr + 29;
  load(t.bytes);
  TailSample odd = t;
  odd.put_u64(addr, 0x10001);
  StateError e = load_error(odd.bytes);
  EXPECT_EQ(e.offset, addr);
  EXPECT_EQ(e.what, "mapping at 65537 of 4096 bytes is not whole pages");
  TailSample wrap = t;
  wrap.put_u64(addr, ~uint64_t{0} & ~(DK_PAGE_SIZE - 1));
  EXPECT_EQ(load_error(wrap.bytes).what,
            "mapping at 18446744073709547520 of 4096 bytes is not whole pages");
  TailSample guard = t;
  guard.put_u32(prot, DK_PROT_READ | DK_PROT_GUARD);
  EXPECT_EQ(load_error(guard.bytes).what,
            "mapping protection 9 has bits other than read, write and execute");
  TailSample ro = t;
  ro.put_u32(prot, DK_PROT_READ);
  EXPECT_EQ(load_error(ro.bytes).what, "a shared mapping that can not be written");
  TailSample flag = t;
  flag.bytes[shared] = 2;
  EXPECT_EQ(load_error(flag.bytes).what, "mapping shared: flag 2 is not 0 or 1");
  TailSample sema = t;
  sema.put_u32(id, 0);
  e = load_error(sema.bytes);
  EXPECT_EQ(e.offset, id);
  EXPECT_EQ(e.what, "mapped stream 0 names a 'SEMA' record, which it can not be");
  TailSample conn = t;
  conn.put_u32(id, 2);
  EXPECT_EQ(load_error(conn.bytes).what,
            "mapped stream 2 names a 'CONN' record, which it can not be");
}

TEST(CoreStateHostile, LedgersThatCanNotBe) {
  CoreState c;
  QuotaLedger::Picoprocess& p = c.quotas.emplace().entries[1];
  p.use[0] = {5, 7};
  // ... QLED: defaults, count, then pid, limits (48 bytes), six (use, peak), applied, stdout,
  // stderr: the entry is the last 157 bytes.
  const TailSample t(c);
  const size_t entry = t.from_end(157), use = entry + 4 + 48, applied = use + 96,
               out = applied + 1;
  load(t.bytes);
  TailSample low = t;
  low.put_u64(use + 8, 4);
  StateError e = load_error(low.bytes);
  EXPECT_EQ(e.offset, use);
  EXPECT_EQ(e.what, "counter peak 4 below its use 5");
  TailSample flag = t;
  flag.bytes[applied] = 7;
  EXPECT_EQ(load_error(flag.bytes).what, "limits applied: flag 7 is not 0 or 1");
  TailSample dangling = t;
  dangling.put_u32(out, 3);
  e = load_error(dangling.bytes);
  EXPECT_EQ(e.offset, out);
  EXPECT_EQ(e.what, "stdout object 3 names no object (there are 0)");
  TailSample many = t;
  many.put_u32(entry - 4, 2);
  EXPECT_EQ(load_error(many.bytes).what,
            "ledger picoprocess count 2 does not fit the 157 bytes left");
}

// Queued handles may hold the ends of their own connection (a cycle of references); drops
// them so that a loaded state goes away whole.
void drop_cargo(CoreState& s) {
  for (const auto& o : s.held)
    if (auto* end = dynamic_cast<ConnEnd*>(o.get())) {
      auto a = std::move(end->conn->dir[0].cargo);
      auto b = std::move(end->conn->dir[1].cargo);
    }
}

TEST(CoreStateHostile, RandomDamageNeverCrashes) {
  Io io;
  std::shared_ptr<ConnEnd> a, b;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:a", "pipe:b", a, b);
  ASSERT_EQ(io.write(*a, "payload"), 0);
  ASSERT_EQ(a->send(std::make_shared<SemaphoreObject>(1, 1)), 0);
  CoreState c;
  c.roots = {a, b, std::make_shared<Listener>("pipe.srv:q", DK_STREAM_PIPE, false)};
  c.handles[1].insert(a);
  c.processes.emplace(ProcessTable::Image{{1}, "x"});
  c.waits[{1, 1}] = {a, b};
  c.mappings[1] = {StreamMapping{0x10000, DK_PAGE_SIZE, b, 0, DK_PROT_READ, false}};
  QuotaLedger::Picoprocess& p = c.quotas.emplace().entries[1];
  p.use[5] = {3, 9};
  p.std_out[0] = a;
  const std::vector<uint8_t> good = save(c);
  uint32_t seed = 12345;
  int failed = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bad = good;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1103515245u + 12345u;
      bad[(seed >> 8) % bad.size()] = static_cast<uint8_t>(seed >> 24);
    }
    CoreState s;
    StateError err;
    if (load_state(bad.data(), bad.size(), s, err) != 0) {
      ++failed;
      EXPECT_FALSE(err.what.empty());
      EXPECT_LE(err.offset, bad.size());
    } else {
      std::vector<uint8_t> again;
      EXPECT_EQ(save_state(s, again, err), 0) << err.what;  // what loads, saves
      drop_cargo(s);
    }
  }
  EXPECT_GT(failed, 0);
}

// ---- CoreHost's own state, on both hosts ----

class CoreHostStateTest : public hosttest::HostsTest {
 protected:
  static CoreHost& core(hosttest::HostWorld& w) {
    return static_cast<CoreHost&>(w.world_host().host());
  }
  std::vector<uint8_t> save_bytes(const CoreState& s, dk_status_t want = 0) {
    std::vector<uint8_t> out;
    StateError err;
    EXPECT_EQ(save_state(s, out, err), want) << err.what;
    last_error = err.what;
    return out;
  }
  std::string last_error;
};
DK_ON_BOTH_HOSTS(CoreHostStateTest);

// A thread parked in DkObjectsWaitAny on a semaphore whose handle it then closed: the wait
// goes through the state stream into another host, and there the thread's retry finds it.
TEST_P(CoreHostStateTest, AParkedWaitGoesOnInAnotherHost) {
  uint64_t out = p1.u64(0);
  ASSERT_EQ(DkSemaphoreCreate(p1, 0, 1, out), 0);
  const dk_handle_t sem = p1.get64(out);
  ASSERT_EQ(DkObjectsWaitAny(p1, 1, p1.u64(sem), DK_TIMEOUT_INFINITE, p1.u64(~0ull)), kBlocked);
  ASSERT_EQ(DkObjectClose(p1, sem), 0);
  CoreState s;
  core(*this).save_core(s);
  ASSERT_EQ(s.waits.size(), 1u);
  ASSERT_TRUE(s.processes);
  EXPECT_EQ(s.processes->first().name, "parent-pkg");
  CoreState back = load(save_bytes(s));
  ASSERT_EQ(back.waits.count(std::make_pair(1u, 1u)), 1u);
  auto& restored = dynamic_cast<SemaphoreObject&>(*back.waits.at({1, 1})[0]);
  EXPECT_EQ(restored.count, 0u);

  hosttest::HostWorld other(hosttest::make_world_host(kind()));
  auto retry = [&] {
    const uint64_t index = other.p1.u64(~0ull);
    const dk_status_t st =
        other.DkObjectsWaitAny(other.p1, 1, other.p1.u64(sem), DK_TIMEOUT_INFINITE, index);
    return std::make_pair(st, other.p1.get32(index));
  };
  // Without the state the other host has no such wait, and the handle names nothing there.
  EXPECT_EQ(retry().first, -DK_E_BADHANDLE);
  core(other).load_core(back);
  restored.count = 1;  // released meanwhile
  EXPECT_EQ(retry(), std::make_pair(dk_status_t{0}, 0u));
  EXPECT_EQ(restored.count, 0u);  // the retry took it
  // The wait is over: saved again, the other host has none.
  CoreState after;
  core(other).save_core(after);
  EXPECT_TRUE(after.waits.empty());
}

// A stream mapping moves into another host with load_core (unmapping it there frees its
// pages); through the byte stream it can not go yet, since the file is its host's.
TEST_P(CoreHostStateTest, StreamMappingsMoveButTheirFilesAreTheirHosts) {
  const std::string uri = world_host().scratch_file("mapped");
  const dk_handle_t f = open(p1, uri, DK_ACCESS_RDWR, DK_CREATE_TRY);
  ASSERT_NE(f, 0u);
  ASSERT_EQ(write(p1, f, "mapped bytes"), 0);
  const uint64_t addr = p1.u64(0);
  ASSERT_EQ(DkStreamMap(p1, f, addr, DK_PROT_READ, 0, DK_PAGE_SIZE), 0);
  const uint64_t at = p1.get64(addr);
  CoreState s;
  core(*this).save_core(s);
  ASSERT_EQ(s.mappings.count(1), 1u);
  ASSERT_EQ(s.mappings[1].size(), 1u);
  const StreamMapping& m = s.mappings[1][0];
  EXPECT_EQ(m.addr, at);
  EXPECT_EQ(m.size, DK_PAGE_SIZE);
  EXPECT_EQ(m.offset, 0u);
  EXPECT_EQ(m.prot, DK_PROT_READ);
  EXPECT_FALSE(m.shared);
  EXPECT_EQ(m.file->name, uri);
  save_bytes(s, -DK_E_NOTSUP);
  EXPECT_EQ(last_error,
            "stream " + uri + " (type 1) holds what only its host has and can not be saved");

  hosttest::HostWorld other(hosttest::make_world_host(kind()));
  EXPECT_EQ(other.DkStreamUnmap(other.p1, at, DK_PAGE_SIZE), 0);
  EXPECT_EQ(other.p1.ctl.frees, 0);  // nothing mapped there yet
  core(other).load_core(s);
  EXPECT_EQ(other.DkStreamUnmap(other.p1, at, DK_PAGE_SIZE), 0);
  EXPECT_EQ(other.p1.ctl.frees, 1);
}

}  // namespace
}  // namespace dk
