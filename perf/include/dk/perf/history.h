// A history of performance results: one SQLite file (Debian's libsqlite3) that `dk profile`
// and `dk bench` append to, run after run, and `dk perf compare|log|plot` read. A run is one
// row (commit, machine, date, source, label); its figures are rows of their own (benchmark,
// figure, value, exact, better), several for one figure when it was measured repeatedly.
// Layout: docs/formats.md, "Performance history". Files from elsewhere are checked: a file
// that is not a Dk history, or one of a later layout, is refused with a HistoryError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace dk::perf {

struct HistoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Which way a figure is better: lower (times, counts of work), higher (rates), or not known.
enum class Better : int { Unknown = 0, Lower = -1, Higher = 1 };

struct FigureValue {
  std::string benchmark;  // "profile hello seed=0", "BM_NullDowncall/1000", ...
  std::string figure;     // "instructions", "real_time_ns", a counter's name, ...
  double value = 0;
  bool exact = false;     // a count that is the same on every run: compared exactly
  Better better = Better::Unknown;
};

struct RunRecord {
  int64_t id = 0;       // given by append()
  std::string commit;   // the commit the figures are of (current_commit())
  std::string machine;  // where they were measured (machine_name())
  std::string date;     // UTC, ISO 8601 ("2026-12-07T16:20:00Z"); append() sets it when empty
  std::string source;   // "profile", "bench"
  std::string label;    // what was run, for people: the command's target or filter
  std::vector<FigureValue> figures;
};

class History {
 public:
  // Opens `path`, creating it (and its tables) when it does not exist. Throws HistoryError.
  explicit History(const std::string& path);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Appends one run and its figures, in one transaction: all of it or nothing. Returns the
  // run's id.
  int64_t append(RunRecord run);
  // Every run, oldest first, without figures (ids, commits, machines, dates, sources, labels).
  std::vector<RunRecord> runs() const;
  // The figures of the runs of `commit` (exactly that commit), on `machine` unless empty.
  std::vector<FigureValue> figures_of(const std::string& commit, const std::string& machine) const;
  // The figures of one run.
  std::vector<FigureValue> figures_of_run(int64_t id) const;
  // The commit a prefix names: the one commit of the history that starts with it. Throws
  // HistoryError when none or several do (naming them).
  std::string resolve(const std::string& prefix) const;

  static constexpr int kLayout = 1;  // PRAGMA user_version of the files this build writes

 private:
  void exec(const char* sql) const;
  std::string path_;
  sqlite3* db_ = nullptr;
};

// The commit of the working tree dk was started in: $DK_COMMIT when set, else HEAD of the
// git repository holding the current folder (read from .git, no git process), else
// "unknown".
std::string current_commit();
// This machine's name (gethostname), "unknown" when it has none.
std::string machine_name();
// Now, as History's dates are written.
std::string utc_now();

}  // namespace dk::perf
