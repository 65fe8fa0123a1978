// Opening a file beneath a mapped host folder without ever leaving it: symlinks may point
// elsewhere inside the folder, never outside it; magic links (/proc/self/fd/...) are refused.
// Host-facing: returns dk_status_t (0 or -DK_E_*), never throws, never names host paths.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "dk/abi.h"

namespace dk {

enum class BeneathMethod {
  Auto,  // openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), the component walk if missing
  Walk,  // a component-by-component walk with O_NOFOLLOW: refuses every symlink
};

// Opens `rel` (a normalised relative path, as Resolved::rel; "" opens the folder itself)
// beneath the directory `root_fd` with open(2) `flags` and `mode`. On success stores the
// new descriptor in `fd` and returns 0. An escape (a symlink or ".." leading outside,
// a magic link) gives -DK_E_ACCESS; other failures map errno to the nearest DK_E_ code.
dk_status_t open_beneath(int root_fd, std::string_view rel, int flags, mode_t mode, int& fd,
                         BeneathMethod method = BeneathMethod::Auto);

// errno -> -DK_E_* for host calls on files.
dk_status_t status_from_errno(int err);

}  // namespace dk
