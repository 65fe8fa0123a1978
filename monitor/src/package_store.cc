#include "dk/monitor/package_store.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>

namespace dk {
namespace {

namespace fs = std::filesystem;

bool arch_fits(const std::string& want, const std::string& have) {
  return want == "any" || have == "any" || want == have;
}

// One requirement met while walking the closure.
struct Need {
  std::string name;
  VersionConstraint constraint;
  std::string by;  // chain of the package that needs it
};

class Solver {
 public:
  Solver(const PackageStore& store, std::shared_ptr<const Package> root)
      : store_(store), root_(std::move(root)) {}

  Closure solve() {
    chosen_[root_->id().name] = {root_, root_->label()};
    order_.push_back(root_->id().name);
    add_needs(*root_, root_->label());
    if (!search(0))
      throw PackageError(failure_.empty() ? "dependency resolution failed" : failure_);
    return build();
  }

 private:
  struct Choice {
    std::shared_ptr<const Package> pkg;
    std::string chain;
  };

  void add_needs(const Package& p, const std::string& chain) {
    for (const Dependency& d : p.manifest().dependencies)
      needs_.push_back({d.name, d.constraint, chain});
  }

  void note_failure(size_t depth, std::string why) {
    if (failure_.empty() || depth >= failure_depth_) {
      failure_ = std::move(why);
      failure_depth_ = depth;
    }
  }

  std::string needs_on(const std::string& name, size_t upto) const {
    std::string s;
    for (size_t i = 0; i <= upto && i < needs_.size(); ++i)
      if (needs_[i].name == name)
        s += "\n  " + needs_[i].by + " needs " + name + " " + needs_[i].constraint.str();
    return s;
  }

  bool search(size_t i) {
    if (++steps_ > 100000) {
      failure_ = "dependency resolution gave up after 100000 steps";
      return false;
    }
    if (i == needs_.size()) return true;
    const Need need = needs_[i];
    if (auto it = chosen_.find(need.name); it != chosen_.end()) {
      const Package& have = *it->second.pkg;
      if (need.constraint.allows(have.id().version)) return search(i + 1);
      note_failure(i, "conflicting requirements on '" + need.name + "': " + it->second.chain +
                          " is chosen, but" + needs_on(need.name, i));
      return false;
    }
    auto all = store_.versions(need.name);
    if (all.empty()) {
      note_failure(i, "missing dependency: " + need.by + " needs " + need.name + " " +
                          need.constraint.str() +
                          ", and no package of that name is in the search path");
      return false;
    }
    std::vector<std::shared_ptr<const Package>> fit;
    for (const auto& p : all) {
      bool ok = arch_fits(root_->id().arch, p->id().arch);
      for (size_t j = 0; ok && j <= i; ++j)
        if (needs_[j].name == need.name) ok = needs_[j].constraint.allows(p->id().version);
      if (ok) fit.push_back(p);
    }
    if (fit.empty()) {
      std::string avail;
      for (const auto& p : all)
        avail += (avail.empty() ? "" : ", ") + p->id().version.str() + " (" + p->id().arch + ")";
      note_failure(i, "no version of '" + need.name + "' satisfies every requirement:" +
                          needs_on(need.name, i) + "\n  available: " + avail);
      return false;
    }
    for (const auto& p : fit) {
      std::string chain = need.by + " -> " + p->label();
      size_t mark = needs_.size();
      chosen_[need.name] = {p, chain};
      order_.push_back(need.name);
      add_needs(*p, chain);
      if (search(i + 1)) return true;
      needs_.resize(mark);
      order_.pop_back();
      chosen_.erase(need.name);
    }
    return false;
  }

