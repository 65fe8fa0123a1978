#include "dk/native_launch.h"

#include <filesystem>

namespace dk {

NativeConfig native_config_for_package(const PackageLaunch& launch) {
  NativeConfig c;
  c.ns = launch.ns;
  c.packages = launch.files;
  c.image = launch.image;
  c.name = launch.package ? launch.package->id().name : std::string();
  return c;
}

NativeConfig native_config_for_image(const std::string& root) {
  NativeConfig c;
  c.ns.add(Mapping{"dev:console", "dev:console", true, 0});
  // As the simulated host's default policy: named pipes (in-process) and sockets. On this
  // host the sockets are real; a package gets exactly what its manifest maps instead.
  for (const char* scheme :
       {"pipe:", "pipe.server:", "tcp.client:", "tcp.server:", "udp.client:", "udp.server:"})
    c.ns.add(Mapping{scheme, scheme, true, 0});
  // A bare image gets the folder to read, never to write: real files are real.
  if (!root.empty())
    c.ns.add(Mapping{"file:/", "file:" + std::filesystem::absolute(root).string(), false, 0});
  return c;
}

}  // namespace dk
