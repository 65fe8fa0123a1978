// dk: the command line of the Dk harness. Each verb lives in its own *_command.cc. Every
// mistake on the command line ends here as one line `dk: [VERB: ]what` and exit status 2.
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "conform_command.h"
#include "run_command.h"
#include "trace_command.h"

namespace {

// "run, record, replay": the verbs `app` offers, in the order they were added.
std::string verb_list(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands(std::function<bool(const CLI::App*)>{}))
    out += (out.empty() ? "" : ", ") + sub->get_name();
  return out;
}

// "trace show": the verbs CLI11 had entered when it stopped.
std::string verb_path(const CLI::App& app) {
  std::string path;
  for (const CLI::App* cur = &app; !cur->get_subcommands().empty();) {
    cur = cur->get_subcommands().front();
    path += (path.empty() ? "" : " ") + cur->get_name();
  }
  return path;
}

// CLI11 reports an unknown verb as an unexpected argument, and a missing one as "A
// subcommand is required"; both are said here before parsing, naming the verbs there are.
// Walks the leading words of the command line down the verb tree; stops at the first option.
std::optional<std::string> verb_problem(const CLI::App& app, int argc, char** argv) {
  const CLI::App* cur = &app;
  std::string path;
  for (int i = 1;; ++i) {
    if (cur->get_require_subcommand_min() == 0) return std::nullopt;  // a verb with its options
    const std::string where = path.empty() ? "" : path + ": ";
    if (i == argc)
      return where + "give a command (" + verb_list(*cur) + "; see dk " + path +
             (path.empty() ? "" : " ") + "--help)";
    const std::string word = argv[i];
    if (word.starts_with("-")) return std::nullopt;  // --help, --version, or CLI11's error
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : cur->get_subcommands(std::function<bool(const CLI::App*)>{}))
      if (sub->check_name(word)) next = sub;
    if (!next) return where + "unknown command: " + word + " (commands: " + verb_list(*cur) + ")";
    cur = next;
    path += (path.empty() ? "" : " ") + word;
  }
}

// CLI11's messages, one line each, in dk's words where CLI11's are vague.
std::string parse_problem(const CLI::ParseError& e) {
  std::string what = e.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  for (const char* extras :
       {"The following arguments were not expected: ", "The following argument was not expected: "})
    if (what.starts_with(extras)) return "unexpected argument: " + what.substr(strlen(extras));
  // "--seed: 1 required UINT:0 to 18446744073709551615 missing": the option came last, bare.
  if (const size_t colon = what.find(": 1 required ");
      colon != std::string::npos && what.ends_with(" missing"))
    return what.substr(0, colon) + ": give a value";
  return what;
}

// dk's heap on transparent huge pages. A first touch of a 4 KiB page costs 10-40 us on a
// paravirtualized machine, and a short run touches hundreds of fresh heap pages (Unicorn's
// translation-block hash table alone is 512 KiB, CLI11 builds every verb's options, the
// image is copied into the host and the world); a 2 MiB huge page is one fault
// (docs/performance.md, "Start-up of the dk process"). Before any other constructor: big
// blocks come from the heap rather than each from an mmap of its own, the heap grows and
// shrinks in steps of 64 MiB of address space (nothing is resident until touched), one block
// that is never used fills the heap up to its first 2 MiB boundary, and from there the
// reserve is marked MADV_HUGEPAGE (this machine's THP mode is "madvise"). Where THP is off,
// nothing changes but the mallopt settings.
// Never freed: the heap below its first 2 MiB boundary (volatile: GCC drops a malloc whose
// block nobody reads).
void* volatile g_heap_filler = nullptr;
__attribute__((constructor(101))) void heap_on_huge_pages() {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  constexpr int kReserve = 64 << 20;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, kReserve);
  mallopt(M_TRIM_THRESHOLD, 2 * kReserve);
  // Where the heap's free top starts, and the boundary after it.
  void* probe = malloc(16);
  if (probe == nullptr) return;
  const auto at = reinterpret_cast<uintptr_t>(probe);
  const uintptr_t lo = (at + kHuge - 1) & ~(kHuge - 1);
  free(probe);
  // The filler starts right after the probe's chunk (the top's start) and ends 64 bytes
  // short of the boundary, so that malloc's header of the free top lies below it: a page
  // touched before the madvise would keep its 2 MiB range on small pages.
  if (lo - at > 4096) g_heap_filler = malloc(lo - at - 32 - 64);
  const auto hi = reinterpret_cast<uintptr_t>(sbrk(0)) & ~(kHuge - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

}  // namespace

