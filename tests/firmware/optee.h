// SPDX-License-Identifier: Apache-2.0
// The Trusted OS and Trusted Application owner ranges (48-63): the OP-TEE model
// (optee/model.h) answers them, configured at launch; with no TEE every call gets
// NOT_SUPPORTED, as from firmware without a Trusted OS.
#pragma once

#include "smc.h"

namespace warden::fw::optee {

// Sets up the model before the normal world runs. trace: one console line per call.
void configure(bool present, uint32_t guest_limit, bool trace, bool bench = false);
// With tee-bench: prints the model's cheapest cost per kind of call.
void report_bench();
// The normal world's RAM, where the model reads and writes messages (the
// firmware runs with its MMU off: the secure address space sees it 1:1).
void set_normal_ram(uint64_t base, uint64_t end);

// Takes x0..x7 (w7 = client ID for OP-TEE's virtualization ABI), writes x0..x3.
void handle(SmcRegs& regs);

}  // namespace warden::fw::optee
