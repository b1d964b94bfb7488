// SPDX-License-Identifier: Apache-2.0
// Guest-visible costs, in counter ticks. Under QEMU with -icount shift=4 one tick
// of the 62.5 MHz counter is exactly one instruction, so these are instruction
// counts and identical run after run.
#include "guest/guest.h"
#include "warden/optee.h"

extern "C" {
#include <libfdt.h>
}
#include "warden/hypercall.h"
#include "warden/psci.h"

namespace {

constexpr int kRounds = 1000;

template <typename Fn>
uint64_t per_call(Fn fn) {
    fn();  // warm up
    uint64_t t0 = guest::counter();
    for (int i = 0; i < kRounds; ++i) fn();
    uint64_t t1 = guest::counter();
    return (t1 - t0) / kRounds;
}

}  // namespace

int guest_main() {
    uint64_t empty = per_call([] { asm volatile("" ::: "memory"); });
    // Debug registers trap to EL2 and read as zero there, right in the trap
    // decoder: reading MDSCR_EL1 is the bare trap round trip.
    uint64_t bare = per_call([] {
        uint64_t v;
        asm volatile("mrs %0, mdscr_el1" : "=r"(v)::"memory");
    });
    uint64_t hvc = per_call([] { guest::hvc({{warden::abi::hc::kVersion, 0, 0, 0, 0, 0, 0, 0}}); });
    uint64_t smc = per_call([] { guest::smc({{warden::abi::hc::kVersion, 0, 0, 0, 0, 0, 0, 0}}); });
    uint64_t psci = per_call([] {
        guest::hvc({{warden::abi::psci::kVersion, 0, 0, 0, 0, 0, 0, 0}});
    });
    // With OP-TEE enabled for this guest: a mediated fast call, over the conduit
    // its device tree names.
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node >= 0) {
        const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
        bool use_smc = method && method[0] == 's';
        uint64_t optee = 0;
        if (use_smc) {
            optee = per_call([] {
                guest::smc({{warden::abi::optee::kGetOsRevision, 0, 0, 0, 0, 0, 0, 0}});
            });
        } else {
            optee = per_call([] {
                guest::hvc({{warden::abi::optee::kGetOsRevision, 0, 0, 0, 0, 0, 0, 0}});
            });
        }
        guest::print("bench: optee_get_os_revision_%s=%lu ticks/call", use_smc ? "smc" : "hvc",
                     optee - empty);
    }
    guest::print("bench: benchmark_guest_start=%lu ticks", guest::boot_counter());
    guest::print("bench: loop_overhead=%lu ticks/iteration", empty);
    guest::print("bench: bare_trap_roundtrip=%lu ticks/call", bare - empty);
    guest::print("bench: null_hypercall_hvc=%lu ticks/call", hvc - empty);
    guest::print("bench: null_hypercall_smc=%lu ticks/call", smc - empty);
    guest::print("bench: psci_version_hvc=%lu ticks/call", psci - empty);
    return 0;
}
