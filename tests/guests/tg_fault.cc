// SPDX-License-Identifier: Apache-2.0
// Reads memory outside its RAM. The hypervisor must stop this domain only.
#include "guest/guest.h"

int guest_main() {
    guest::print("fault: reading IPA 0x20000000, outside my RAM");
    uint64_t v;
    asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(uint64_t{0x20000000}) : "memory");
    guest::print("FAIL: read outside RAM returned 0x%lx", v);
    return 1;
}