  Closure build() const {
    Closure c;
    std::map<std::string, size_t> index;
    for (const std::string& name : order_) {
      index[name] = c.nodes.size();
      c.nodes.push_back({chosen_.at(name).pkg, chosen_.at(name).chain, {}});
    }
    for (ClosureNode& n : c.nodes)
      for (const Dependency& d : n.package->manifest().dependencies)
        n.depends_on.push_back(index.at(d.name));
    // A cycle among the chosen packages is refused, naming it.
    std::vector<int> state(c.nodes.size(), 0);
    std::vector<size_t> stack;
    std::function<void(size_t)> visit = [&](size_t v) {
      state[v] = 1;
      stack.push_back(v);
      for (size_t w : c.nodes[v].depends_on) {
        if (state[w] == 1) {
          std::string s;
          auto from = std::find(stack.begin(), stack.end(), w);
          for (auto it = from; it != stack.end(); ++it) s += c.nodes[*it].package->label() + " -> ";
          throw PackageError("dependency cycle: " + s + c.nodes[w].package->label());
        }
        if (state[w] == 0) visit(w);
      }
      stack.pop_back();
      state[v] = 2;
    };
    visit(0);
    return c;
  }

  const PackageStore& store_;
  std::shared_ptr<const Package> root_;
  std::map<std::string, Choice> chosen_;
  std::vector<std::string> order_;
  std::vector<Need> needs_;
  std::string failure_;
  size_t failure_depth_ = 0;
  size_t steps_ = 0;
};

}  // namespace

PackageStore::PackageStore(std::vector<fs::path> search_path)
    : search_path_(std::move(search_path)) {
  std::set<std::pair<std::string, std::string>> seen;
  auto consider = [&](const fs::path& p) {
    std::shared_ptr<const Package> pkg;
    try {
      pkg = Package::open(p);
    } catch (const std::exception& e) {
      warnings_.push_back(std::string("skipped: ") + e.what());
      return;
    }
    auto key = std::make_pair(pkg->id().name, pkg->id().version.str());
    if (!seen.insert(key).second) {
      warnings_.push_back(p.string() + ": " + pkg->label() +
                          " is shadowed by an earlier entry of the search path");
      return;
    }
    available_.push_back(pkg);
    by_name_[pkg->id().name].push_back(pkg);
  };
  for (const fs::path& dir : search_path_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (fs::is_regular_file(dir, ec)) consider(dir);
      continue;
    }
    if (fs::exists(dir / "manifest.yaml", ec) || fs::exists(dir / "manifest.ini", ec)) {
      consider(dir);
      continue;
    }
    std::vector<fs::path> entries;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const fs::path& p = it->path();
      if (it->is_directory(ec) &&
          (fs::exists(p / "manifest.yaml", ec) || fs::exists(p / "manifest.ini", ec)))
        entries.push_back(p);
      else if (it->is_regular_file(ec) && p.extension() == ".dkpkg")
        entries.push_back(p);
    }
    std::sort(entries.begin(), entries.end());
    for (const fs::path& p : entries) consider(p);
  }
  for (auto& [name, list] : by_name_)
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a->id().version > b->id().version;
    });
}

namespace {

void append_colon_list(std::string_view s, std::vector<fs::path>& out) {
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(':', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
}

}  // namespace

std::vector<fs::path> PackageStore::search_path_for(const fs::path& target,
                                                    const std::vector<std::string>& entries) {
  std::vector<fs::path> out;
  out.push_back(fs::absolute(target).parent_path());
  if (entries.empty()) {
    for (auto& p : default_search_path()) out.push_back(std::move(p));
  } else {
    for (const auto& e : entries) append_colon_list(e, out);
  }
  return out;
}

std::vector<fs::path> PackageStore::default_search_path() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("DK_PKG_PATH"); env && *env) append_colon_list(env, out);
  out.emplace_back("examples");
  if (const char* home = std::getenv("HOME"); home && *home)
    out.push_back(fs::path(home) / ".local/share/dk/packages");
  return out;
}

std::vector<std::shared_ptr<const Package>> PackageStore::versions(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? std::vector<std::shared_ptr<const Package>>{} : it->second;
}

Closure PackageStore::resolve(std::shared_ptr<const Package> root) const {
  return Solver(*this, std::move(root)).solve();
}

}  // namespace dk
