// SPDX-License-Identifier: Apache-2.0
// Device trees for guests built by the hypervisor at boot.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace warden {

// The most room a guest device tree built by the hypervisor takes.
inline constexpr uint64_t kGuestDtMaxSize = 64 * 1024;

struct GuestDtDevice {
    uint64_t base;  // IPA
    uint64_t size;
};

struct GuestDtConfig {
    Ipa ram_base{};
    uint64_t ram_size = 0;
    unsigned vcpus = 1;
    const char* bootargs = "";
    // virtio-mmio transports passed through (dom0's control channel).
    const GuestDtDevice* virtio = nullptr;
    unsigned virtio_count = 0;
};

// Writes a complete FDT (memory, cpus, PSCI over HVC, chosen/bootargs) into buf.
// Returns its size, or a negative errno (-E2BIG when buf is too small, -EINVAL).
int build_guest_dt(void* buf, size_t size, const GuestDtConfig& cfg);

// Adds /firmware/optee (compatible "linaro,optee-tz", the given method: "smc" or
// "hvc") to the device tree in buf, which has `size` bytes of room. Returns the
// new total size or a negative errno (-EEXIST if the node is already there).
int add_optee_node(void* buf, size_t size, const char* method);

// Removes /firmware/optee (and /firmware, if that leaves it empty) from the device
// tree in buf. Returns the new total size, -ENOENT if there is no such node, or
// -EINVAL for a malformed tree.
int remove_optee_node(void* buf, size_t size);

}  // namespace warden
