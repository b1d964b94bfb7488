// SPDX-License-Identifier: Apache-2.0
// Unix stream sockets at any path length. sockaddr_un holds 107 bytes of path,
// and a checkout or run directory can be deeper than that: a longer path is
// reached through a descriptor of its directory (/proc/self/fd/N/NAME), so the
// directory's permissions still decide who may connect.
#pragma once

#include <filesystem>

#include "status.h"

namespace warden::toolstack {

// Bytes of path a sockaddr_un takes, without the terminating NUL.
inline constexpr size_t kUnixPathMax = 107;

// A connected socket (close-on-exec) or why not; errno-style reasons.
Result<int> unix_connect(const std::filesystem::path& path);

}  // namespace warden::toolstack
