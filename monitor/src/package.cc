#include "dk/monitor/package.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dk {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw PackageError(p.string() + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::shared_ptr<const Package> Package::open(const fs::path& location) {
  auto pkg = std::make_shared<Package>();
  pkg->location_ = location;
  std::error_code ec;
  auto st = fs::status(location, ec);
  if (ec || !fs::exists(st)) throw PackageError(location.string() + ": no such package");
  if (fs::is_regular_file(st)) {
    auto a = std::make_shared<Archive>(Archive::open(location));
    pkg->archive_ = a;
    pkg->manifest_text_ = std::string(a->manifest_text());
    std::string name =
        location.string() + (a->manifest_is_ini() ? ":manifest.ini" : ":manifest.yaml");
    pkg->manifest_ = a->manifest_is_ini() ? parse_manifest_ini(pkg->manifest_text_, name)
                                          : parse_manifest_yaml(pkg->manifest_text_, name);
    for (const ArchiveEntry& e : a->entries())
      pkg->files_.push_back({e.path, e.size, (e.mode & 0111) != 0});
  } else if (fs::is_directory(st)) {
    fs::path yaml = location / "manifest.yaml", ini = location / "manifest.ini";
    bool has_yaml = fs::exists(yaml), has_ini = fs::exists(ini);
    if (has_yaml && has_ini)
      throw PackageError(location.string() + ": both manifest.yaml and manifest.ini");
    if (!has_yaml && !has_ini)
      throw PackageError(location.string() + ": no manifest.yaml or manifest.ini");
    fs::path mp = has_yaml ? yaml : ini;
    pkg->manifest_text_ = read_file(mp);
    pkg->manifest_ = has_yaml ? parse_manifest_yaml(pkg->manifest_text_, mp.string())
                              : parse_manifest_ini(pkg->manifest_text_, mp.string());
    for (auto it = fs::recursive_directory_iterator(location, fs::directory_options::none, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::path rel = it->path().lexically_relative(location);
      std::string vpath = "/" + rel.generic_string();
      auto s = it->symlink_status();
      if (fs::is_symlink(s)) {
        pkg->warnings_.push_back(vpath + ": symlink skipped (packages hold regular files only)");
        continue;
      }
      if (fs::is_directory(s)) continue;
      if (!fs::is_regular_file(s)) {
        pkg->warnings_.push_back(vpath + ": special file skipped");
        continue;
      }
      if (it.depth() == 0 && (rel == "manifest.yaml" || rel == "manifest.ini")) continue;
      bool exec = (s.permissions() & (fs::perms::owner_exec | fs::perms::group_exec |
                                      fs::perms::others_exec)) != fs::perms::none;
      pkg->files_.push_back({vpath, static_cast<uint64_t>(it->file_size()), exec});
    }
    if (ec) throw PackageError(location.string() + ": cannot list: " + ec.message());
    std::sort(pkg->files_.begin(), pkg->files_.end(),
              [](const PackageFile& a, const PackageFile& b) { return a.path < b.path; });
  } else {
    throw PackageError(location.string() + ": neither a folder nor a .dkpkg file");
  }
  if (!pkg->manifest_.package)
    throw PackageError(pkg->manifest_.file + ": a package manifest needs a package identity");
  return pkg;
}

const PackageFile* Package::find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const PackageFile& f, std::string_view p) { return f.path < p; });
  return it != files_.end() && it->path == path ? &*it : nullptr;
}

std::string Package::read(std::string_view path) const {
  if (!find(path)) throw PackageError(label() + ": no file " + std::string(path));
  if (archive_) return std::string(archive_->contents(*archive_->find(path)));
  return read_file(location_ / std::string(path.substr(1)));
}

std::optional<fs::path> Package::host_file(std::string_view path) const {
  if (archive_ || !find(path)) return std::nullopt;
  return location_ / std::string(path.substr(1));
}

void pack_package(const Package& pkg, const fs::path& out) {
  std::vector<ArchiveInput> files;
  for (const PackageFile& f : pkg.files())
    files.push_back({f.path, f.executable ? 0755u : 0644u, pkg.read(f.path)});
  std::string bytes = Archive::build(
      pkg.manifest_text(), pkg.manifest().format == ManifestFormat::Ini, std::move(files));
  fs::path tmp = out;
  tmp += ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    if (!o) throw PackageError(out.string() + ": cannot write");
    o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    o.close();
    if (!o) throw PackageError(out.string() + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw PackageError(out.string() + ": cannot write");
  }
}

void unpack_archive(const Archive& a, const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) throw PackageError(dir.string() + ": already exists");
  fs::create_directories(dir, ec);
  if (ec) throw PackageError(dir.string() + ": cannot create: " + ec.message());
  auto write = [&](const fs::path& p, std::string_view bytes, uint32_t mode) {
    fs::create_directories(p.parent_path(), ec);
    std::ofstream o(p, std::ios::binary | std::ios::trunc);
    o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!o) throw PackageError(p.string() + ": cannot write");
    o.close();
    ::chmod(p.c_str(), mode & 0777);
  };
  write(dir / (a.manifest_is_ini() ? "manifest.ini" : "manifest.yaml"), a.manifest_text(), 0644);
  for (const ArchiveEntry& e : a.entries()) {
    if (e.path == "/manifest.yaml" || e.path == "/manifest.ini")
      throw PackageError(a.name() + ": " + e.path + " would overwrite the manifest");
    write(dir / e.path.substr(1), a.contents(e), e.mode);
  }
}

}  // namespace dk
