#include "dk/monitor/package_union.h"

namespace dk {

std::string PackageUnion::key(std::string_view path) {
  std::string k;
  if (path.empty() || path[0] != '/') k = "/";
  k += path;
  while (k.size() > 1 && k.back() == '/') k.pop_back();
  return k;
}

PackageUnion::PackageUnion(Closure closure) : closure_(std::move(closure)) {
  dirs_.insert("/");
  for (size_t i = 0; i < closure_.nodes.size(); ++i) {
    const Package& pkg = *closure_.nodes[i].package;
    for (const PackageFile& f : pkg.files()) {
      const std::string& p = f.path;
      auto conflict = [&](size_t winner, std::string why) {
        conflicts_.push_back(
            {p, closure_.nodes[winner].package->label(), pkg.label(), std::move(why)});
      };
      if (auto it = files_.find(p); it != files_.end()) {
        conflict(it->second.package, "both have the file");
        continue;
      }
      if (dirs_.count(p)) {
        // Some earlier package has a folder here; find which, for the report.
        auto it = files_.lower_bound(p + "/");
        conflict(it != files_.end() ? it->second.package : 0,
                 "a file where a higher package has a folder");
        continue;
      }
      bool shadowed = false;
      for (size_t s = p.find('/', 1); s != std::string::npos; s = p.find('/', s + 1)) {
        if (auto it = files_.find(p.substr(0, s)); it != files_.end()) {
          conflict(it->second.package, "a folder where a higher package has a file");
          shadowed = true;
          break;
        }
      }
      if (shadowed) continue;
      files_[p] = UnionEntry{p, i, &f};
      for (size_t s = p.find('/', 1); s != std::string::npos; s = p.find('/', s + 1))
        dirs_.insert(p.substr(0, s));
    }
  }
}

const UnionEntry* PackageUnion::find(std::string_view path) const {
  auto it = files_.find(key(path));
  return it == files_.end() ? nullptr : &it->second;
}

bool PackageUnion::is_dir(std::string_view path) const {
  return dirs_.count(key(path)) != 0;
}

dk_status_t PackageUnion::list(std::string_view dir, std::vector<std::string>& names) const {
  names.clear();
  std::string d = key(dir);
  if (files_.count(d)) return -DK_E_NOTDIR;
  if (!dirs_.count(d)) return -DK_E_NOENT;
  std::string prefix = d == "/" ? "/" : d + "/";
  std::set<std::string> out;
  for (auto it = files_.lower_bound(prefix);
       it != files_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    std::string rest = it->first.substr(prefix.size());
    out.insert(rest.substr(0, rest.find('/')));
  }
  names.assign(out.begin(), out.end());
  return 0;
}

dk_status_t PackageUnion::read(std::string_view path, std::string& out) const {
  const UnionEntry* e = find(path);
  if (!e) return is_dir(path) ? -DK_E_ISDIR : -DK_E_NOENT;
  try {
    out = closure_.nodes[e->package].package->read(e->path);
  } catch (const std::exception&) {
    return -DK_E_NOENT;  // the folder changed under us
  }
  return 0;
}

std::optional<std::filesystem::path> PackageUnion::host_file(std::string_view path) const {
  const UnionEntry* e = find(path);
  if (!e) return std::nullopt;
  return closure_.nodes[e->package].package->host_file(e->path);
}

}  // namespace dk
