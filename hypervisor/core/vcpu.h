// SPDX-License-Identifier: Apache-2.0
// A virtual CPU: the guest's general registers (saved and restored by the trap
// entry code), its EL1 system registers (swapped on context switch) and its state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace warden {

class Domain;

// Layout shared with arch/arm64/vectors.S: x0..x30, then PC (ELR_EL2), then PSTATE
// (SPSR_EL2). Do not reorder.
struct GuestRegs {
    uint64_t x[31];
    uint64_t pc;
    uint64_t pstate;
};
static_assert(sizeof(GuestRegs) == 33 * 8);

// EL1 state that belongs to the guest and is swapped with it.
struct El1SysRegs {
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr_el1, spsr_el1;
    uint64_t esr, far, afsr0, afsr1, par, cpacr, csselr, cntkctl, cntv_ctl, cntv_cval;
    uint64_t vmpidr;
    // Emulated, never loaded into the hardware: the OS lock bit the guest last
    // wrote to OSLAR_EL1 (debug registers trap; see arch/arm64/sysreg_trap.cc).
    uint64_t os_lock;
};

// FP/SIMD registers: q0..q31, FPSR, FPCR. The hypervisor itself never uses them
// (it is built with general registers only), so they are swapped only between guests.
struct alignas(16) FpRegs {
    uint64_t q[64];
    uint64_t fpsr, fpcr;
};

// The vCPU's side of the virtual GIC CPU interface (the hardware's list
// registers, VMCR and APR), kept while another vCPU runs.
struct GicCpuState {
    static constexpr unsigned kLrs = 4;
    uint32_t lr[kLrs];
    uint32_t vmcr;
    uint32_t apr;
    uint32_t lrs_used;     // list registers holding one of its interrupts
    uint64_t seen;         // the distributor generation last looked at
    bool vtimer_inflight;  // its virtual timer interrupt is raised, not yet EOIed
};

enum class VcpuState : uint8_t {
    Off,       // never started, CPU_OFF, or its domain has stopped
    Runnable,  // may be scheduled
    Paused,    // held by the control domain
};

struct Vcpu {
    GuestRegs regs;  // must stay the first member: vectors.S saves into it
    El1SysRegs sys;
    FpRegs fp;
    Domain* domain = nullptr;
    uint16_t index = 0;
    VcpuState state = VcpuState::Off;
    uint64_t traps = 0;  // every exit to the hypervisor, for diagnostics
    GicCpuState gic{};
    // A domain this vCPU's kCreateDomain has begun and not finished (domctl.h).
    Domain* domctl_building = nullptr;
};
static_assert(offsetof(Vcpu, regs) == 0);

}  // namespace warden
