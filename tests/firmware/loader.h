// SPDX-License-Identifier: Apache-2.0
// Loads the hypervisor (QEMU -kernel, an arm64 Linux `Image`) from fw_cfg into RAM.
#pragma once

#include <cstdint>

namespace warden::fw {

struct MemoryLayout {
    uint64_t ram_base;
    uint64_t ram_end;  // exclusive
    uint64_t dtb_end;  // nothing may be loaded below this
};

// Checks that an image can live at load_addr (2 MiB aligned, in RAM, clear of the
// device tree), validates its header and copies it to load_addr + text_offset.
// Returns the entry point, or 0 after logging why the image cannot be booted.
uint64_t load_hypervisor(uint64_t load_addr, const MemoryLayout& mem);

}  // namespace warden::fw
