// SPDX-License-Identifier: Apache-2.0
// The narrow interface the arch-neutral core needs from the architecture port.
// arch/arm64 implements it for the real machine; host unit tests provide a fake.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace warden {
struct Vcpu;
class Domain;
}  // namespace warden

namespace warden::arch {

// Writes raw bytes to the hypervisor's console.
void console_write(const char* s, size_t n);
// Ends the platform with a status (see warden/platform.h). Does not return.
[[noreturn]] void platform_exit(uint32_t status);
// Puts a vCPU into its architectural reset state, to enter at `entry` (EL1, MMU
// off, interrupts masked) with x0 = `arg`.
void vcpu_reset(Vcpu& vcpu, Ipa entry, uint64_t arg);
// Saves the EL1 state of `from` (if any) and loads `to`'s, including its stage-2.
void vcpu_switch(Vcpu* from, Vcpu& to);
// Makes the guest take an Undefined Instruction exception at its current PC.
void inject_undef(Vcpu& vcpu);
// Makes the guest take a synchronous external abort for its data access at
// virtual address `va` (the instruction at its current PC). False, with nothing
// changed, when the guest cannot take it: the access is in its own exception
// vectors, which would fault again for ever.
bool inject_data_abort(Vcpu& vcpu, uint64_t va, bool write);
// Maps the hardware's virtual GIC CPU interface at the domain's GICC address
// (kGuestGiccBase). 0 or a negative errno.
int map_guest_gic(Domain& domain);
// Forgets cached stage-2 translations of a domain (after unmapping).
void stage2_flush(const Domain& domain);

// The free-running system counter (for measurements only).
uint64_t counter();

// An SMC to the secure world, in place: x0..x7 in, then x0..x7 as the secure
// world left them.
struct SecureRegs {
    uint64_t x[8];
};
void secure_call(SecureRegs& regs);
// The mediators' fast path: forwards a call to the secure world with w0 and
// x1..x6 taken from `args` (a guest's saved x0..x6) and x7 = `client`, and
// stores the secure world's x0..x3 in `out`.
void secure_forward(const uint64_t* args, uint64_t client, uint64_t out[4]);

}  // namespace warden::arch
