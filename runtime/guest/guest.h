// SPDX-License-Identifier: Apache-2.0
// The runtime of Warden's bare-metal EL1 test guests: console output through the
// console hypercall, SMCCC calls over HVC or SMC, and exits through virtual PSCI.
// A scenario defines guest_main(); returning 0 powers the guest off, anything
// else (or check() failing) prints "FAIL" and crashes the domain on purpose so
// the platform's exit status records it.
#pragma once

#include <cstdint>

namespace guest {

struct Regs {
    uint64_t x[8];
};

// SMCCC call over HVC #0 or SMC #0: x0..x7 in, x0..x7 out (x4..x7 to check that
// the callee preserved them).
Regs hvc(const Regs& in);
Regs smc(const Regs& in);
Regs call(bool use_smc, const Regs& in);

void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void power_off();
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void yield();

inline uint64_t counter() {
    uint64_t v;
    asm volatile("isb\n mrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

// Counter value at the guest's first instruction.
uint64_t boot_counter();
const void* device_tree();
// /chosen/bootargs of the guest's device tree ("" if none).
const char* bootargs();
// Value of "key=value" in bootargs, copied into buf; false if absent.
bool bootarg(const char* key, char* buf, unsigned size);

// An exception the guest takes. `kind` is the vector index (0-3 current EL with
// SP_EL0, 4-7 with SP_EL1, 8-11 from EL0 AArch64, 12-15 from EL0 AArch32; sync,
// IRQ, FIQ, SError). A hook that handles it sets `elr` to where execution goes on
// and returns true; otherwise (or with no hook) the guest fails.
using ExceptionHook = bool (*)(unsigned kind, uint64_t esr, uint64_t& elr, uint64_t far);
void set_exception_hook(ExceptionHook hook);
inline constexpr unsigned kExcCurrentSync = 4;
inline constexpr unsigned kExcLowerA32Sync = 12;
inline uint32_t esr_class(uint64_t esr) {
    return static_cast<uint32_t>((esr >> 26) & 0x3f);
}

// The domctl hypercall on a struct in this guest's memory (MMU off: VA = IPA).
// Returns 0 or a negative errno.
int64_t domctl(void* op);

#define GUEST_CHECK(cond, ...)                                           \
    do {                                                                 \
        if (!(cond)) ::guest::fail("%s:%d: " #cond, __FILE__, __LINE__); \
    } while (0)

}  // namespace guest

int guest_main();
