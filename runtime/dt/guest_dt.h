// SPDX-License-Identifier: Apache-2.0
// The device tree a guest receives, built in one place: the hypervisor uses it
// for boot-module domains and the toolstack for the guests it builds, so every
// guest sees the same tree (docs/guest-device-tree.md lists it). Freestanding:
// libfdt and lib/format only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace warden {

// The room a guest's device tree takes at the top of its RAM.
inline constexpr uint64_t kGuestDtMaxSize = 64 * 1024;

struct GuestDtDevice {
    uint64_t base;  // IPA
    uint64_t size;
};

struct GuestDtConfig {
    uint64_t ram_base = 0;  // IPA
    uint64_t ram_size = 0;
    unsigned vcpus = 1;
    const char* bootargs = "";
    // virtio-mmio transports passed through (dom0's control channel).
    const GuestDtDevice* virtio = nullptr;
    unsigned virtio_count = 0;
    // "smc" or "hvc": the guest has OP-TEE (/firmware/optee); nullptr: no TEE.
    const char* optee_method = nullptr;
    // An initial ramdisk at [initrd_start, initrd_end) in the guest's RAM
    // (/chosen linux,initrd-start and -end); both 0: none.
    uint64_t initrd_start = 0;
    uint64_t initrd_end = 0;
};

// Writes a complete FDT into buf: memory, cpus, PSCI over HVC, the generic
// timer, the hypervisor's console, virtio-mmio devices, /firmware/optee when
// asked, chosen/bootargs. Returns its size, or a negative errno (-E2BIG when buf
// is too small, -EINVAL for a bad config).
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
