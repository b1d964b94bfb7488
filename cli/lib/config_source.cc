#include "config_source.h"

#include <toml++/toml.h>
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

ConfigText resolve_kernel_path(const std::string& text, const std::filesystem::path& dir) {
    toml::table doc;
    try {
        doc = toml::parse(std::string_view(text));
    } catch (const toml::parse_error&) {
        return {text, ""};
    }
    const toml::node* node = doc.get("kernel");
    const auto* kernel = node ? node->as_string() : nullptr;
    if (!kernel || kernel->get().empty()) return {text, ""};
    std::filesystem::path path(kernel->get());
    if (path.is_absolute()) return {text, ""};

    const toml::source_region& where = kernel->source();
    size_t begin = 0, end = 0;
    if (where.begin.line != where.end.line || !byte_offset(text, where.begin, &begin) ||
        !byte_offset(text, where.end, &end) || end <= begin) {
        return {"", "kernel: cannot make \"" + kernel->get() +
                        "\" absolute in this file; write it as an absolute path"};
    }
    std::string resolved = (dir / path).lexically_normal().string();
    std::string out = text;
    out.replace(begin, end - begin, toml_basic_string(resolved));
    return {out, ""};
}

ConfigText load_config_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (!in.is_open() || in.bad()) return {"", "cannot read " + file.string()};
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(file, ec).parent_path();
    if (ec) return {"", "cannot resolve " + file.string() + ": " + ec.message()};
    return resolve_kernel_path(text, dir);
}

}  // namespace warden::cli
