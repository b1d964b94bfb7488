// SPDX-License-Identifier: Apache-2.0
// Per-CPU control state: what EL3 sets up for itself at reset and what it leaves for
// the normal world when a CPU enters it.
#pragma once

#include <cstdint>

namespace warden::fw::cpu {

// MPIDR.Aff0: entry.S stops any CPU whose other affinity fields are set or whose
// Aff0 is not below board::kMaxCpus, so this is the index into every per-CPU array.
unsigned index();
uint64_t stack_top(unsigned cpu);

// Vectors, secure configuration (SCR_EL3 etc.) and the counter frequency. Touches no
// RAM or devices: secondaries run it before the primary has checked the platform and
// initialised the firmware's memory.
void init_el3();

// Enters the normal world at `entry` with x0 = `arg`, at EL2 or EL1, with the MMU off
// and DAIF masked, and with this CPU's EL3 stack empty for the next SMC.
[[noreturn]] void enter_normal_world(unsigned cpu, uint64_t entry, unsigned el, uint64_t arg);

// Abandons the current EL3 stack (e.g. CPU_OFF from inside an SMC) and runs fn(cpu)
// from the top of this CPU's stack.
[[noreturn]] void restart_on_own_stack(unsigned cpu, void (*fn)(unsigned));

}  // namespace warden::fw::cpu
