#include "dk/monitor/launch.h"

#include <fcntl.h>
#include <unistd.h>

#include "dk/monitor/open_beneath.h"

namespace dk {

PackageLaunch prepare_launch(const std::filesystem::path& location,
                             const std::vector<std::filesystem::path>& search_path,
                             const Manifest* policy) {
  PackageLaunch l;
  l.package = Package::open(location);
  const Manifest& m = l.package->manifest();
  if (!m.app) throw PackageError(l.package->label() + ": the manifest has no app to run");
  PackageStore store(search_path);
  l.files = std::make_shared<const PackageUnion>(store.resolve(l.package));
  try {
    l.ns = Namespace::for_manifest(m);
    if (policy) l.ns.add(policy->mappings);
  } catch (const std::invalid_argument& e) {
    throw PackageError(l.package->label() + ": " + e.what());
  }
  l.limits = effective_limits(m.limits, m.limits_given);
  l.app = *m.app;
  if (l.app.args.empty()) l.app.args.push_back(m.package->name);
  l.exe_uri = l.app.exe;

  Resolved r;
  if (dk_status_t st = l.ns.resolve(l.exe_uri, Access::Read, r); st != 0)
    throw PackageError(l.package->label() + ": app.exe " + l.exe_uri + ": " + r.reason);
  std::string bytes;
  if (r.target == Resolved::Target::Package) {
    if (l.files->read(r.rel, bytes) != 0)
      throw PackageError(l.package->label() + ": app.exe " + l.exe_uri +
                         " is not in the package closure");
  } else if (r.target == Resolved::Target::HostFolder) {
    int root = ::open(r.base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = -1;
    if (root < 0 || open_beneath(root, r.rel, O_RDONLY, 0, fd) != 0) {
      if (root >= 0) ::close(root);
      throw PackageError(l.package->label() + ": app.exe " + l.exe_uri + " cannot be opened");
    }
    ::close(root);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (n < 0)
      throw PackageError(l.package->label() + ": app.exe " + l.exe_uri + " cannot be read");
  } else {
    throw PackageError(l.package->label() + ": app.exe " + l.exe_uri +
                       " is not a file in the package or a mapped folder");
  }
  l.image.assign(bytes.begin(), bytes.end());
  return l;
}

}  // namespace dk
