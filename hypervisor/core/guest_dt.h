// Device trees for guests built by the hypervisor at boot.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace warden {

struct GuestDtConfig {
    Ipa ram_base{};
    uint64_t ram_size = 0;
    unsigned vcpus = 1;
    const char* bootargs = "";
};

// Writes a complete FDT (memory, cpus, PSCI over HVC, chosen/bootargs) into buf.
// Returns its size, or a negative errno (-E2BIG when buf is too small, -EINVAL).
int build_guest_dt(void* buf, size_t size, const GuestDtConfig& cfg);

}  // namespace warden
