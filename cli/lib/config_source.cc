// SPDX-License-Identifier: Apache-2.0
#include "config_source.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace warden::cli {
namespace {

// toml++ positions are 1-based lines and columns counted in code points.
bool byte_offset(const std::string& text, const toml::source_position& pos, size_t* out) {
    size_t i = 0;
    for (uint32_t line = 1; line < pos.line; ++line) {
        i = text.find('\n', i);
        if (i == std::string::npos) return false;
        ++i;
    }
    for (uint32_t col = 1; col < pos.column; ++col) {
        if (i >= text.size() || text[i] == '\n') return false;
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) ++i;
    }
    *out = i;
    return true;
}

std::string toml_basic_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace

std::optional<size_t> first_invalid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xe  ? 3
                   : (c >> 3) == 0x1e ? 4
                                      : 0;
        if (n == 0 || i + n > s.size()) return i;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
            return i;
        }
        i += n;
    }
    return std::nullopt;
}

namespace {

// Makes the file path under `key` absolute (relative to `dir`), in place.
ConfigText resolve_one(const std::string& text, const std::filesystem::path& dir, const char* key) {
    toml::table doc;
    try {
        doc = toml::parse(std::string_view(text));
    } catch (const toml::parse_error&) {
        return {text, ""};
    }
    const toml::node* node = doc.get(key);
    const auto* value = node ? node->as_string() : nullptr;
    if (!value || value->get().empty()) return {text, ""};
    std::filesystem::path path(value->get());
    if (path.is_absolute()) return {text, ""};

    const toml::source_region& where = value->source();
    size_t begin = 0, end = 0;
    if (where.begin.line != where.end.line || !byte_offset(text, where.begin, &begin) ||
        !byte_offset(text, where.end, &end) || end <= begin) {
        return {"", std::string(key) + ": cannot make \"" + value->get() +
                        "\" absolute in this file; write it as an absolute path"};
    }
    std::string resolved = (dir / path).lexically_normal().string();
    std::string out = text;
    out.replace(begin, end - begin, toml_basic_string(resolved));
    return {out, ""};
}

}  // namespace

ConfigText resolve_file_paths(const std::string& text, const std::filesystem::path& dir) {
    ConfigText c = resolve_one(text, dir, "kernel");
    if (!c.error.empty()) return c;
    return resolve_one(c.text, dir, "initrd");
}

ConfigText load_config_text(const std::filesystem::path& file) {
    std::error_code size_ec;
    auto size = std::filesystem::file_size(file, size_ec);
    if (!size_ec && size > kMaxConfigBytes) {
        return {"", file.string() + " is " + std::to_string(size) +
                        " bytes; a guest config may have at most " +
                        std::to_string(kMaxConfigBytes / 1024) + " KiB"};
    }
    std::ifstream in(file, std::ios::binary);
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (!in.is_open() || in.bad()) return {"", "cannot read " + file.string()};
    if (text.size() > kMaxConfigBytes) {
        return {"", file.string() + ": a guest config may have at most " +
                        std::to_string(kMaxConfigBytes / 1024) + " KiB"};
    }
    if (auto bad = first_invalid_utf8(text)) {
        size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + *bad, '\n'));
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[*bad]));
        return {"", file.string() + ":" + std::to_string(line) + ": byte " + byte +
                        " is not UTF-8; TOML files are UTF-8 text (convert it, e.g. with iconv)"};
    }
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(file, ec).parent_path();
    if (ec) return {"", "cannot resolve " + file.string() + ": " + ec.message()};
    return resolve_file_paths(text, dir);
}

}  // namespace warden::cli
