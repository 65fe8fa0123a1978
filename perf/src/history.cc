// The performance history in SQLite (dk/perf/history.h).
#include "dk/perf/history.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

namespace dk::perf {
namespace {

namespace fs = std::filesystem;

constexpr const char* kApplication = "dk performance history";

// A prepared statement, finalized on every path.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) fail();
  }
  ~Statement() { sqlite3_finalize(st_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, const std::string& s) {
    if (sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT) != SQLITE_OK) fail();
  }
  void bind(int i, int64_t v) {
    if (sqlite3_bind_int64(st_, i, v) != SQLITE_OK) fail();
  }
  void bind(int i, double v) {
    if (sqlite3_bind_double(st_, i, v) != SQLITE_OK) fail();
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail();
  }
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(st_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }
  double real(int col) const { return sqlite3_column_double(st_, col); }

 private:
  [[noreturn]] void fail() const { throw HistoryError(path_ + ": " + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* st_ = nullptr;
};

Better better_of(int64_t v) {
  return v < 0 ? Better::Lower : v > 0 ? Better::Higher : Better::Unknown;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string read_small(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  std::string s(256, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  return trim(s);
}

bool is_hex_id(const std::string& s) {
  if (s.size() != 40 && s.size() != 64) return false;
  for (const char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The git folder of the repository holding `dir`: a .git folder, or the folder a .git file
// names (worktrees, submodules).
std::optional<fs::path> git_dir(fs::path dir) {
  std::error_code ec;
  for (; !dir.empty(); dir = dir.parent_path()) {
    const fs::path g = dir / ".git";
    if (fs::is_directory(g, ec)) return g;
    if (fs::is_regular_file(g, ec)) {
      const std::string s = read_small(g);
      if (s.rfind("gitdir: ", 0) == 0) {
        fs::path p = s.substr(8);
        return p.is_absolute() ? p : dir / p;
      }
    }
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

// A ref's commit: its loose file, else its line in packed-refs (of the common folder too).
std::string ref_commit(const fs::path& git, const std::string& ref) {
  std::vector<fs::path> dirs = {git};
  const std::string common = read_small(git / "commondir");
  if (!common.empty()) dirs.push_back(fs::path(common).is_absolute() ? fs::path(common) : git / common);
  for (const fs::path& d : dirs) {
    const std::string loose = read_small(d / ref);
    if (is_hex_id(loose)) return loose;
    std::ifstream packed(d / "packed-refs");
    for (std::string line; std::getline(packed, line);) {
      if (line.size() > 41 && line[40] == ' ' && line.substr(41) == ref && is_hex_id(line.substr(0, 40)))
        return line.substr(0, 40);
    }
  }
  return "";
}

}  // namespace

History::History(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "cannot open";
    sqlite3_close(db_);
    db_ = nullptr;
    throw HistoryError(path + ": " + why);
  }
  sqlite3_busy_timeout(db_, 30000);  // shards appending to one file wait their turn
  try {
    Statement v(db_, path_, "PRAGMA user_version");
    v.step();
    const int64_t layout = v.integer(0);
    Statement t(db_, path_, "SELECT count(*) FROM sqlite_master");
    t.step();
    const int64_t tables = t.integer(0);
    if (tables == 0 && layout == 0) {
      exec("BEGIN IMMEDIATE;"
           "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
           "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, commit_id TEXT NOT NULL,"
           " machine TEXT NOT NULL, date TEXT NOT NULL, source TEXT NOT NULL, label TEXT NOT NULL);"
           "CREATE TABLE IF NOT EXISTS figures(run INTEGER NOT NULL REFERENCES runs(id),"
           " benchmark TEXT NOT NULL, figure TEXT NOT NULL, value REAL NOT NULL,"
           " exact INTEGER NOT NULL, better INTEGER NOT NULL);"
           "CREATE INDEX IF NOT EXISTS figures_by_run ON figures(run);"
           "CREATE INDEX IF NOT EXISTS runs_by_commit ON runs(commit_id);"
           "INSERT OR IGNORE INTO meta VALUES('application', 'dk performance history');"
           "PRAGMA user_version = 1;"
           "COMMIT;");
      return;
    }
    if (layout > kLayout)
      throw HistoryError(path + ": written by a later dk (layout " + std::to_string(layout) +
                         "; this one reads " + std::to_string(kLayout) + ")");
    const std::string foreign = path + ": a SQLite file, but not a Dk performance history";
    Statement meta(db_, path_, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    meta.step();
    if (layout != kLayout || meta.integer(0) != 1) throw HistoryError(foreign);
    Statement app(db_, path_, "SELECT value FROM meta WHERE key = 'application'");
    if (!app.step() || app.text(0) != kApplication) throw HistoryError(foreign);
  } catch (const HistoryError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    const std::string what = e.what();
    // SQLite's own words for a file that is not a database.
    if (what.find("file is not a database") != std::string::npos)
      throw HistoryError(path + ": not a Dk performance history (not a SQLite file)");
    throw;
  }
}

History::~History() { sqlite3_close(db_); }

void History::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw HistoryError(path_ + ": " + why);
  }
}

int64_t History::append(RunRecord run) {
  if (run.date.empty()) run.date = utc_now();
  exec("BEGIN IMMEDIATE");
  try {
    Statement r(db_, path_, "INSERT INTO runs(commit_id, machine, date, source, label) VALUES(?,?,?,?,?)");
    r.bind(1, run.commit);
    r.bind(2, run.machine);
    r.bind(3, run.date);
    r.bind(4, run.source);
    r.bind(5, run.label);
    r.step();
    const int64_t id = sqlite3_last_insert_rowid(db_);
    Statement f(db_, path_, "INSERT INTO figures VALUES(?,?,?,?,?,?)");
    for (const FigureValue& v : run.figures) {
      f.reset();
      f.bind(1, id);
      f.bind(2, v.benchmark);
      f.bind(3, v.figure);
      f.bind(4, v.value);
      f.bind(5, int64_t{v.exact ? 1 : 0});
      f.bind(6, int64_t{static_cast<int>(v.better)});
      f.step();
    }
    exec("COMMIT");
    return id;
  } catch (const HistoryError&) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<RunRecord> History::runs() const {
  Statement s(db_, path_, "SELECT id, commit_id, machine, date, source, label FROM runs ORDER BY id");
  std::vector<RunRecord> out;
  while (s.step()) {
    RunRecord r;
    r.id = s.integer(0);
    r.commit = s.text(1);
    r.machine = s.text(2);
    r.date = s.text(3);
    r.source = s.text(4);
    r.label = s.text(5);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {
std::vector<FigureValue> read_figures(Statement& s) {
  std::vector<FigureValue> out;
  while (s.step()) {
    FigureValue v;
    v.benchmark = s.text(0);
    v.figure = s.text(1);
    v.value = s.real(2);
    v.exact = s.integer(3) != 0;
    v.better = better_of(s.integer(4));
    out.push_back(std::move(v));
  }
  return out;
}
}  // namespace

std::vector<FigureValue> History::figures_of(const std::string& commit, const std::string& machine) const {
  Statement s(db_, path_,
              "SELECT f.benchmark, f.figure, f.value, f.exact, f.better FROM figures f"
              " JOIN runs r ON r.id = f.run WHERE r.commit_id = ?1 AND (?2 = '' OR r.machine = ?2)"
              " ORDER BY f.run, f.rowid");
  s.bind(1, commit);
  s.bind(2, machine);
  return read_figures(s);
}

std::vector<FigureValue> History::figures_of_run(int64_t id) const {
  Statement s(db_, path_,
              "SELECT benchmark, figure, value, exact, better FROM figures WHERE run = ? ORDER BY rowid");
  s.bind(1, id);
  return read_figures(s);
}

std::string History::resolve(const std::string& prefix) const {
  if (prefix.empty()) throw HistoryError(path_ + ": an empty commit names nothing");
  Statement s(db_, path_, "SELECT DISTINCT commit_id FROM runs WHERE substr(commit_id, 1, length(?1)) = ?1");
  s.bind(1, prefix);
  std::set<std::string> found;
  while (s.step()) found.insert(s.text(0));
  if (found.count(prefix)) return prefix;
  if (found.empty()) throw HistoryError(path_ + ": no run of commit " + prefix);
  if (found.size() > 1) {
    std::string list;
    for (const auto& c : found) list += (list.empty() ? "" : ", ") + c;
    throw HistoryError(path_ + ": commit " + prefix + " is ambiguous: " + list);
  }
  return *found.begin();
}

std::string current_commit() {
  if (const char* env = std::getenv("DK_COMMIT"); env && *env) return env;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return "unknown";
  const std::optional<fs::path> git = git_dir(cwd);
  if (!git) return "unknown";
  const std::string head = read_small(*git / "HEAD");
  if (is_hex_id(head)) return head;  // detached
  if (head.rfind("ref: ", 0) == 0) {
    const std::string c = ref_commit(*git, head.substr(5));
    if (!c.empty()) return c;
  }
  return "unknown";
}

std::string machine_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "unknown";
  return buf;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace dk::perf
