// dk run: load an image and run it as a picoprocess on a host, with the picoprocess's
// console on dk's own stdio, and dk's exit status telling how the picoprocess ended.
#include "run_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>

#include "commands.h"
#include "dk/auditor.h"
#include "dk/core/quota_enforcer.h"
#include "dk/elf_image.h"
#include "dk/json.h"
#include "dk/monitor/folder_hash.h"
#include "dk/monitor/launch.h"
#include "dk/monitor/manifest.h"
#include "dk/monitor/package.h"
#include "dk/monitor/package_store.h"
#include "dk/host_factory.h"
#include "dk/native_runtime.h"
#include "dk/perf/history.h"
#include "dk/perf/profiler.h"
#include "dk/recorder.h"
#include "dk/run.h"
#include "dk/trace_file.h"
#include "dk/trace_launch.h"
#include "options.h"

namespace dk::cli {
namespace {

// The first SIGINT is forwarded to the picoprocess as INTERRUPT (ABI.md section 6); the
// handler resets itself, so a second one ends dk at once.
std::atomic<bool> g_interrupt{false};
void on_sigint(int) { g_interrupt.store(true); }
void forward_sigint() {
  struct sigaction old {};
  // An ignored SIGINT (dk started in the background by a shell) stays ignored.
  if (sigaction(SIGINT, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) return;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

std::string_view end_name(RunResult::End e) {
  switch (e) {
    case RunResult::End::Exited: return "exited";
    case RunResult::End::UnhandledException: return "exception";
    case RunResult::End::LoadError: return "load-error";
    case RunResult::End::TickLimit: return "tick-limit";
    case RunResult::End::HostError: return "host-error";
    case RunResult::End::Deadlock: return "deadlock";
  }
  return "?";
}

[[noreturn]] void fail(const std::string& msg, int status = 2) {
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{status};
}

// The image in one buffer of its size, read with as few calls as it takes (a stream read
// through istreambuf_iterator grew the vector by doubling: 18 buffers and copies for hello).
std::vector<uint8_t> read_image(const std::string& verb, const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(verb + ": " + path + ": cannot be read");
  struct stat st {};
  std::vector<uint8_t> bytes;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    bytes.resize(static_cast<size_t>(st.st_size));
  size_t used = 0;
  for (;;) {
    // Full: a small read past the end tells the end from a file that grew.
    uint8_t more[4096];
    const bool full = used == bytes.size();
    const ssize_t n = full ? read(fd, more, sizeof more)
                           : read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      fail(verb + ": " + path + ": cannot be read");
    }
    if (n == 0) break;
    if (full) bytes.insert(bytes.end(), more, more + n);
    used += static_cast<size_t>(n);
  }
  close(fd);
  bytes.resize(used);
  return bytes;
}

bool is_package(const std::string& verb, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) fail(verb + ": " + path + ": no such file or folder");
  return S_ISDIR(st.st_mode) || path.ends_with(".dkpkg");
}

// Fills the launch from a package: the monitor resolves the closure, the namespace and the
// app's image before anything runs, and the image must load (the checks `dk pkg check` makes).
void launch_from_package(const RunArgs& a, LaunchSpec& spec, std::optional<PackageLaunch>& out) {
  std::optional<Manifest> policy;
  if (!a.policy.empty()) {
    try {
      policy = load_manifest(a.policy);
    } catch (const std::exception& e) {
      fail(a.verb + ": --policy " + naming(a.policy, e.what()));
    }
  }
  try {
    PackageLaunch& l =
        out.emplace(checked_package_launch(a.target, a.pkg_path, policy ? &*policy : nullptr));
    spec.image = l.image;
    spec.name = l.package->id().name;
    spec.args = l.app.args;
    for (const auto& [k, v] : l.app.env) spec.env.push_back(k + "=" + v);
    spec.stack_size = l.app.stack;
    spec.stdin_uri = l.app.stdin_uri;
    spec.stdout_uri = l.app.stdout_uri;
    spec.stderr_uri = l.app.stderr_uri;
  } catch (const std::exception& e) {
    fail(a.verb + ": " + naming(a.target, e.what()));
  }
}

// The command line as dk was asked, rebuilt from the parsed options (for the trace header).
std::vector<std::string> command_line(const RunArgs& a) {
  std::vector<std::string> c = {"dk", a.verb};
  auto opt = [&](const char* name, const std::string& v) {
    c.push_back(name);
    c.push_back(v);
  };
  if (a.verb == "run") opt("--trace", a.trace);
  else opt("-o", a.trace);
  if (a.host != "sim") opt("--host", a.host);
  if (a.seed) opt("--seed", std::to_string(a.seed));
  if (a.max_ticks) opt("--max-ticks", std::to_string(a.max_ticks));
  if (a.quantum != RunOptions{}.quantum) opt("--quantum", std::to_string(a.quantum));
  if (a.checksum_every) opt("--checksum", "every-" + std::to_string(a.checksum_every) + "-calls");
  if (a.hash_inputs) c.push_back("--hash-inputs");
  for (const auto& p : a.pkg_path) opt("--pkg-path", p);
  if (!a.policy.empty()) opt("--policy", a.policy);
  if (!a.root.empty()) opt("--root", a.root);
  c.push_back(a.target);
  if (!a.guest_args.empty()) {
    c.push_back("--");
    c.insert(c.end(), a.guest_args.begin(), a.guest_args.end());
  }
  return c;
}

// Everything `dk replay` needs, and what identifies the run: image and package file hashes,
// CPUID answers, the Unicorn version, the launch and the run options.
TraceHeader trace_header(const RunArgs& a, const LaunchSpec& spec, const RunOptions& opts,
                         const std::optional<PackageLaunch>& launch) {
  TraceHeader h;
  h.flags = a.hash_inputs ? kTraceInputsHashed : 0;
  h.seed = a.seed;
  h.host_kind = a.host;
  h.unicorn_version = unicorn_version();
  h.image_name = launch ? launch->exe_uri : a.target;
  h.image_hash = trace_hash(spec.image.data(), spec.image.size());
  if (launch && launch->files) {
    for (const auto& [path, entry] : launch->files->files()) {
      std::string bytes;
      if (launch->files->read(path, bytes) == 0) h.files.push_back({path, trace_hash(bytes.data(), bytes.size())});
    }
  }
  h.cpuid = cpuid_answers();
  h.command_line = command_line(a);
  h.launch = trace_launch_of(spec, opts);
  h.launch.checksum_every = a.checksum_every;
  return h;
}

// A profile as a history run: one benchmark named by what ran (the picoprocess's name, its
// arguments, the seed and quantum), every figure exact and lower-is-better.
perf::RunRecord profile_record(const RunArgs& a, const LaunchSpec& spec, const perf::Profile& p) {
  perf::RunRecord run;
  run.commit = a.commit.empty() ? perf::current_commit() : a.commit;
  run.machine = a.machine.empty() ? perf::machine_name() : a.machine;
  run.source = "profile";
  std::string what = spec.name;
  for (size_t i = 1; i < spec.args.size(); ++i) what += " " + spec.args[i];
  run.label = what;
  const std::string bench = "profile " + what + " seed=" + std::to_string(a.seed) +
                            (a.quantum != RunOptions{}.quantum ? " quantum=" + std::to_string(a.quantum) : "");
  auto add = [&](const std::string& figure, uint64_t v) {
    run.figures.push_back({bench, figure, static_cast<double>(v), true, perf::Better::Lower});
  };
  add("ticks", p.ticks);
  add("instructions", p.instructions);
  add("downcalls", p.downcalls);
  add("waits", p.waits);
  add("pages_committed", p.pages_committed);
  add("pages_peak", p.pages_peak);
  add("picoprocesses", p.picoprocesses);
  add("threads", p.threads);
  add("foreign_traps", p.foreign_traps);
  for (const auto& [name, f] : p.calls) {
    add("calls." + name, f.calls);
    add("refused." + name, f.refused);
    add("waits." + name, f.waits);
  }
  for (const auto& [kind, s] : p.streams) {
    add("read_bytes." + kind, s.read_bytes);
    add("written_bytes." + kind, s.written_bytes);
  }
  for (const auto& [type, n] : p.exceptions) add("exceptions." + type, n);
  for (const auto& f : p.functions) add("instructions." + f.image + ":" + f.name, f.instructions);
  return run;
}

void run(const RunArgs& given) {
  RunArgs a = given;
  std::vector<std::string> rest = args_after_dashes();
  if (a.target.empty() && !rest.empty()) {
    a.target = rest.front();
    rest.erase(rest.begin());
  }
  a.guest_args.insert(a.guest_args.end(), rest.begin(), rest.end());
  if (a.target.empty()) fail(a.verb + ": TARGET is required (see dk " + a.verb + " --help)");
  if (a.verb == "record" && a.trace.empty()) fail("record: -o: give the trace file's name");
  if (a.copies > 0) {
    // Copies share one world on one host: nothing to record, audit or run natively.
    if (!a.trace.empty()) fail(a.verb + ": --copies runs a world of copies; --trace records one run");
    if (!a.audit.empty()) fail(a.verb + ": --copies runs a world of copies; --audit logs one run");
    if (a.runtime == "native") fail(a.verb + ": --copies runs the copies under the emulator; drop --runtime native");
  }
  const bool profiling = a.verb == "profile";
  if (profiling) {
    // Exact counters come from the deterministic host; a real one would give other figures
    // on every run.
    if (a.runtime == "native")
      fail("profile: counts the emulator's run on the simulated host; drop --runtime native");
    if (a.host != "sim")
      fail("profile: counts are exact on the simulated host only; drop --host " + a.host);
  }
  const bool native_runtime = a.runtime == "native";
  if (native_runtime) {
    // The native runtime serves its calls through the native host: real files, clocks.
    if (a.host_given && a.host != "native")
      fail(a.verb + ": --runtime native serves calls through the native host; drop --host " +
           a.host);
    if (!a.trace.empty())
      fail(a.verb + ": --trace records the emulator's run; use --runtime emu to record");
    a.host = "native";
  }
  LaunchSpec spec;
  std::optional<PackageLaunch> launch;
  if (is_package(a.verb, a.target)) {
    if (!a.root.empty())
      fail(a.verb + ": --root is for bare images; a package's files come from its manifest");
    launch_from_package(a, spec, launch);
  } else {
    if (!a.policy.empty())
      fail(a.verb + ": --policy adds to a package's namespace; " + a.target +
           " is a bare image, which has none");
    // A bare image runs under the default policy: console streams, nothing else granted.
    spec.image = read_image(a.verb, a.target);
    std::string base = a.target.substr(a.target.find_last_of('/') + 1);
    spec.name = base;
    spec.args.push_back(base);
  }
  spec.args.insert(spec.args.end(), a.guest_args.begin(), a.guest_args.end());

  StdioConsole stdio;
  CapturedConsole captured;
  std::string debug;
  HostKind kind = HostKind::Sim;
  parse_host_kind(a.host, kind);  // CLI11 admitted only "sim" and "native"
  // The monitor decides every open, query, rename, delete, connect and listen: the package's
  // namespace (its files are the package union, the app's and its dependencies'), or for a
  // bare image the default namespace over `--root` ("" : an empty file system).
  HostLaunch hl = launch ? package_host_launch(kind, *launch)
                         : image_host_launch(kind, a.root, spec.image, spec.name);
  hl.seed = a.seed;
  hl.debug_log = &debug;
  // The simulated host's console is dk's stdio; the native host's is dk's own descriptors
  // (polled) unless --json captures it.
  if (a.json) {
    hl.console = &captured;
    hl.native_stdin = true;
  } else if (kind == HostKind::Sim) {
    hl.console = &stdio;
  }
  // The monitor's quotas stand in front of the chosen host: the manifest's limits, or the
  // defaults for a bare image.
  LaunchedHost built = make_host(hl);
  Host& chosen = built.serving();
  RunOptions opts;
  opts.max_ticks = a.max_ticks;
  opts.quantum = a.quantum;
  opts.interrupt = &g_interrupt;
  forward_sigint();

  if (a.copies > 0) {
    try {
      run_copies(a, spec, chosen, opts);
    } catch (const ElfError& e) {
      fail(a.verb + ": " + naming(a.target, e.what()));
    }
  }
  // Recording: the Recorder wraps the chosen host with its quotas (a refusal is a recorded
  // result) and hears the emulator's events.
  std::unique_ptr<TraceWriter> writer;
  std::unique_ptr<Recorder> recorder;
  Host* served = &chosen;
  if (!a.trace.empty()) {
    try {
      writer = std::make_unique<TraceWriter>(a.trace, trace_header(a, spec, opts, launch));
    } catch (const TraceError& e) {
      fail(a.verb + ": " + e.what());
    }
    RecorderOptions ro;
    ro.hash_inputs = a.hash_inputs;
    ro.checksum_every = a.checksum_every;
    recorder = std::make_unique<Recorder>(chosen, *writer, ro);
    served = recorder.get();
    opts.events = recorder.get();
  }
  // Auditing: in front of the recorder, passing every event on to it.
  std::ofstream audit_out;
  std::unique_ptr<Auditor> auditor;
  if (!a.audit.empty()) {
    audit_out.open(a.audit, std::ios::binary | std::ios::trunc);
    if (!audit_out) fail(a.verb + ": cannot write " + a.audit);
    auditor = std::make_unique<Auditor>(*served, audit_out, opts.events);
    served = auditor.get();
    opts.events = auditor.get();
  }

  // Profiling: in front of everything else, hearing every event before passing it on.
  std::unique_ptr<perf::Profiler> profiler;
  if (profiling) {
    profiler = std::make_unique<perf::Profiler>(*served, opts.events);
    served = profiler.get();
    opts.events = profiler.get();
    opts.profile = profiler.get();
  }

  // The history is opened before the run, so a bad file is bad input, not a lost run.
  std::unique_ptr<perf::History> history;
  if (!a.history.empty()) {
    try {
      history = std::make_unique<perf::History>(a.history);
    } catch (const perf::HistoryError& e) {
      fail(a.verb + ": --history " + e.what());
    }
  }

  RunResult r;
  SandboxLayers layers;
  try {
    if (native_runtime) {
      NativeRuntimeOptions no;
      no.interrupt = &g_interrupt;
      // A tick is 10 ns of the emulator's clock: --max-ticks bounds CPU time here.
      no.cpu_time_ns = a.max_ticks > UINT64_MAX / 10 ? UINT64_MAX : a.max_ticks * 10;
      no.host_io_fd = static_cast<NativeHost&>(*built.host).io_fd();
      no.events = opts.events;
      r = run_native_runtime(*served, spec, no, &layers);
    } else {
      r = run_picoprocess(*served, spec, opts);
    }
  } catch (const ElfError& e) {
    fail(a.verb + ": " + naming(a.target, e.what()));
  }
  if (writer) {
    try {
      writer->close();
    } catch (const TraceError& e) {
      if (!recorder->failed()) fail(a.verb + ": " + e.what(), 125);
    }
    // The run went on, but the trace is not usable: say so and fail like a host error.
    if (recorder->failed()) fail(a.verb + ": recording failed: " + recorder->error(), 125);
  }
  if (auditor) {
    audit_out.close();
    if (!audit_out) fail(a.verb + ": cannot write " + a.audit, 125);
  }
  if (!a.debug_log.empty()) {
    std::ofstream out(a.debug_log, std::ios::binary);
    out << debug;
    if (!out) fail(a.verb + ": cannot write " + a.debug_log);
  }
  if (history) {
    try {
      history->append(profile_record(a, spec, profiler->profile()));
    } catch (const perf::HistoryError& e) {
      fail(a.verb + ": --history " + e.what(), 125);
    }
  }
  if (a.json) {
    JsonWriter o;
    o.begin_object().field("end", end_name(r.end)).field("exit_code", r.exit_code);
    o.field("status", r.shell_status()).field("ticks", r.ticks).field("downcalls", r.downcalls);
    if (r.end != RunResult::End::Exited) {
      o.field("reason", r.reason).field("exception_type", static_cast<uint64_t>(r.exception_type));
      o.field("address", r.address).field("rip", r.rip).field("instruction", r.instruction);
    }
    o.field("stdout", captured.out).field("stderr", captured.err);
    o.field("runtime", a.runtime);
    if (native_runtime) o.key("sandbox").raw(layers.json());
    // The run's inputs: each mapped host folder with a hash of its contents.
    Namespace inputs = launch ? launch->ns : Namespace{};
    if (!launch && !a.root.empty())
      inputs.add(Mapping{"file:/", "file:" + std::filesystem::absolute(a.root).string(), false, 0});
    o.key("mapped_folders").raw(mapped_folders_json(inputs));
    if (profiler) o.field("seed", a.seed).key("profile").raw(profiler->profile().json(a.top));
    o.end_object();
    printf("%s\n", o.str().c_str());
  } else {
    fflush(stdout);
    if (r.end != RunResult::End::Exited) fprintf(stderr, "dk: %s\n", r.reason.c_str());
    if (profiler) {
      // As time(1) and perf stat do: the report on stderr, the program's output untouched.
      fprintf(stderr, "dk profile: %s, seed %llu, simulated host: %s, status %d\n%s",
              a.target.c_str(), static_cast<unsigned long long>(a.seed),
              std::string(end_name(r.end)).c_str(), r.shell_status(),
              profiler->profile().text(a.top).c_str());
    }
  }
  exit_status() = r.shell_status();
}

}  // namespace

void add_run_options(CLI::App* cmd, RunArgs& a0, bool record) {
  RunArgs* a = &a0;
  a->quantum = RunOptions{}.quantum;
  // Required, checked by the run: it may come after `--` (args_after_dashes).
  cmd->add_option("TARGET", a->target, "Guest ELF image, package folder or .dkpkg archive");
  cmd->add_option("ARGS", a->guest_args, "Arguments after --, passed to the picoprocess");
  cmd->add_option("--seed", a->seed, "Seed of the simulated host's random bits")
      ->default_val(0)
      ->check(count_in(0, UINT64_MAX));
  cmd->add_option("--host", a->host, "Host: sim or native")
      ->default_val("sim")
      ->check(CLI::IsMember({"sim", "native"}))
      ->each([a](const std::string&) { a->host_given = true; });
  cmd->add_option("--runtime", a->runtime,
                  "Runtime: emu (the emulator) or native (the image on the CPU under a "
                  "seccomp supervisor; its calls served by the native host)")
      ->default_val("emu")
      ->check(CLI::IsMember({"emu", "native"}));
  cmd->add_option("--max-ticks", a->max_ticks,
                  "End the picoprocess after this many ticks (0: none)")
      ->check(count_in(0, UINT64_MAX));
  cmd->add_option("--quantum", a->quantum, "Ticks a thread runs before the next ready thread")
      ->default_val(RunOptions{}.quantum)
      ->check(count_in(1, UINT64_MAX));
  cmd->add_option("--debug-log", a->debug_log, "Write the picoprocess's DkDebugOutput to FILE");
  one_value_per_use(cmd->add_option(
      "--pkg-path", a->pkg_path,
      "A folder to find dependencies in (repeatable; ':' separates several in one)"));
  cmd->add_option(
         "--root", a->root,
         "For a bare image: a host folder seen as file:/ (read-only; writes stay in memory)")
      ->check(existing_folder());
  cmd->add_option("--policy", a->policy,
                  "For a package: an administrator policy manifest added to its namespace")
      ->check(existing_file());
  cmd->add_flag("--json", a->json, "Print the result (and the captured console) as JSON");
  cmd->add_option("--audit", a->audit,
                  "Write foreign traps, refused downcalls and quota hits to FILE as JSON lines");
  if (record) {
    cmd->add_option_function<std::string>(
           "--checksum",
           [a](const std::string& v) {
             // every-N-calls
             const std::string pre = "every-", post = "-calls";
             uint64_t n = 0;
             bool ok = v.size() > pre.size() + post.size() && v.starts_with(pre) && v.ends_with(post);
             const std::string digits = ok ? v.substr(pre.size(), v.size() - pre.size() - post.size()) : "";
             ok = ok && digits.size() <= 12 && digits.find_first_not_of("0123456789") == std::string::npos;
             if (ok) n = std::stoull(digits);
             if (!ok || n == 0) throw CLI::ValidationError("--checksum", "give every-N-calls with N >= 1, not '" + v + "'");
             a->checksum_every = n;
           },
           "Store a memory checksum every N downcalls (every-N-calls); replay checks it")
        ->type_name("every-N-calls");
    cmd->add_flag("--hash-inputs", a->hash_inputs, "Keep only hashes of downcall input bytes (smaller; replay prints no console)");
  }
}

PackageLaunch checked_package_launch(const std::string& target,
                                     const std::vector<std::string>& pkg_path,
                                     const Manifest* policy) {
  PackageLaunch l = prepare_launch(target, PackageStore::search_path_for(target, pkg_path), policy);
  try {
    ElfImage::parse(l.image);  // what the loader will do first
  } catch (const ElfError& e) {
    throw PackageError(l.package->label() + ": app.exe " + l.exe_uri +
                       " does not load: " + e.what());
  }
  return l;
}

std::vector<std::string>& args_after_dashes() {
  static std::vector<std::string> words;
  return words;
}

void run_target(const RunArgs& a) { run(a); }

// --copies: a bound far above what one world holds today (a picoprocess is ~100 KiB), so that
// a mistyped count fails at once rather than after filling memory.
constexpr uint64_t kMaxCopies = 1'000'000;

void add_profile_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  a->verb = "profile";
  CLI::App* cmd = app.add_subcommand(
      "profile",
      "Run an image or package on the simulated host and report exact counters: ticks, "
      "instructions, downcalls by call, stream bytes by kind, pages, picoprocesses, threads, "
      "exceptions, and the guest functions that executed the most instructions");
  add_run_options(cmd, *a, false);
  cmd->add_option("--top", a->top, "Functions to list, most instructions first (0: all)")
      ->default_val(20)
      ->check(count_in(0, 1000000));
  cmd->add_option("--history", a->history,
                  "Append the figures to this history file (SQLite; created if missing; see dk perf)");
  cmd->add_option("--commit", a->commit,
                  "Record them under this commit (default: $DK_COMMIT, else the git HEAD of the current folder)");
  cmd->add_option("--machine", a->machine, "Record them under this machine name (default: the host name)");
  cmd->callback([a] { run(*a); });
}

void add_run_command(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run an image as a picoprocess");
  add_run_options(cmd, *a, true);
  CLI::Option* trace =
      cmd->add_option("--trace", a->trace, "Record the run to FILE (.dktrace; see dk replay)");
  cmd->add_option("--copies", a->copies,
                  "Start N copies of the picoprocess in one world; a summary once every copy "
                  "has ended or every live one waits with no deadline (those are ended)")
      ->check(count_in(1, kMaxCopies));
  // They say how to record, so without a trace they would be silently ignored.
  cmd->get_option("--checksum")->needs(trace);
  cmd->get_option("--hash-inputs")->needs(trace);
  cmd->callback([a] { run(*a); });
}

}  // namespace dk::cli
