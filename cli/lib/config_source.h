// `guest create --config FILE` sends the file's text (config_toml), so that the
// daemon applies the one set of config rules and its messages quote the user's
// own line numbers. The rules say a relative `kernel` is relative to the file,
// but the daemon never sees where the file was: wardenctl makes that one value
// absolute in the text it sends and leaves every other byte as it was.
#pragma once

#include <filesystem>
#include <string>

namespace warden::cli {

struct ConfigText {
    std::string text;
    std::string error;  // non-empty: nothing can be sent
};

// `dir` must be absolute. Text that does not parse goes out unchanged: the
// daemon's error for it is the one that counts.
ConfigText resolve_kernel_path(const std::string& text, const std::filesystem::path& dir);

// Reads `file` and resolves against its directory.
ConfigText load_config_text(const std::filesystem::path& file);

}  // namespace warden::cli
