#include "dk/monitor/namespace.h"

#include <set>
#include <stdexcept>

namespace dk {
namespace {

Uri parse_policy(const std::string& text) {
  Uri u;
  std::string why;
  if (parse_uri(text, UriRole::Policy, u, &why) != 0)
    throw std::invalid_argument("bad URI '" + text + "': " + why);
  if (u.scheme == UriScheme::Dir) u.scheme = UriScheme::File;
  return u;
}

dk_status_t refuse(Resolved& out, dk_status_t st, std::string why) {
  out.reason = std::move(why);
  return st;
}

std::string join(const std::string& base, const std::string& rel) {
  if (rel.empty()) return base;
  return base == "/" ? "/" + rel : base + "/" + rel;
}

}  // namespace

Namespace Namespace::for_manifest(const Manifest& m) {
  Namespace ns;
  ns.add(m.mappings);
  if (m.app) {
    std::set<std::string> have;
    for (const Mapping& mp : ns.mappings_) have.insert(mp.virtual_uri);
    const std::string* stdio[] = {&m.app->stdin_uri, &m.app->stdout_uri, &m.app->stderr_uri};
    for (int i = 0; i < 3; ++i) {
      const std::string& u = *stdio[i];
      if (u.rfind("dev:", 0) != 0) continue;
      if (have.insert(u).second)
        ns.add(Mapping{u, u, i != 0, 0});
      else if (i != 0) {
        for (Rule& r : ns.rules_)
          if (r.virt.str() == u) r.writable = true;
      }
    }
  }
  return ns;
}

void Namespace::add(const Mapping& m) {
  Rule r{parse_policy(m.virtual_uri), parse_policy(m.physical_uri), m.writable};
  switch (r.virt.kind()) {
    case UriKind::Path:
      if (r.virt.scheme != UriScheme::File)
        throw std::invalid_argument("mapping key must be a file: path");
      if (r.phys.kind() != UriKind::Path)
        throw std::invalid_argument("a path maps to file:, tmpfs: or package:");
      if (r.phys.scheme == UriScheme::Package && r.writable)
        throw std::invalid_argument("package files cannot be mapped writable");
      break;
    case UriKind::Name:
    case UriKind::Net:
      if (r.phys.scheme != r.virt.scheme || r.phys.bare != r.virt.bare)
        throw std::invalid_argument("mapping " + m.virtual_uri + " -> " + m.physical_uri +
                                    ": kinds differ");
      break;
    case UriKind::Device:
      if (r.phys.kind() != UriKind::Device)
        throw std::invalid_argument("a device maps to a device");
      break;
    case UriKind::Self:
      throw std::invalid_argument("self: cannot be mapped");
  }
  std::string key = r.virt.str();
  for (const Rule& o : rules_)
    if (o.virt.str() == key) throw std::invalid_argument("'" + key + "' is mapped twice");
  rules_.push_back(r);
  mappings_.push_back(Mapping{key, r.phys.str(), m.writable, m.line});
}

dk_status_t Namespace::resolve(std::string_view virtual_uri, Access access, Resolved& out) const {
  out = Resolved{};
  std::string why;
  Uri u;
  if (dk_status_t st = parse_uri(virtual_uri, UriRole::Guest, u, &why); st != 0)
    return refuse(out, st, why);
  return resolve(u, access, out);
}

dk_status_t Namespace::resolve(const Uri& u, Access access, Resolved& out) const {
  out = Resolved{};
  out.uri = u;
  const bool write = access == Access::Write;
  const std::string v = u.str();

  switch (u.kind()) {
    case UriKind::Self:
      out.target = Resolved::Target::Self;
      out.physical = "self:";
      if (write) return refuse(out, -DK_E_ACCESS, "self: is read-only");
      return 0;

    case UriKind::Path: {
      if (u.scheme == UriScheme::Package) {
        out.target = Resolved::Target::Package;
        out.base = "/";
        out.rel = u.path.substr(1);
        out.physical = "package:" + u.path;
        if (write) return refuse(out, -DK_E_ACCESS, v + ": package files are read-only");
        return 0;
      }
      const Rule* best = nullptr;
      for (const Rule& r : rules_) {
        if (r.virt.kind() != UriKind::Path || !path_within(u.path, r.virt.path)) continue;
        if (!best || r.virt.path.size() > best->virt.path.size()) best = &r;
      }
      if (!best) {
        // Not mapped: the package union, read-only.
        out.target = Resolved::Target::Package;
        out.base = "/";
        out.rel = u.path.substr(1);
        out.physical = "package:" + u.path;
        if (write) return refuse(out, -DK_E_ACCESS, v + ": not beneath a writable mapping");
        return 0;
      }
      out.mount = best->virt.str();
      out.writable = best->writable;
      out.rel = u.path.size() == best->virt.path.size()
                    ? ""
                    : u.path.substr(best->virt.path == "/" ? 1 : best->virt.path.size() + 1);
      out.base = best->phys.path;
      switch (best->phys.scheme) {
        case UriScheme::Tmpfs:
          out.target = Resolved::Target::Tmpfs;
          break;
        case UriScheme::Package:
          out.target = Resolved::Target::Package;
          break;
        default:
          out.target = Resolved::Target::HostFolder;
          break;
      }
      if (out.target == Resolved::Target::Package) {
        std::string p = join(out.base, out.rel);
        out.base = "/";
        out.rel = p.substr(1);
      }
      out.physical = std::string(scheme_name(best->phys.scheme)) + ":" + join(out.base, out.rel);
      if (write && !best->writable)
        return refuse(out, -DK_E_ACCESS, v + ": mapping " + out.mount + " is read-only");
      return 0;
    }

    case UriKind::Device: {
      out.target = Resolved::Target::Device;
      if (u.path == "null" || u.path == "zero") {
        out.physical = v;
        out.writable = true;
        return 0;
      }
      for (const Rule& r : rules_) {
        if (r.virt.kind() == UriKind::Device && r.virt.path == u.path) {
          out.mount = v;
          out.physical = r.phys.str();
          out.writable = r.writable;
          if (write && !r.writable) return refuse(out, -DK_E_ACCESS, v + " is mapped read-only");
          return 0;
        }
      }
      return refuse(out, -DK_E_ACCESS, v + " is not granted");
    }

    case UriKind::Name:
    case UriKind::Net: {
      out.target = u.kind() == UriKind::Name ? Resolved::Target::Pipe : Resolved::Target::Network;
      const Rule* exact = nullptr;
      const Rule* bare = nullptr;
      for (const Rule& r : rules_) {
        if (r.virt.scheme != u.scheme) continue;
        if (r.virt.bare)
          bare = &r;
        else if (r.virt.path == u.path && r.virt.host == u.host && r.virt.port == u.port)
          exact = &r;
      }
      const Rule* use = exact ? exact : bare;
      if (!use) return refuse(out, -DK_E_ACCESS, v + " is not granted");
      out.mount = use->virt.str();
      out.writable = use->writable;
      out.physical = exact ? exact->phys.str() : v;
      if (write && !use->writable) return refuse(out, -DK_E_ACCESS, v + " is granted read-only");
      return 0;
    }
  }
  return refuse(out, -DK_E_ACCESS, v + " is not granted");
}

std::vector<std::string> Namespace::mounts_beneath(std::string_view virtual_dir) const {
  Uri d;
  std::vector<std::string> names;
  if (parse_uri(virtual_dir, UriRole::Guest, d) != 0 || d.kind() != UriKind::Path) return names;
  std::set<std::string> seen;
  for (const Rule& r : rules_) {
    if (r.virt.kind() != UriKind::Path || r.virt.path == d.path ||
        !path_within(r.virt.path, d.path))
      continue;
    std::string rest = r.virt.path.substr(d.path == "/" ? 1 : d.path.size() + 1);
    std::string first = rest.substr(0, rest.find('/'));
    if (seen.insert(first).second) names.push_back(first);
  }
  return names;
}

}  // namespace dk
