// SPDX-License-Identifier: Apache-2.0
// System-register accesses a guest makes that EL2 traps on purpose (debug, PMU,
// ACTLR_EL1): they are emulated here so that no guest can leave state in the
// hardware that another guest would see. docs/isolation.md has the policy.
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace warden::arm64 {

// MDCR_EL2, CPTR_EL2 and HCR_EL2 bits that route those accesses to EL2.
inline constexpr uint64_t kMdcrTpmcr = 1ull << 5;
inline constexpr uint64_t kMdcrTpm = 1ull << 6;
inline constexpr uint64_t kMdcrTda = 1ull << 9;
inline constexpr uint64_t kMdcrTdosa = 1ull << 10;
inline constexpr uint64_t kMdcrTdra = 1ull << 11;
inline constexpr uint64_t kCptrTta = 1ull << 20;
inline constexpr uint64_t kHcrTacr = 1ull << 21;

// Puts the debug and PMU hardware in a state no guest can change: breakpoints and
// watchpoints disabled, the OS lock set, counters stopped. Returns the MDCR_EL2
// value to install (traps plus HPMN = the number of counters).
uint64_t debug_pmu_init();

// Emulates a trapped MRS/MSR (ESR class 0x18). False if the register is not one
// Warden emulates: the caller then makes the guest take an Undefined Instruction.
// On success the access is complete and the guest's PC is past the instruction.
bool emulate_sysreg(Vcpu& vcpu, uint64_t esr);

}  // namespace warden::arm64
