// SPDX-License-Identifier: Apache-2.0
// Never yields: makes progress only if the hypervisor preempts whoever else runs.
#include "guest/guest.h"

int guest_main() {
    char name[32] = "spin";
    guest::bootarg("name", name, sizeof name);
    constexpr int kTicks = 5;
    constexpr uint64_t kWork = 300000;  // a few time slices of busy work per tick
    for (int t = 0; t < kTicks; ++t) {
        for (uint64_t i = 0; i < kWork; ++i) asm volatile("" ::: "memory");
        guest::print("%s: tick %d", name, t);
    }
    guest::print("%s: done", name);
    return 0;
}
