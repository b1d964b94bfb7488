// SPDX-License-Identifier: Apache-2.0
// Files a caller names are opened with the caller's rights, never the daemon's:
// wardend runs as root, and a guest image path must not let an operator read
// what they could not read themselves (docs/api.md, "Privilege").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "peers.h"

namespace warden::wardend {

struct CallerFile {
    std::vector<uint8_t> bytes;
    int err = 0;         // errno the caller would have got (0: read)
    std::string reason;  // "permission denied", "not a regular file", ...
};

// Reads the regular file at `path` (at most `max_bytes`) as `caller` would: a
// short-lived child process takes the caller's uid, gid and supplementary
// groups, opens the file and passes the descriptor back; the daemon reads from
// that descriptor only. With no caller (an in-process client the daemon trusts
// as itself), or a caller with the daemon's own uid, the daemon opens it itself.
// With `contents` false only the checks are made (open, regular file, size).
CallerFile read_as_caller(const std::optional<PeerCreds>& caller, const std::string& path,
                          uint64_t max_bytes, bool contents = true);

}  // namespace warden::wardend
