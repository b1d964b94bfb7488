// SPDX-License-Identifier: Apache-2.0
#include "psci.h"

#include <atomic>

#include "arch.h"
#include "board.h"
#include "console.h"
#include "cpu.h"
#include "optee.h"
#include "platform.h"
#include "warden/platform.h"
#include "warden/psci.h"
#include "warden/smccc.h"

namespace warden::fw::psci {
namespace {

namespace spec = warden::abi::psci;

enum State : uint32_t { kOff = 0, kOnPending = 1, kOn = 2 };

// The CPU_ON caller fills entry/el/context and then publishes them with a release
// store of kOnPending; the parked CPU reads them after its acquire load sees it.
struct Mailbox {
    std::atomic<uint32_t> state{kOff};
    uint32_t el = 0;
    uint64_t entry = 0;
    uint64_t context = 0;
};

Mailbox g_cpus[board::kMaxCpus];
Config g_config;
// Serialises state changes that depend on other CPUs' states (CPU_ON, CPU_OFF).
Spinlock g_lock;

constexpr uint64_t kAffinityMask = 0xff00ffffffull;  // Aff3 | Aff2 | Aff1 | Aff0
constexpr uint32_t kPowerStateType = 1u << 16;       // 1 = power down
constexpr uint32_t kPowerStateLevel = 3u << 24;

// Index of the CPU an MPIDR names, or -1 if no such CPU exists.
int cpu_of(uint64_t mpidr) {
    if (mpidr & ~kAffinityMask) return -1;
    if (mpidr >= g_config.cpu_count) return -1;  // only cluster 0 exists
    return static_cast<int>(mpidr);
}

int32_t cpu_on(const SmcRegs& regs) {
    const int cpu = cpu_of(regs.arg(1));
    const uint64_t entry = regs.arg(2);
    if (cpu < 0) return spec::kInvalidParameters;
    if ((entry & 3) || entry < g_config.ram_base || entry >= g_config.ram_end) {
        return spec::kInvalidAddress;
    }
    // The new CPU starts in the caller's execution state; only AArch64 is offered.
    if (regs.caller_aarch32()) return spec::kInternalFailure;
    Mailbox& mb = g_cpus[cpu];
    {
        LockGuard guard(g_lock);
        switch (mb.state.load(std::memory_order_relaxed)) {
        case kOn:
            return spec::kAlreadyOn;
        case kOnPending:
            return spec::kOnPending;
        default:
            break;
        }
        mb.entry = entry;
        mb.context = regs.arg(3);
        // PSCI: the CPU starts at the exception level of the caller.
        mb.el = regs.caller_el();
        mb.state.store(kOnPending, std::memory_order_release);
    }
    send_event();
    return spec::kSuccess;
}

void park_entry(unsigned cpu) {
    park(cpu);
}

int32_t cpu_off() {
    const unsigned self = cpu::index();
    {
        LockGuard guard(g_lock);
        unsigned others_on = 0;
        for (unsigned i = 0; i < g_config.cpu_count; ++i) {
            if (i != self && g_cpus[i].state.load(std::memory_order_relaxed) != kOff) {
                ++others_on;
            }
        }
        // Nothing could ever turn the system's last CPU back on.
        if (others_on == 0) return spec::kDenied;
        g_cpus[self].state.store(kOff, std::memory_order_release);
    }
    cpu::restart_on_own_stack(self, park_entry);
}

int32_t affinity_info(const SmcRegs& regs) {
    const int cpu = cpu_of(regs.arg(1));
    if (cpu < 0 || regs.arg(2) != 0) return spec::kInvalidParameters;
    switch (g_cpus[cpu].state.load(std::memory_order_acquire)) {
    case kOn:
        return spec::kAffinityOn;
    case kOnPending:
        return spec::kAffinityOnPending;
    default:
        return spec::kAffinityOff;
    }
}

// Only standby (the CPU stays powered and returns here) is offered; a power-down
// state would need the CPU to come back through a new entry point.
int32_t cpu_suspend(const SmcRegs& regs) {
    const uint32_t state = static_cast<uint32_t>(regs.arg(1));
    if (state & (kPowerStateType | kPowerStateLevel)) return spec::kInvalidParameters;
    wait_for_interrupt();
    return spec::kSuccess;
}

[[noreturn]] void system_off() {
    optee::report_bench();
    if (platform::test_mode()) platform::exit(0);
    platform::power_off();
    console::log("error: SYSTEM_OFF: the machine did not power off");
    platform::halt(warden::abi::platform::kExitFirmwareFault);
}

[[noreturn]] void system_reset() {
    platform::reset();
    console::log("error: SYSTEM_RESET: the machine did not reset");
    platform::halt(warden::abi::platform::kExitFirmwareFault);
}

bool implemented(uint32_t id) {
    switch (id) {
    case spec::kVersion:
    case spec::kCpuSuspend:
    case spec::kCpuSuspend32:
    case spec::kCpuOff:
    case spec::kCpuOn:
    case spec::kCpuOn32:
    case spec::kAffinityInfo:
    case spec::kAffinityInfo32:
    case spec::kMigrateInfoType:
    case spec::kSystemOff:
    case spec::kSystemReset:
    case spec::kFeatures:
    // Callers discover SMCCC v1.1 by asking PSCI_FEATURES about SMCCC_VERSION.
    case warden::abi::smccc::kVersion:
        return true;
    default:
        return false;
    }
}

}  // namespace

void init(const Config& config) {
    g_config = config;
    for (unsigned i = 0; i < board::kMaxCpus; ++i) g_cpus[i].state.store(kOff);
    g_cpus[config.boot_cpu].state.store(kOn);
}

void handle(SmcRegs& regs) {
    int32_t result;
    switch (regs.id()) {
    case spec::kVersion:
        result = spec::kVersion1_1;
        break;
    case spec::kFeatures:
        // For CPU_SUSPEND the answer is its feature flags: original power_state format,
        // no OS-initiated mode, i.e. also 0.
        result =
            implemented(static_cast<uint32_t>(regs.arg(1))) ? spec::kSuccess : spec::kNotSupported;
        break;
    case spec::kCpuSuspend:
    case spec::kCpuSuspend32:
        result = cpu_suspend(regs);
        break;
    case spec::kCpuOff:
        result = cpu_off();
        break;
    case spec::kCpuOn:
    case spec::kCpuOn32:
        result = cpu_on(regs);
        break;
    case spec::kAffinityInfo:
    case spec::kAffinityInfo32:
        result = affinity_info(regs);
        break;
    case spec::kMigrateInfoType:
        result = spec::kMigrateNotRequired;
        break;
    case spec::kSystemOff:
        system_off();
    case spec::kSystemReset:
        system_reset();
    default:
        result = spec::kNotSupported;
    }
    regs.set_result(result);
}

void park(unsigned cpu) {
    Mailbox& mb = g_cpus[cpu];
    while (mb.state.load(std::memory_order_acquire) != kOnPending) cpu_relax();
    const uint64_t entry = mb.entry;
    const uint64_t context = mb.context;
    const unsigned el = mb.el;
    mb.state.store(kOn, std::memory_order_release);
    cpu::enter_normal_world(cpu, entry, el, context);
}

}  // namespace warden::fw::psci
