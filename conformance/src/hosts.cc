// Host targets. Each make() runs inside a case's child process and wires the host's console
// and debug log to the HostIo the runner reads back.
#include "dk/conformance/hosts.h"

#include <sys/stat.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "dk/host_factory.h"
#include "dk/plugin_host.h"

namespace dk::conformance {
namespace {

// A console over HostIo, for either host.
class IoConsole : public Console {
 public:
  explicit IoConsole(HostIo& io) : io_(io) {}
  void write(int fd, const uint8_t* data, size_t n) override {
    (fd == 2 ? io_.err : io_.out).append(reinterpret_cast<const char*>(data), n);
  }
  size_t read(uint8_t* data, size_t n) override {
    const size_t take = std::min(n, io_.input.size() - pos_);
    io_.input.copy(reinterpret_cast<char*>(data), take, pos_);
    pos_ += take;
    return take;
  }

 private:
  HostIo& io_;
  size_t pos_ = 0;
};

// The namespace every case runs in (docs/conformance.md): file:/tmp and dir:/tmp, file:/ro
// and dir:/ro for reading only (a host folder holding conf_ro.txt), named pipes whose names
// start with "conf", loopback TCP and UDP on ports 40000-40999, the devices, and self: and
// package: for reading. Everything else is refused with ACCESS.
dk_status_t conformance_policy(const NamespaceRequest& r) {
  const Uri& u = *r.uri;
  switch (u.scheme) {
    case UriScheme::File:
    case UriScheme::Dir:
      if (u.path == "/ro" || u.path.starts_with("/ro/")) return r.access == Access::Read ? 0 : -DK_E_ACCESS;
      return u.path == "/tmp" || u.path.starts_with("/tmp/") ? 0 : -DK_E_ACCESS;
    case UriScheme::Pipe:
    case UriScheme::PipeServer:
      return u.path.starts_with("conf") ? 0 : -DK_E_ACCESS;
    case UriScheme::Tcp:
    case UriScheme::TcpServer:
    case UriScheme::Udp:
    case UriScheme::UdpServer:
      return (u.host == "localhost" || u.host == "127.0.0.1") && u.port >= 40000 && u.port < 41000
                 ? 0
                 : -DK_E_ACCESS;
    case UriScheme::Dev:
      return 0;
    case UriScheme::Package:
    case UriScheme::Self:
      return r.access == Access::Read ? 0 : -DK_E_ACCESS;
    default:
      return -DK_E_ACCESS;
  }
}

// The read-only folder file:/ro: a fresh host folder holding conf_ro.txt ("read only\n"),
// removed with the host. "" when it cannot be made (cases that use it then fail).
std::string make_ro_folder() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dk-conf-ro-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return "";
  std::ofstream(std::filesystem::path(tmpl) / "conf_ro.txt", std::ios::binary) << "read only\n";
  return tmpl;
}

void remove_folder(const std::string& folder) {
  std::error_code ec;
  if (!folder.empty()) std::filesystem::remove_all(folder, ec);
}

// A host the factory built for one case, with what it needs to live: its console and the
// host folders made for it (removed with the host).
class CaseHost : public HostDecorator {
 public:
  CaseHost(LaunchedHost built, std::unique_ptr<IoConsole> console, std::vector<std::string> folders)
      : HostDecorator(*built.host),
        built_(std::move(built)),
        console_(std::move(console)),
        folders_(std::move(folders)) {}
  ~CaseHost() override {
    built_.host.reset();
    for (const auto& f : folders_) remove_folder(f);
  }

 private:
  LaunchedHost built_;
  std::unique_ptr<IoConsole> console_;
  std::vector<std::string> folders_;
};

// A plug-in host with the console it writes to (destroyed after the host).
class PluginCaseHost : public HostDecorator {
 public:
  PluginCaseHost(std::unique_ptr<PluginHost> host, std::unique_ptr<IoConsole> console)
      : HostDecorator(*host), console_(std::move(console)), host_(std::move(host)) {}

 private:
  std::unique_ptr<IoConsole> console_;
  std::unique_ptr<PluginHost> host_;
};

// Both hosts in the same namespace: the default one with file:/ro mapped read-only, and on
// the native host file:/tmp a fresh host folder of its own (the simulated host keeps /tmp in
// its overlay); conformance_policy narrows what the namespace grants, so both hosts refuse
// the same URIs.
std::unique_ptr<Host> make_case_host(HostKind kind, HostIo& io, std::string tmp) {
  std::vector<std::string> folders;
  HostLaunch l;
  l.kind = kind;
  if (!tmp.empty()) {
    l.mappings.push_back(Mapping{"file:/tmp", "file:" + tmp, true, 0});
    folders.push_back(tmp);
  }
  const std::string ro = make_ro_folder();
  if (!ro.empty()) {
    l.mappings.push_back(Mapping{"file:/ro", "file:" + ro, false, 0});
    folders.push_back(ro);
  }
  l.narrow = conformance_policy;
  l.debug_log = &io.debug;
  l.image = io.image;  // for self:
  l.name = io.image_name;
  auto console = std::make_unique<IoConsole>(io);
  l.console = console.get();
  LaunchedHost built;
  try {
    built = make_host(l);
  } catch (...) {
    for (const auto& f : folders) remove_folder(f);
    throw;
  }
  if (kind == HostKind::Native) io.host_io_fd = static_cast<NativeHost&>(*built.host).io_fd();
  return std::make_unique<CaseHost>(std::move(built), std::move(console), std::move(folders));
}

}  // namespace

bool make_host_target(const std::string& spec, HostTarget& out, std::string& error) {
  if (spec == "sim") {
    out.name = "sim";
    out.kind = "sim";
    out.make = [](HostIo& io, std::string&) -> std::unique_ptr<Host> {
      return make_case_host(HostKind::Sim, io, "");
    };
    return true;
  }
  if (spec == "native" || spec == "native-runtime") {
    out.name = spec;
    out.kind = spec;
    out.native_runtime = spec == "native-runtime";
    out.make = [](HostIo& io, std::string& err) -> std::unique_ptr<Host> {
      std::string tmpl = (std::filesystem::temp_directory_path() / "dk-conf-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) {
        err = "native: cannot make a temporary folder";
        return nullptr;
      }
      return make_case_host(HostKind::Native, io, tmpl);
    };
    return true;
  }
  if (spec.starts_with("plugin:")) {
    const std::string rest = spec.substr(7);
    const std::string path = rest.substr(0, rest.find(','));
    struct stat st;
    if (path.empty() || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      error = "--host " + spec + ": no plug-in library at '" + path + "'";
      return false;
    }
    out.name = spec;
    out.kind = "plugin";
    out.make = [rest](HostIo& io, std::string& err) -> std::unique_ptr<Host> {
      auto console = std::make_unique<IoConsole>(io);
      PluginIo pio;
      pio.console = console.get();
      pio.debug_log = &io.debug;
      auto plugin = PluginHost::load(rest, pio, err);
      if (!plugin) return nullptr;
      return std::make_unique<PluginCaseHost>(std::move(plugin), std::move(console));
    };
    return true;
  }
  error = "--host " + spec + ": unknown host (sim, native, native-runtime, plugin:PATH.so)";
  return false;
}

}  // namespace dk::conformance
