// SPDX-License-Identifier: Apache-2.0
#include "loader.h"

#include <cstring>

#include "console.h"
#include "fwcfg.h"
#include "options.h"

namespace warden::fw {
namespace {

// arm64 Linux boot protocol (Documentation/arm64/booting.rst): a 64-byte header with
// little-endian fields.
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kTextOffsetAt = 0x08;
constexpr uint64_t kImageSizeAt = 0x10;
constexpr uint64_t kFlagsAt = 0x18;
constexpr uint64_t kMagicAt = 0x38;
constexpr uint32_t kMagic = 0x644d5241;  // "ARM\x64"
constexpr uint64_t kFlagBigEndian = 1;

uint64_t le(const uint8_t* p, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = bytes; i; --i) v = (v << 8) | p[i - 1];
    return v;
}

bool check_load_addr(uint64_t addr, const MemoryLayout& mem) {
    if (addr % kLoadAlign != 0) {
        console::log("error: load address 0x%lx is not 2 MiB aligned", addr);
        return false;
    }
    if (addr < mem.ram_base || addr >= mem.ram_end) {
        console::log("error: load address 0x%lx is outside RAM 0x%lx-0x%lx", addr, mem.ram_base,
                     mem.ram_end - 1);
        return false;
    }
    if (addr < mem.dtb_end) {
        console::log("error: load address 0x%lx overlaps the device tree at 0x%lx-0x%lx", addr,
                     mem.ram_base, mem.dtb_end - 1);
        return false;
    }
    return true;
}

}  // namespace

uint64_t load_hypervisor(uint64_t load_addr, const MemoryLayout& mem) {
    if (!check_load_addr(load_addr, mem)) return 0;

    const uint64_t file_size = fwcfg::read_le32(fwcfg::kKernelSize);
    if (file_size == 0) {
        console::log("error: no hypervisor image: pass one with QEMU's -kernel");
        return 0;
    }
    if (file_size < kHeaderSize) {
        console::log("error: hypervisor image is %lu bytes, too small for an arm64 Image",
                     file_size);
        return 0;
    }

    uint8_t header[kHeaderSize];
    fwcfg::select(fwcfg::kKernelData);
    fwcfg::read(header, kHeaderSize);
    const uint32_t magic = static_cast<uint32_t>(le(header + kMagicAt, 4));
    if (magic != kMagic) {
        console::log(
            "error: hypervisor image is not an arm64 Image (magic 0x%08x at 0x38, "
            "expected 0x%08x)",
            magic, kMagic);
        return 0;
    }
    if (le(header + kFlagsAt, 8) & kFlagBigEndian) {
        console::log("error: hypervisor image is big-endian");
        return 0;
    }
    const uint64_t text_offset = le(header + kTextOffsetAt, 8);
    // image_size covers the file plus what the image uses beyond it (BSS); 0 = unknown.
    uint64_t span = le(header + kImageSizeAt, 8);
    if (span < file_size) span = file_size;

    const uint64_t room = mem.ram_end - load_addr;
    if (text_offset >= room || span > room - text_offset || (text_offset & 3)) {
        console::log(
            "error: hypervisor image (text_offset 0x%lx, size 0x%lx) does not fit in "
            "RAM at 0x%lx (RAM ends at 0x%lx)",
            text_offset, span, load_addr, mem.ram_end);
        return 0;
    }

    const uint64_t entry = load_addr + text_offset;
    auto* dst = reinterpret_cast<uint8_t*>(entry);
    memcpy(dst, header, kHeaderSize);
    fwcfg::read(dst + kHeaderSize, file_size - kHeaderSize);
    console::log("hypervisor image: %lu bytes at 0x%lx, entry 0x%lx", file_size, load_addr, entry);
    return entry;
}

}  // namespace warden::fw
