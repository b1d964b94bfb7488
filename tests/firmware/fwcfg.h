// SPDX-License-Identifier: Apache-2.0
// QEMU's firmware configuration device (fw_cfg, MMIO flavour): where the hypervisor
// image (-kernel) and the firmware's options (-fw_cfg name=opt/warden/...) come from.
// Items are read as byte streams through the data register.
#pragma once

#include <cstdint>

namespace warden::fw::fwcfg {

// Selector keys QEMU defines (docs/specs/fw_cfg.txt); integers are little-endian.
inline constexpr uint16_t kSignature = 0x0000;   // "QEMU"
inline constexpr uint16_t kNbCpus = 0x0005;      // u16
inline constexpr uint16_t kKernelSize = 0x0008;  // u32
inline constexpr uint16_t kKernelData = 0x0011;
inline constexpr uint16_t kFileDir = 0x0019;  // be32 count, then 64-byte entries

inline constexpr unsigned kFileNameMax = 56;

struct File {
    uint16_t key;
    uint32_t size;
    char name[kFileNameMax];
};

bool present();
// Starts reading an item from its first byte.
void select(uint16_t key);
// Reads the next n bytes of the selected item (zeros past its end).
void read(void* dst, uint64_t n);
uint16_t read_le16(uint16_t key);
uint32_t read_le32(uint16_t key);

// Walks the file directory. The visitor must not use fw_cfg itself (the walk holds the
// device's read position); it returns false to stop.
using FileVisitor = bool (*)(const File& file, void* ctx);
void for_each_file(FileVisitor visit, void* ctx);
bool find_file(const char* name, File* out);

// Reads a file as a NUL-terminated string, truncated to size - 1 characters.
// Returns false if the file does not exist.
bool read_string(const char* name, char* buf, uint64_t size);

}  // namespace warden::fw::fwcfg
