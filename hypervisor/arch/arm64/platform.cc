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

void platform_exit(uint32_t status) {
    firmware_call(abi::platform::kExit, status);
    // Firmware without Warden's exit call (TF-A, say): power off, status lost.
    log(LogLevel::Info, "platform exit status %u; powering off", status);
    firmware_call(abi::psci::kSystemOff, 0);
    for (;;) asm volatile("wfi");
}

}  // namespace arch
}  // namespace warden
