// SPDX-License-Identifier: Apache-2.0
// Just enough of the flattened device tree format to learn the size of RAM from the
// tree QEMU generates: the firmware's only reader of it.
#pragma once

#include <cstdint>

namespace warden::fw::fdt {

inline constexpr uint32_t kMagic = 0xd00dfeed;

struct Range {
    uint64_t base;
    uint64_t size;
};

// Returns the tree's total size, or 0 if addr does not hold a device tree.
uint32_t total_size(uint64_t addr);

// Finds the /memory node range that contains `containing`. False if there is none or
// the tree is malformed.
bool find_memory(uint64_t addr, uint64_t containing, Range* out);

}  // namespace warden::fw::fdt
