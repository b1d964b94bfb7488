// SPDX-License-Identifier: Apache-2.0
// PSCI 1.1 for the normal world: CPU power states kept in a mailbox per CPU, which
// parked CPUs watch.
#pragma once

#include <cstdint>

#include "smc.h"

namespace warden::fw::psci {

struct Config {
    unsigned cpu_count;  // CPUs 0..cpu_count-1 exist
    unsigned boot_cpu;   // already on: it enters the hypervisor
    uint64_t ram_base;   // CPU_ON entry points must be in [ram_base, ram_end)
    uint64_t ram_end;
};

// Called by the primary CPU before the secondaries are released.
void init(const Config& config);

void handle(SmcRegs& regs);

// Waits until a CPU_ON for this CPU, then enters the normal world. Secondaries come
// here after release; a CPU that called CPU_OFF comes back here.
[[noreturn]] void park(unsigned cpu);

}  // namespace warden::fw::psci
