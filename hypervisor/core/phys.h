// SPDX-License-Identifier: Apache-2.0
// Access to physical memory from hypervisor code. The arm64 image maps physical
// memory 1:1; host unit tests back a physical range with a buffer (a fake machine).
#pragma once

#include "core/types.h"

namespace warden {

// Pointer through which the hypervisor reads and writes physical address pa.
void* phys_to_virt(Pa pa);

template <typename T>
T* phys_ptr(Pa pa) {
    return static_cast<T*>(phys_to_virt(pa));
}

}  // namespace warden
