// SPDX-License-Identifier: Apache-2.0
// The machine around the hypervisor: console, physical memory access, and the
// secure-world firmware's platform services.
#include "warden/platform.h"
#include "arch/arm64/pl011.h"
#include "core/arch.h"
#include "core/log.h"
#include "core/phys.h"
#include "warden/psci.h"

namespace warden {

void* phys_to_virt(Pa pa) {
    return reinterpret_cast<void*>(pa.value());
}

namespace arch {

void console_write(const char* s, size_t n) {
    arm64::pl011_write(s, n);
}

namespace {

uint64_t firmware_call(uint64_t id, uint64_t arg) {
    register uint64_t x0 asm("x0") = id;
    register uint64_t x1 asm("x1") = arg;
    asm volatile("smc #0" : "+r"(x0), "+r"(x1)::"x2", "x3", "memory");
    return x0;
}

}  // namespace

uint64_t counter() {
    uint64_t v;
    asm volatile("isb\n mrs %0, cntpct_el0" : "=r"(v)::"memory");
    return v;
}

void secure_call(SecureRegs& regs) {
    register uint64_t x0 asm("x0") = regs.x[0];
    register uint64_t x1 asm("x1") = regs.x[1];
    register uint64_t x2 asm("x2") = regs.x[2];
    register uint64_t x3 asm("x3") = regs.x[3];
    register uint64_t x4 asm("x4") = regs.x[4];
    register uint64_t x5 asm("x5") = regs.x[5];
    register uint64_t x6 asm("x6") = regs.x[6];
    register uint64_t x7 asm("x7") = regs.x[7];
    asm volatile("smc #0"
                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7)
                 :
                 : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    regs = SecureRegs{{x0, x1, x2, x3, x4, x5, x6, x7}};
}

void secure_forward(const uint64_t* args, uint64_t client, uint64_t out[4]) {
    register uint64_t x0 asm("x0") = static_cast<uint32_t>(args[0]);  // w0: the function ID
    register uint64_t x1 asm("x1") = args[1];
    register uint64_t x2 asm("x2") = args[2];
    register uint64_t x3 asm("x3") = args[3];
    register uint64_t x4 asm("x4") = args[4];
    register uint64_t x5 asm("x5") = args[5];
    register uint64_t x6 asm("x6") = args[6];
    register uint64_t x7 asm("x7") = client;
    asm volatile("smc #0"
                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7)
                 :
                 : "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    out[0] = x0;
    out[1] = x1;
    out[2] = x2;
    out[3] = x3;
}

void platform_exit(uint32_t status) {
    firmware_call(abi::platform::kExit, status);
    // Firmware without Warden's exit call (TF-A, say): power off, status lost.
    log(LogLevel::Info, "platform exit status %u; powering off", status);
    firmware_call(abi::psci::kSystemOff, 0);
    for (;;) asm volatile("wfi");
}

}  // namespace arch
}  // namespace warden
