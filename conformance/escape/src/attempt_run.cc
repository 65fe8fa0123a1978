// One attempt in its own process (attempt_run.h). Errors here are values in the record; the
// only way this process ends without one is a crash or hang of the host, which the runner
// sees as such.
#include "attempt_run.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "dk/conformance/record_fields.h"
#include "dk/conformance/runner.h"
#include "dk/elf_image.h"
#include "dk/host_factory.h"
#include "dk/native_host.h"
#include "dk/native_runtime.h"
#include "dk/run.h"
#include "dk/world.h"

namespace dk::escape {
namespace {

using conformance::get_field;
using conformance::put_field;

constexpr size_t kMaxOutput = 64 * 1024;

// ---- The record ----

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + '\n';
  return s;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n') {
      v.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return v;
}

// ---- Hosts under test ----

struct Io {
  std::string out;  // console and debug log of every picoprocess of the host
};

class IoConsole : public Console {
 public:
  explicit IoConsole(Io& io) : io_(io) {}
  void write(int, const uint8_t* data, size_t n) override {
    if (io_.out.size() < 8 * kMaxOutput) io_.out.append(reinterpret_cast<const char*>(data), n);
  }
  size_t read(uint8_t*, size_t) override { return 0; }

 private:
  Io& io_;
};

// The host of one attempt: the backend, the quota decorator in front of it (what the
// harness runs and a test decorator wraps), and what a test decorator made of that.
struct HostBox {
  std::unique_ptr<IoConsole> console;
  std::string debug;
  std::unique_ptr<Host> backend;
  std::unique_ptr<Host> concrete;  // the QuotaEnforcer over `backend`
  std::unique_ptr<Host> used;      // the decorated host, or null
  int io_fd = -1;                  // the native host's wait descriptor (-1 on sim)
  Host& host() { return used ? *used : *concrete; }
};

// The escape namespace on either host: the default one narrowed by escape_policy. The
// simulated host sees the canaries' folder as file:/ (its overlay keeps writes); the native
// host maps file:/tmp and file:/ro onto the canaries' folders.
std::unique_ptr<HostBox> make_host(const std::string& kind, Io& io, const Canaries& c,
                                   const std::vector<uint8_t>& image, const std::string& name,
                                   const Limits& attacker_limits) {
  auto box = std::make_unique<HostBox>();
  box->console = std::make_unique<IoConsole>(io);
  HostLaunch l;
  if (kind == "native") {
    l.kind = HostKind::Native;
    l.mappings = {Mapping{"file:/tmp", "file:" + c.tmp_dir(), true, 0},
                  Mapping{"file:/ro", "file:" + c.ro_dir(), false, 0}};
  } else {
    l.root = c.sim_root();
  }
  l.narrow = escape_policy;
  l.console = box->console.get();
  l.debug_log = &box->debug;
  l.image = image;
  l.name = name;
  LaunchedHost built = dk::make_host(l);
  // The attacker (picoprocess 1) under its limits, if any.
  if (!(attacker_limits == Limits{})) built.quotas->set_limits(1, attacker_limits);
  if (kind == "native") box->io_fd = static_cast<NativeHost&>(*built.host).io_fd();
  box->backend = std::move(built.host);
  box->concrete = std::move(built.quotas);
  return box;
}

bool load_image(const std::string& dir, const std::string& name, std::vector<uint8_t>& out,
                std::string& error) {
  std::ifstream in(dir + "/" + name, std::ios::binary);
  if (!in) {
    error = "image " + name + " not found in " + dir;
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

uint64_t checksum(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// Host processes this process started (none may exist: no guest action starts one).
std::vector<std::string> child_processes() {
  std::vector<std::string> found;
  DIR* d = opendir("/proc/self/task");
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/children");
    std::string pids;
    std::getline(in, pids);
    if (!pids.empty()) found.push_back(pids);
  }
  closedir(d);
  return found;
}

std::string end_name(RunResult::End e) {
  switch (e) {
    case RunResult::End::Exited:
      return "exited";
    case RunResult::End::UnhandledException:
      return "exception";
    case RunResult::End::LoadError:
      return "load error";
    case RunResult::End::TickLimit:
      return "tick limit";
    case RunResult::End::HostError:
      return "host error";
    case RunResult::End::Deadlock:
      return "deadlock";
    default:
      break;
  }
  return "end " + std::to_string(static_cast<int>(e));
}

// The native runtime's options for a run on `box`: the host's wait descriptor, and the tick
// limit as CPU time, 100 ns a tick. A downcall through the supervisor costs the child some
// microseconds of CPU (trap, signal, channel, futex) where the emulator counts a few ticks,
// and the child's start-up counts too: at 10 ns a tick (dk conform's measure) an attempt
// that makes 20000 calls, or starts children under a 400000-tick limit, would end at its
// CPU limit before it could finish.
constexpr uint64_t kNsPerTick = 100;
NativeRuntimeOptions native_options(const HostBox& box, uint64_t max_ticks) {
  NativeRuntimeOptions no;
  no.host_io_fd = box.io_fd;
  no.cpu_time_ns = max_ticks > UINT64_MAX / kNsPerTick ? UINT64_MAX : max_ticks * kNsPerTick;
  return no;
}

// How the native runtime reports a child the kernel killed with SIGSYS: a system call the
// seccomp filter forbids outright (supervisor.cc).
constexpr std::string_view kFilterKill = "the child was killed by signal 31 (SIGSYS";

// The harness buffer the observer checksums: guest code must never reach it.
alignas(4096) uint8_t g_harness_buffer[1 << 16];

ChildRecord run_attempt(const Attempt& a, const Canaries& c, const RunnerOptions& o) {
  ChildRecord rec;
  for (size_t i = 0; i < sizeof g_harness_buffer; ++i)
    g_harness_buffer[i] = static_cast<uint8_t>(i * 131 + 7);
  const uint64_t buffer_sum = checksum(g_harness_buffer, sizeof g_harness_buffer);
  const std::string images =
      o.images_dir.empty() ? dk::conformance::default_images_dir() : o.images_dir;

  AttemptContext cx;
  cx.id = a.id;
  cx.canary_path = c.canary_path();
  cx.absent_path = c.absent_path();
  cx.canary_port = c.port();
  cx.marker = std::string(Canaries::marker());
  cx.harness_code = reinterpret_cast<uint64_t>(&run_picoprocess);
  cx.harness_data = reinterpret_cast<uint64_t>(g_harness_buffer);
  int on_stack = 0;
  cx.harness_stack = reinterpret_cast<uint64_t>(&on_stack) & ~0xfffull;

  LaunchSpec attacker, sibling, probe;
  std::string error;
  if (a.generate) {
    attacker.image = a.generate(cx);
  } else if (!load_image(images, a.image, attacker.image, error)) {
    rec.reason = error;
    return rec;
  }
  const std::string port = std::to_string(c.port());
  attacker.name = a.generate ? "stream" : a.image;
  attacker.args = {attacker.name, a.case_name, c.canary_path(), c.absent_path(), port};
  if (!load_image(images, a.sibling_image, sibling.image, error) ||
      !load_image(images, "esc_sibling", probe.image, error)) {
    rec.reason = error;
    return rec;
  }
  sibling.name = a.sibling_image;
  sibling.args = {a.sibling_image, a.sibling_case, c.canary_path(), c.absent_path(), port};
  probe.name = "esc_sibling";
  probe.args = {"esc_sibling", "probe"};
  const std::vector<uint8_t> attacker_image = attacker.image, sibling_image = sibling.image;

  Io io;
  RunOptions ro;
  ro.max_ticks = a.max_ticks ? a.max_ticks : o.max_ticks;
  ro.max_world_ticks = 8 * ro.max_ticks;
  RunResult ra, rs;
  std::vector<std::string> oracle;
  const bool native_runtime = o.runtime == "native";
  {
    auto box = make_host(o.host, io, c, attacker.image, attacker.name, a.limits);
    if (o.decorate) box->used = o.decorate(std::move(box->concrete), cx);
    if (!box->used && !box->concrete) {
      rec.reason = "the test decorator returned no host";
      return rec;
    }
    WatchingHost watch(box->host());
    // On the native runtime the sibling runs after the attacker, on a host of its own over
    // the same host folders: run_native_runtime runs one picoprocess tree per call and
    // numbers its first picoprocess 1, so on the attacker's host it would inherit the
    // attacker's limits and ledger.
    std::unique_ptr<HostBox> sbox;
    std::unique_ptr<WatchingHost> swatch;
    if (native_runtime) {
      sbox = make_host(o.host, io, c, sibling.image, sibling.name, Limits{});
      if (o.decorate) sbox->used = o.decorate(std::move(sbox->concrete), cx);
      if (!sbox->used && !sbox->concrete) {
        rec.reason = "the test decorator returned no host";
        return rec;
      }
      swatch = std::make_unique<WatchingHost>(sbox->host());
    }
    try {
      if (native_runtime) {
        ra = run_native_runtime(watch, attacker, native_options(*box, ro.max_ticks));
        rs = run_native_runtime(*swatch, sibling, native_options(*sbox, o.max_ticks));
      } else {
        World world(watch, ro);
        const uint32_t pa = world.add(attacker);
        const uint32_t ps = world.add(sibling);
        world.run();
        ra = world.result(pa);
        rs = world.result(ps);
      }
    } catch (const ElfError& e) {
      rec.reason = std::string("bad image: ") + e.what();
      return rec;
    }
    oracle = watch.breaches();
    if (swatch)
      for (const auto& b : swatch->breaches()) oracle.push_back("(sibling's host) " + b);
    // Console last: its tail is what reports show.
    io.out = box->debug + (sbox ? sbox->debug : std::string()) + io.out;
  }
  rec.ran = true;
  rec.end = static_cast<int>(ra.end);
  rec.exit_code = ra.exit_code;
  rec.type = ra.exception_type;
  rec.detail = ra.exception_detail;
  rec.address = ra.address;
  rec.reason = ra.reason;
  rec.instruction = ra.instruction;
  rec.sibling_end = static_cast<int>(rs.end);
  rec.sibling_exit = rs.exit_code;
  rec.sibling_reason = rs.reason;
  rec.breaches = oracle;

  // The sibling finished its own work.
  if (rs.end != RunResult::End::Exited || rs.exit_code != a.sibling_exit)
    rec.breaches.push_back("the sibling picoprocess did not finish its work: " + end_name(rs.end) +
                           " " + std::to_string(rs.exit_code) +
                           (rs.reason.empty() ? "" : " (" + rs.reason + ")"));
  // The harness is intact: its buffer, the images it loaded, no processes it did not start.
  if (checksum(g_harness_buffer, sizeof g_harness_buffer) != buffer_sum)
    rec.breaches.push_back("the harness buffer at " + std::to_string(cx.harness_data) + " changed");
  if (attacker.image != attacker_image || sibling.image != sibling_image)
    rec.breaches.push_back("the harness's copy of an image changed");
  for (const auto& pids : child_processes())
    rec.breaches.push_back("host processes appeared: " + pids);
  rec.filter_killed = native_runtime && ra.end == RunResult::End::HostError &&
                      ra.reason.starts_with(kFilterKill) && a.family.starts_with("syscall.");
  if ((ra.end == RunResult::End::HostError && !rec.filter_killed) ||
      ra.end == RunResult::End::LoadError)
    rec.health.push_back("the attacker ended with " + end_name(ra.end) + ": " + ra.reason);

  // The harness keeps serving: a probe on a fresh host in this same process.
  {
    Io pio;
    auto box = make_host(o.host, pio, c, probe.image, probe.name, Limits{});
    RunOptions po;
    po.max_ticks = 5000000;
    RunResult rp = native_runtime
                       ? run_native_runtime(box->host(), probe, native_options(*box, po.max_ticks))
                       : run_picoprocess(box->host(), probe, po);
    rec.probe_ok = rp.end == RunResult::End::Exited && rp.exit_code == 91;
    if (!rec.probe_ok)
      rec.health.push_back("the harness stopped serving: the probe ended with " + end_name(rp.end) +
                           " " + std::to_string(rp.exit_code) + " " + rp.reason);
  }
  rec.output = io.out.size() > kMaxOutput ? io.out.substr(0, kMaxOutput) : io.out;
  return rec;
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string encode(const ChildRecord& r) {
  std::string rec = "E";
  put_field(rec, r.ran ? "1" : "0");
  put_field(rec, std::to_string(r.end));
  put_field(rec, std::to_string(r.exit_code));
  put_field(rec, std::to_string(r.type));
  put_field(rec, std::to_string(r.detail));
  put_field(rec, std::to_string(r.address));
  put_field(rec, r.reason);
  put_field(rec, r.instruction);
  put_field(rec, std::to_string(r.sibling_end));
  put_field(rec, std::to_string(r.sibling_exit));
  put_field(rec, r.sibling_reason);
  put_field(rec, r.probe_ok ? "1" : "0");
  put_field(rec, r.filter_killed ? "1" : "0");
  put_field(rec, join(r.breaches));
  put_field(rec, join(r.health));
  put_field(rec, r.output);
  return rec;
}

bool decode(const std::string& bytes, ChildRecord& r) {
  if (bytes.empty() || bytes[0] != 'E') return false;
  size_t pos = 1;
  std::string f[16];
  for (auto& field : f)
    if (!get_field(bytes, pos, field)) return false;
  try {
    r.ran = f[0] == "1";
    r.end = std::stoi(f[1]);
    r.exit_code = std::stoll(f[2]);
    r.type = static_cast<uint32_t>(std::stoul(f[3]));
    r.detail = static_cast<uint32_t>(std::stoul(f[4]));
    r.address = std::stoull(f[5]);
    r.reason = f[6];
    r.instruction = f[7];
    r.sibling_end = std::stoi(f[8]);
    r.sibling_exit = std::stoll(f[9]);
    r.sibling_reason = f[10];
    r.probe_ok = f[11] == "1";
    r.filter_killed = f[12] == "1";
    r.breaches = split(f[13]);
    r.health = split(f[14]);
    r.output = f[15];
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

void attempt_child_main(int fd, const Attempt& a, const Canaries& c, const RunnerOptions& o) {
  // The process's own stdout and stderr go to a file the observer reads: a Linux write that
  // really ran would land there.
  const int log = ::open(c.fd_log().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log >= 0) {
    dup2(log, 1);
    dup2(log, 2);
    ::close(log);
  }
  ChildRecord rec;
  try {
    rec = run_attempt(a, c, o);
  } catch (const std::exception& e) {
    rec = ChildRecord{};
    rec.ran = true;
    rec.end = static_cast<int>(RunResult::End::HostError);
    rec.health.push_back(std::string("the harness threw: ") + e.what());
  }
  write_all(fd, encode(rec));
  ::close(fd);
  _exit(0);
}

}  // namespace dk::escape
