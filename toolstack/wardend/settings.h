// SPDX-License-Identifier: Apache-2.0
// wardend's settings: built-in defaults, then the TOML file (--config), then the
// flags given on the command line, each over the one before.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "status.h"

namespace warden::wardend {

// What --log-level and log_level accept.
inline constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
bool valid_log_level(const std::string& level);

struct Settings {
    std::string socket = "/run/warden/wardend.sock";
    std::string group;
    std::string log_level = "info";
    std::string platform_socket;  // external platform: its relay socket
    std::string images;
    std::string run_dir = "/run/warden/platform";
    uint32_t tee_guests = 2;
    bool no_tee = false;
    uint32_t memory_mib = 1024;
    bool test_mode = false;
};

// Reads a configuration file over `s` (docs: deploy/examples/wardend.toml).
// Unknown keys and wrong types are errors naming the file, line and key.
toolstack::Status read_settings_file(const std::string& path, Settings& s);

// The settings to run with: `flags` holds the defaults with the command line
// applied; `given` names the options the command line gave ("socket",
// "tee_guests", ...), which win over the file.
toolstack::Result<Settings> resolve_settings(const Settings& flags,
                                             const std::set<std::string>& given,
                                             const std::string& config_file);

}  // namespace warden::wardend
