// SPDX-License-Identifier: Apache-2.0
// `guest create --config FILE` sends the file's text (config_toml), so that the
// daemon applies the one set of config rules and its messages quote the user's
// own line numbers. The rules say relative `kernel` and `initrd` paths are
// relative to the file, but the daemon never sees where the file was: wardenctl
// makes those values absolute in the text it sends and leaves every other byte
// as it was.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace warden::cli {

struct ConfigText {
    std::string text;
    std::string error;  // non-empty: nothing can be sent
};

// Makes relative `kernel` and `initrd` paths absolute against `dir` (which
// must be absolute). Text that does not parse goes out unchanged: the
// daemon's error for it is the one that counts.
ConfigText resolve_file_paths(const std::string& text, const std::filesystem::path& dir);

// Reads `file` and resolves against its directory.
// Larger configs are refused before anything is sent (the daemon's limit too).
inline constexpr size_t kMaxConfigBytes = 64 * 1024;
// Reads a config file: at most kMaxConfigBytes of UTF-8 (errors name the
// file, the line and the byte), with relative kernel and initrd paths made
// absolute.
ConfigText load_config_text(const std::filesystem::path& file);
// Offset of the first byte that is not part of well-formed UTF-8, if any.
std::optional<size_t> first_invalid_utf8(std::string_view s);

}  // namespace warden::cli
