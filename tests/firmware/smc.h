// SPDX-License-Identifier: Apache-2.0
// SMCCC calls from the normal world (EL2, or EL1 if the hypervisor lets them through):
// the saved register frame and the dispatcher that routes a call by its owner.
#pragma once

#include <cstddef>
#include <cstdint>

#include "layout.h"
#include "warden/smccc.h"

namespace warden::fw {

// Everything the exception entry saves (vectors.S keeps the same layout). Handlers read
// arguments with arg() and write results into x[0..3]; every other register goes back
// to the caller as it came.
struct SmcRegs {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    // w0 at entry, kept apart from x[0] so that it still describes the call after a
    // handler has written its result there.
    uint32_t function_id;
    uint32_t unused[3];

    uint32_t id() const { return function_id; }
    bool smc64() const { return id() & abi::smccc::kSmc64Bit; }
    // An SMC32 call passes 32-bit arguments: the upper halves are not the caller's.
    uint64_t arg(unsigned n) const { return smc64() ? x[n] : static_cast<uint32_t>(x[n]); }
    bool caller_aarch32() const { return spsr & (1u << 4); }
    // The exception level an AArch64 caller called from (1 or 2).
    unsigned caller_el() const { return (spsr >> 2) & 3; }

    void set_result(int64_t v) { x[0] = static_cast<uint64_t>(v); }
    void set_results(uint64_t r0, uint64_t r1, uint64_t r2, uint64_t r3) {
        x[0] = r0;
        x[1] = r1;
        x[2] = r2;
        x[3] = r3;
    }
};
static_assert(sizeof(SmcRegs) == FW_FRAME_SIZE && sizeof(SmcRegs) % 16 == 0);
static_assert(offsetof(SmcRegs, elr) == 248);

// Handles the call in `regs` (sets function_id from x0) and writes x0..x3. SMC32 results are
// zero-extended, as callers compare whole registers (an unknown SMC32 call gets
// 0x00000000ffffffff).
void smc_dispatch(SmcRegs& regs);

}  // namespace warden::fw
