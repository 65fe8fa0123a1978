// The observer's canaries and the policy oracle (observer.h).
#include "dk/escape/observer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "dk/monitor/uri.h"

namespace dk::escape {
namespace {

namespace fs = std::filesystem;

constexpr char kReadOnlyText[] = "dk-escape read-only file\n";

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("escape: cannot write " + path);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string s;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) s += kHex[rd() % 16];
  return s;
}

}  // namespace

dk_status_t escape_policy(const NamespaceRequest& r) {
  const Uri& u = *r.uri;
  const bool read = r.access == Access::Read;
  switch (u.scheme) {
    case UriScheme::File:
    case UriScheme::Dir:
      if (path_within(u.path, "/tmp")) return 0;
      if (path_within(u.path, "/ro")) return read ? 0 : -DK_E_ACCESS;
      return -DK_E_ACCESS;
    case UriScheme::Pipe:
    case UriScheme::PipeServer:
      return u.path.starts_with("esc") ? 0 : -DK_E_ACCESS;
    case UriScheme::Dev:
      return 0;
    case UriScheme::Package:
    case UriScheme::Self:
      return read ? 0 : -DK_E_ACCESS;
    default:
      return -DK_E_ACCESS;
  }
}

Canaries::Canaries(const std::string& parent, size_t n) {
  dir_ = parent + "/" + std::to_string(n);
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_ + "/root/ro", ec);
  fs::create_directories(dir_ + "/root/tmp", ec);
  fs::create_directories(dir_ + "/tmp", ec);
  fs::create_directories(dir_ + "/ro", ec);
  if (ec) throw std::runtime_error("escape: cannot make " + dir_ + ": " + ec.message());
  canary_ = dir_ + "/canary";
  absent_ = dir_ + "/absent";
  sim_root_ = dir_ + "/root";
  tmp_ = dir_ + "/tmp";
  ro_ = dir_ + "/ro";
  fd_log_ = dir_ + "/fd.log";
  token_ = "dk-escape-secret-" + random_hex(24);
  canary_bytes_ = token_ + "\n";
  ro_bytes_ = kReadOnlyText;
  write_file(canary_, canary_bytes_);
  write_file(ro_ + "/readme", ro_bytes_);
  write_file(sim_root_ + "/ro/readme", ro_bytes_);
  write_file(fd_log_, "");

  // The canary port: a listener nobody may connect to.
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("escape: socket: " + std::string(strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("escape: canary port: " + std::string(strerror(errno)));
  port_ = ntohs(a.sin_port);
}

Canaries::~Canaries() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string_view Canaries::marker() {
  return "DK-ESCAPE-MARKER: a Linux write ran\n";
}

std::vector<std::string> Canaries::check(const std::string& guest_output) const {
  std::vector<std::string> out;
  std::string now;
  if (!read_file(canary_, now))
    out.push_back("canary file " + canary_ + " is gone");
  else if (now != canary_bytes_)
    out.push_back("canary file " + canary_ + " changed");
  if (exists(absent_)) out.push_back("host path " + absent_ + " was created");
  if (!read_file(ro_ + "/readme", now) || now != ro_bytes_)
    out.push_back("read-only host file " + ro_ + "/readme changed");
  if (!read_file(sim_root_ + "/ro/readme", now) || now != ro_bytes_)
    out.push_back("read-only host file " + sim_root_ + "/ro/readme changed");
  std::string fdlog;
  read_file(fd_log_, fdlog);
  if (fdlog.find(marker().substr(0, 17)) != std::string::npos)
    out.push_back("the marker reached the harness's own stdout/stderr");
  if (guest_output.find(token_) != std::string::npos || fdlog.find(token_) != std::string::npos)
    out.push_back("the canary file's secret reached the picoprocess");
  // Anything above the folders this attempt was given must be untouched: list the folder.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name != "canary" && name != "root" && name != "tmp" && name != "ro" && name != "fd.log")
      out.push_back("host file " + e.path().string() + " appeared beside the canary");
  }
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int c = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (c >= 0) {
    ::close(c);
    out.push_back("the canary port " + std::to_string(port_) + " saw a connection");
  }
  return out;
}

dk_status_t WatchingHost::serve(CallContext& cx, Call& call) {
  ++calls_;
  // The URI as the dispatcher copied it in, before the host could touch the Call.
  const std::string uri = call.uri;
  const uint32_t index = call.index;
  const uint64_t acc = call.val[1], create = call.val[3];
  const dk_status_t st = inner().serve(cx, call);
  if (st < 0 || uri.empty()) return st;
  // Which request the host must have asked the policy: the access a call needs.
  NamespaceOp op = NamespaceOp::Open;
  Access access = Access::Read;
  switch (index) {
    case calls::DkProcessCreate:
      op = NamespaceOp::Spawn;
      break;
    case calls::DkStreamOpen:
      if ((acc & 3) != DK_ACCESS_RDONLY || (acc & DK_ACCESS_APPEND) || create != 0)
        access = Access::Write;
      break;
    case calls::DkStreamAttributesQuery:
      op = NamespaceOp::Query;
      break;
    case calls::DkStreamChangeName:
      op = NamespaceOp::Rename;
      access = Access::Write;
      break;
    default:
      return st;
  }
  const std::string what(call_desc(index)->name);
  Uri u;
  if (parse_uri(uri, UriRole::Guest, u) != 0) {
    breaches_.push_back(std::string("the host served an unparseable URI (") + what + "): '" +
                        uri.substr(0, 200) + "'");
    return st;
  }
  NamespaceRequest r{cx.pid, op, &u, access};
  if (escape_policy(r) != 0)
    breaches_.push_back("the host served '" + uri.substr(0, 200) + "' (" + what +
                        "), which the namespace does not grant");
  return st;
}

}  // namespace dk::escape
