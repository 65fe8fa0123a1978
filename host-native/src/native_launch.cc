#include "dk/native_launch.h"

#include <filesystem>

namespace dk {

NativeConfig native_config_for_image(const std::string& root) {
  NativeConfig c;
  // A bare image gets the folder to read, never to write: real files are real.
  c.ns = default_namespace(root.empty() ? "" : "file:" + std::filesystem::absolute(root).string(),
                           false);
  return c;
}

}  // namespace dk
