#include "dk/monitor/policy.h"

namespace dk {

dk_status_t NamespacePolicy::resolve(const NamespaceRequest& r, Resolved& out) const {
  if (dk_status_t st = ns_.resolve(*r.uri, r.access, out)) return st;
  if (narrow_)
    if (dk_status_t st = narrow_(r)) {
      out.reason = out.uri.str() + " is refused by the launcher's policy";
      return st;
    }
  return 0;
}

Namespace default_namespace(const std::string& files, bool writable) {
  Namespace ns;
  ns.add(Mapping{"dev:console", "dev:console", true, 0});
  // Named pipes live in the world; sockets are the host's (loopback ones on the simulated
  // host, real ones on the native host).
  for (const char* scheme :
       {"pipe:", "pipe.server:", "tcp.client:", "tcp.server:", "udp.client:", "udp.server:"})
    ns.add(Mapping{scheme, scheme, true, 0});
  if (!files.empty()) ns.add(Mapping{"file:/", files, writable, 0});
  return ns;
}

}  // namespace dk
