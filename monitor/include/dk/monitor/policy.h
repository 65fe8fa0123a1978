// The namespace policy as every host asks it: one interface (Policy), the policy of a
// namespace (NamespacePolicy: a manifest's mappings, or the default ones, optionally narrowed
// by a launcher's extra refusals), and the default namespace a run gets when no manifest
// grants anything, written once here for both hosts.
// Host-facing: resolve() returns dk_status_t; building a namespace throws
// std::invalid_argument (as Namespace::add).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dk/abi.h"
#include "dk/monitor/namespace.h"
#include "dk/monitor/uri.h"

namespace dk {

// What a host is about to do with a URI. A host asks once per open (Open, or Connect and
// Listen for pipes and sockets), attribute query (Query), rename (Rename, for the old and the
// new URI), delete (Delete) and process image (Spawn).
enum class NamespaceOp { Open, Query, Rename, Delete, Connect, Listen, Spawn };

struct NamespaceRequest {
  uint32_t pid = 0;  // the asking picoprocess, within its world
  NamespaceOp op = NamespaceOp::Open;
  const Uri* uri = nullptr;  // parsed as the guest wrote it (UriRole::Guest)
  Access access = Access::Read;
};

// The one policy interface of the hosts. 0 grants the request and fills `out` with what the
// URI names (Resolved: the target a host opens); any -DK_E_* refuses with that status, and
// `out.reason` says why. Implementations are immutable once built and may be shared by the
// hosts of several worlds.
class Policy {
 public:
  virtual ~Policy() = default;
  virtual dk_status_t resolve(const NamespaceRequest& r, Resolved& out) const = 0;
  // Names of mapping points directly beneath a virtual directory, which a listing of that
  // directory shows (Namespace::mounts_beneath); none by default.
  virtual std::vector<std::string> mounts_beneath(std::string_view /*virtual_dir*/) const {
    return {};
  }
};

// A launcher's extra refusals (the conformance suite's and the escape corpus's fixed
// namespaces, a test's seam): asked only after the namespace has granted a request. 0 lets
// the namespace's answer stand; -DK_E_* refuses with that status.
using PolicyCheck = std::function<dk_status_t(const NamespaceRequest&)>;

// A namespace's policy: Namespace::resolve, then `narrow` if given.
class NamespacePolicy : public Policy {
 public:
  explicit NamespacePolicy(Namespace ns, PolicyCheck narrow = {})
      : ns_(std::move(ns)), narrow_(std::move(narrow)) {}
  dk_status_t resolve(const NamespaceRequest& r, Resolved& out) const override;
  std::vector<std::string> mounts_beneath(std::string_view virtual_dir) const override {
    return ns_.mounts_beneath(virtual_dir);
  }
  const Namespace& ns() const { return ns_; }

 private:
  Namespace ns_;
  PolicyCheck narrow_;
};

// The namespace of a run no manifest describes (a bare image; the seed's default policy):
// dev:console, every named pipe and socket, and the grants every namespace has (dev:null,
// dev:zero, package: and self: for reading). `files` is the physical URI file:/ and dir:/
// map to ("file:/host/folder", or "tmpfs:/" for a tree that lives in memory), writable when
// `writable`; "" leaves them unmapped (the package view, read-only).
Namespace default_namespace(const std::string& files = "", bool writable = false);

}  // namespace dk
