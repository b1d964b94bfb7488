// SPDX-License-Identifier: Apache-2.0
#include "fdt_scan.h"

#include <cstring>

namespace warden::fw::fdt {
namespace {

constexpr uint32_t kBeginNode = 1;
constexpr uint32_t kEndNode = 2;
constexpr uint32_t kProp = 3;
constexpr uint32_t kNop = 4;
constexpr uint32_t kEnd = 9;
constexpr uint32_t kMinHeader = 40;
constexpr uint32_t kMaxSize = 16 * 1024 * 1024;

// The tree sits in RAM the normal world can write, so every offset is bounds-checked
// and read a byte at a time (no alignment assumptions).
class Reader {
public:
    explicit Reader(uint64_t addr) : base_(reinterpret_cast<const uint8_t*>(addr)) {}

    uint32_t be32(uint32_t off) const {
        const uint8_t* p = base_ + off;
        return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    }
    const char* str(uint32_t off) const { return reinterpret_cast<const char*>(base_ + off); }
    // Length of the NUL-terminated string at off, or -1 if it runs past limit.
    int64_t strlen_within(uint32_t off, uint32_t limit) const {
        for (uint32_t i = off; i < limit; ++i) {
            if (base_[i] == '\0') return i - off;
        }
        return -1;
    }

private:
    const uint8_t* base_;
};

uint64_t read_cells(const Reader& r, uint32_t off, uint32_t cells) {
    uint64_t v = 0;
    for (uint32_t i = 0; i < cells; ++i) v = (v << 32) | r.be32(off + 4 * i);
    return v;
}

bool is_memory_node(const char* name) {
    return strncmp(name, "memory", 6) == 0 && (name[6] == '\0' || name[6] == '@');
}

}  // namespace

uint32_t total_size(uint64_t addr) {
    Reader r(addr);
    if (r.be32(0) != kMagic) return 0;
    const uint32_t size = r.be32(4);
    return size >= kMinHeader && size <= kMaxSize ? size : 0;
}

bool find_memory(uint64_t addr, uint64_t containing, Range* out) {
    const uint32_t size = total_size(addr);
    if (size == 0) return false;
    Reader r(addr);
    const uint32_t struct_off = r.be32(8);
    const uint32_t strings_off = r.be32(12);
    const uint32_t struct_size = r.be32(36);
    if (struct_off > size || struct_size > size - struct_off || strings_off > size) return false;
    const uint32_t end = struct_off + struct_size;

    uint32_t addr_cells = 2;  // defaults from the devicetree specification
    uint32_t size_cells = 1;
    int depth = 0;
    bool in_memory = false;
    bool disabled = false;
    Range found{0, 0};
    bool have_reg = false;

    for (uint32_t off = struct_off; off + 4 <= end;) {
        const uint32_t token = r.be32(off);
        off += 4;
        if (token == kBeginNode) {
            const int64_t len = r.strlen_within(off, end);
            if (len < 0) return false;
            ++depth;
            in_memory = depth == 2 && is_memory_node(r.str(off));
            disabled = false;
            have_reg = false;
            off += (static_cast<uint32_t>(len) + 4) & ~3u;
        } else if (token == kEndNode) {
            if (in_memory && have_reg && !disabled && containing >= found.base &&
                containing - found.base < found.size) {
                *out = found;
                return true;
            }
            in_memory = false;
            if (--depth < 0) return false;
        } else if (token == kProp) {
            if (off + 8 > end) return false;
            const uint32_t len = r.be32(off);
            const uint32_t name_off = r.be32(off + 4);
            off += 8;
            if (len > end - off || name_off >= size - strings_off) return false;
            if (r.strlen_within(strings_off + name_off, size) < 0) return false;
            const char* name = r.str(strings_off + name_off);
            if (depth == 1 && len == 4 && strcmp(name, "#address-cells") == 0) {
                addr_cells = r.be32(off);
            } else if (depth == 1 && len == 4 && strcmp(name, "#size-cells") == 0) {
                size_cells = r.be32(off);
            } else if (in_memory && strcmp(name, "reg") == 0) {
                if (addr_cells < 1 || addr_cells > 2 || size_cells < 1 || size_cells > 2 ||
                    len < 4 * (addr_cells + size_cells)) {
                    return false;
                }
                found.base = read_cells(r, off, addr_cells);
                found.size = read_cells(r, off + 4 * addr_cells, size_cells);
                have_reg = true;
            } else if (in_memory && strcmp(name, "status") == 0) {
                // "okay" (or the older "ok") enables; "disabled", "fail"... do not.
                disabled = len < 3 || strncmp(r.str(off), "ok", 2) != 0;
            }
            off += (len + 3) & ~3u;
        } else if (token == kNop) {
            continue;
        } else if (token == kEnd) {
            break;
        } else {
            return false;
        }
    }
    return false;
}

}  // namespace warden::fw::fdt
