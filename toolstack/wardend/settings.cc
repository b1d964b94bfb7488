// SPDX-License-Identifier: Apache-2.0
#include "settings.h"

#include <toml++/toml.h>

namespace warden::wardend {
namespace {

namespace ts = toolstack;

struct Reader {
    const std::string& path;

    ts::Error fail(const toml::node& n, const std::string& key, const std::string& what) const {
        std::string where = path;
        if (n.source().begin) where += ":" + std::to_string(n.source().begin.line);
        return ts::invalid_field(key, what).prefix(where);
    }
    ts::Status text(const toml::node& n, const std::string& key, std::string& out) const {
        if (!n.is_string()) return fail(n, key, "expected a string");
        out = n.as_string()->get();
        return {};
    }
    ts::Status flag(const toml::node& n, const std::string& key, bool& out) const {
        if (!n.is_boolean()) return fail(n, key, "expected true or false");
        out = n.as_boolean()->get();
        return {};
    }
    ts::Status number(const toml::node& n, const std::string& key, int64_t lo, int64_t hi,
                      uint32_t& out) const {
        if (!n.is_integer() || n.as_integer()->get() < lo || n.as_integer()->get() > hi) {
            return fail(
                n, key,
                "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
        }
        out = static_cast<uint32_t>(n.as_integer()->get());
        return {};
    }
};

}  // namespace

bool valid_log_level(const std::string& level) {
    for (const char* l : kLogLevels) {
        if (level == l) return true;
    }
    return false;
}

ts::Status read_settings_file(const std::string& path, Settings& s) {
    toml::table t;
    try {
        t = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        return ts::Error(ts::ErrorKind::InvalidInput, path + ":" +
                                                          std::to_string(e.source().begin.line) +
                                                          ": " + std::string(e.description()));
    }
    Reader r{path};
    for (auto&& [k, n] : t) {
        const std::string key(k.str());
        ts::Status st;
        if (key == "socket") {
            st = r.text(n, key, s.socket);
        } else if (key == "group") {
            st = r.text(n, key, s.group);
        } else if (key == "log_level") {
            st = r.text(n, key, s.log_level);
            if (st && !valid_log_level(s.log_level)) {
                st = r.fail(n, key, "expected trace, debug, info, warn or error");
            }
        } else if (key == "platform") {
            if (!n.is_table()) {
                st = r.fail(n, key, "expected a table [platform]");
            } else {
                for (auto&& [pk, pn] : *n.as_table()) {
                    const std::string sub(pk.str());
                    const std::string name = "platform." + sub;
                    if (sub == "relay_socket") {
                        st = r.text(pn, name, s.platform_socket);
                    } else if (sub == "images") {
                        st = r.text(pn, name, s.images);
                    } else if (sub == "run_dir") {
                        st = r.text(pn, name, s.run_dir);
                    } else if (sub == "tee_guests") {
                        st = r.number(pn, name, 1, 16, s.tee_guests);
                    } else if (sub == "no_tee") {
                        st = r.flag(pn, name, s.no_tee);
                    } else if (sub == "memory_mib") {
                        st = r.number(pn, name, 256, 4096, s.memory_mib);
                    } else {
                        st = r.fail(pn, name, "unknown key");
                    }
                    if (!st) break;
                }
            }
        } else {
            st = r.fail(n, key, "unknown key");
        }
        if (!st) return st;
    }
    return {};
}

ts::Result<Settings> resolve_settings(const Settings& flags, const std::set<std::string>& given,
                                      const std::string& config_file) {
    if (config_file.empty()) return flags;
    Settings s = flags;
    if (auto st = read_settings_file(config_file, s); !st) return st.error();
    // Flags given explicitly keep their values.
    auto keep = [&](const char* name, auto member) {
        if (given.count(name)) s.*member = flags.*member;
    };
    keep("socket", &Settings::socket);
    keep("group", &Settings::group);
    keep("log_level", &Settings::log_level);
    keep("platform_socket", &Settings::platform_socket);
    keep("images", &Settings::images);
    keep("run_dir", &Settings::run_dir);
    keep("tee_guests", &Settings::tee_guests);
    keep("no_tee", &Settings::no_tee);
    keep("test_mode", &Settings::test_mode);
    return s;
}

}  // namespace warden::wardend
