#include "dk/host_factory.h"

#include <filesystem>

#include "dk/monitor/folder_hash.h"

namespace dk {

std::string_view host_kind_name(HostKind k) { return k == HostKind::Native ? "native" : "sim"; }

bool parse_host_kind(std::string_view name, HostKind& out) {
  if (name == "sim") out = HostKind::Sim;
  else if (name == "native") out = HostKind::Native;
  else return false;
  return true;
}

namespace {

Namespace launch_namespace(const HostLaunch& l) {
  Namespace ns;
  if (l.ns) {
    ns = *l.ns;
  } else if (l.package) {
    ns = l.package->ns;
  } else if (l.kind == HostKind::Sim) {
    ns = default_namespace("tmpfs:/", true);  // the overlay over `root`, in memory
  } else {
    ns = default_namespace(
        l.root.empty() ? "" : "file:" + std::filesystem::absolute(l.root).string(), false);
  }
  ns.add(l.mappings);
  return ns;
}

}  // namespace

std::shared_ptr<const Policy> launch_policy(const HostLaunch& l) {
  return std::make_shared<NamespacePolicy>(launch_namespace(l), l.narrow);
}

LaunchedHost make_host(const HostLaunch& l) {
  LaunchedHost out;
  out.kind = l.kind;
  auto policy = std::make_shared<NamespacePolicy>(launch_namespace(l), l.narrow);
  out.policy = policy;
  if (l.kind == HostKind::Sim) {
    SimConfig c;
    c.seed = l.seed;
    c.console = l.console;
    c.debug_log = l.debug_log;
    if (l.package)
      c.packages = l.package->files;
    else
      c.root = l.root;
    // Mapped host folders are read when first listed or opened; writes stay in the overlay.
    c.mounts = mapped_host_folders(policy->ns());
    c.image = l.image;
    c.name = l.name;
    c.namespace_policy = policy;
    out.host = std::make_unique<SimHost>(std::move(c));
  } else {
    NativeConfig c;
    c.namespace_policy = policy;
    if (l.package) c.packages = l.package->files;
    c.image = l.image;
    c.name = l.name;
    c.console = l.console;
    c.console_stdin = l.native_stdin;
    c.debug_log = l.debug_log;
    c.inject = l.inject;
    out.host = std::make_unique<NativeHost>(std::move(c));
  }
  out.quotas = std::make_unique<QuotaEnforcer>(*out.host, l.limits);
  return out;
}

HostLaunch package_host_launch(HostKind kind, const PackageLaunch& package) {
  HostLaunch l;
  l.kind = kind;
  l.package = &package;
  l.limits = package.limits;
  l.image = package.image;
  l.name = package.package ? package.package->id().name : std::string();
  return l;
}

HostLaunch image_host_launch(HostKind kind, const std::string& root, std::vector<uint8_t> image,
                             std::string name) {
  HostLaunch l;
  l.kind = kind;
  l.root = root;
  l.limits = default_limits();
  l.image = std::move(image);
  l.name = std::move(name);
  return l;
}

}  // namespace dk