int& dk::cli::exit_status() {
  static int status = 0;
  return status;
}

int main(int argc, char** argv) {
  CLI::App app{"dk: run, record, replay and test Drawbridge-style picoprocesses"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dk 0.1.0 (Dk ABI 1.0)");
  // The verbs, in the order `dk --help` lists them. Only the verb the command line names is
  // built (CLI11 builds every option and validator of a verb as objects); without one
  // (`dk`, `dk --help`, `dk --version`, a misspelt verb) all of them are, for the help text
  // and the lists of verbs in the error lines.
  struct Verb {
    const char* names[2];
    void (*add)(CLI::App&);
  };
  static const Verb kVerbs[] = {
      {{"run"}, dk::cli::add_run_command},
      {{"profile"}, dk::cli::add_profile_command},
      {{"perf"}, dk::cli::add_perf_command},
      {{"trace"}, dk::cli::add_trace_command},
      {{"conform"}, dk::cli::add_conform_command},
#ifdef DK_HAVE_MONITOR_CLI
      {{"manifest"}, dk::cli::add_manifest_command},
      {{"pkg"}, dk::cli::add_pkg_command},
#endif
#ifdef DK_HAVE_RECORD_CLI
      {{"record", "replay"}, dk::cli::add_record_commands},
#endif
#ifdef DK_HAVE_ESCAPE_CLI
      {{"escape"}, dk::cli::add_escape_command},
      {{"report"}, dk::cli::add_report_command},
#endif
#ifdef DK_HAVE_BENCH_CLI
      {{"bench"}, dk::cli::add_bench_command},
#endif
  };
  const Verb* named = nullptr;
  for (const Verb& v : kVerbs)
    for (const char* name : v.names)
      if (argc > 1 && name != nullptr && strcmp(argv[1], name) == 0) named = &v;
  for (const Verb& v : kVerbs)
    if (named == nullptr || named == &v) v.add(app);
  if (std::optional<std::string> problem = verb_problem(app, argc, argv)) {
    fprintf(stderr, "dk: %s\n", problem->c_str());
    return 2;
  }
  // `dk run|record|profile ... -- ARGS`: the words after the first `--` go to the run as they are
  // (run_command.h, args_after_dashes); CLI11 reads the rest.
  std::vector<char*> words(argv, argv + argc);
  if (argc > 2 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "record") == 0 ||
                   strcmp(argv[1], "profile") == 0)) {
    for (int i = 2; i < argc; ++i)
      if (strcmp(argv[i], "--") == 0) {
        dk::cli::args_after_dashes().assign(argv + i + 1, argv + argc);
        words.resize(static_cast<size_t>(i));
        break;
      }
  }
  try {
    app.parse(static_cast<int>(words.size()), words.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // One clear line, not CLI11's full help text.
      const std::string verb = verb_path(app);
      fprintf(stderr, "dk: %s%s (see dk %s%s--help)\n", verb.empty() ? "" : (verb + ": ").c_str(),
              parse_problem(e).c_str(), verb.c_str(), verb.empty() ? "" : " ");
      return 2;
    }
    return app.exit(e);
  } catch (const dk::cli::Exit& e) {
    return e.status;
  } catch (const std::exception& e) {
    // A verb's own checks say what is wrong; anything that slips past them is still one line.
    const std::string verb = verb_path(app);
    fflush(stdout);
    fprintf(stderr, "dk: %s%s\n", verb.empty() ? "" : (verb + ": ").c_str(), e.what());
    return 2;
  }
  return dk::cli::exit_status();
}
