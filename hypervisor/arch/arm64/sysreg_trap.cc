// SPDX-License-Identifier: Apache-2.0
// Guests see a debug unit with nothing they can arm and a PMU with no counters:
// every debug and PMU register access traps (MDCR_EL2.TDA/TDOSA/TDRA/TPM/TPMCR)
// and reads as zero, writes are ignored. The hardware keeps the values set here at
// boot, so a breakpoint, watchpoint, single-step or counter one guest asks for
// never exists, and there is nothing to switch between guests. The only state kept
// is the OS lock bit each vCPU sees in OSLSR_EL1 (what it last wrote to OSLAR_EL1).
#include "arch/arm64/sysreg_trap.h"

#include "arch/arm64/sysreg.h"

namespace warden::arm64 {
namespace {

// The fields of an ESR_EL2 ISS for class 0x18 (MSR, MRS from AArch64).
struct SysregAccess {
    unsigned op0, op1, crn, crm, op2, rt;
    bool read;

    static SysregAccess decode(uint64_t esr) {
        return SysregAccess{
            static_cast<unsigned>((esr >> 20) & 3),
            static_cast<unsigned>((esr >> 14) & 7),
            static_cast<unsigned>((esr >> 10) & 15),
            static_cast<unsigned>((esr >> 1) & 15),
            static_cast<unsigned>((esr >> 17) & 7),
            static_cast<unsigned>((esr >> 5) & 31),
            (esr & 1) != 0,
        };
    }
    bool is(unsigned o0, unsigned o1, unsigned n, unsigned m, unsigned o2) const {
        return op0 == o0 && op1 == o1 && crn == n && crm == m && op2 == o2;
    }
};

// OSLSR_EL1: OSLM = 0b10 (OS lock implemented, AArch64 style), OSLK in bit 1.
constexpr uint64_t kOslsrOslm = 1u << 3;

// Debug registers a guest at EL1 or EL0 can name: op0 = 2 with op1 0 (EL1) or 3
// (EL0: MDCCSR_EL0 and the DCC registers).
bool is_debug(const SysregAccess& a) {
    return a.op0 == 2 && (a.op1 == 0 || a.op1 == 3);
}

// PMUv3: PMCR_EL0 .. PMCEID1_EL0, PMCCNTR/PMXEV*, PMUSERENR/PMOVSSET (op1 3,
// CRn 9, CRm 12-14), PMINTENSET/CLR_EL1 and PMMIR_EL1 (op1 0, CRn 9, CRm 14), and
// the event counters and PMCCFILTR_EL0 (op1 3, CRn 14, CRm 8-15).
bool is_pmu(const SysregAccess& a) {
    if (a.op0 != 3) return false;
    if (a.op1 == 3 && a.crn == 9 && a.crm >= 12 && a.crm <= 14) return true;
    if (a.op1 == 0 && a.crn == 9 && a.crm == 14) return true;
    return a.op1 == 3 && a.crn == 14 && a.crm >= 8;
}

bool is_actlr_el1(const SysregAccess& a) {
    return a.is(3, 0, 1, 0, 1);
}

void clear_breakpoint(unsigned n) {
#define WARDEN_CLEAR_BP(i)                                                                  \
    case i:                                                                                 \
        asm volatile("msr dbgbcr" #i "_el1, xzr\n msr dbgbvr" #i "_el1, xzr" ::: "memory"); \
        return;
    switch (n) {
        WARDEN_CLEAR_BP(0)
        WARDEN_CLEAR_BP(1)
        WARDEN_CLEAR_BP(2)
        WARDEN_CLEAR_BP(3)
        WARDEN_CLEAR_BP(4)
        WARDEN_CLEAR_BP(5)
        WARDEN_CLEAR_BP(6)
        WARDEN_CLEAR_BP(7)
        WARDEN_CLEAR_BP(8)
        WARDEN_CLEAR_BP(9)
        WARDEN_CLEAR_BP(10)
        WARDEN_CLEAR_BP(11)
        WARDEN_CLEAR_BP(12)
        WARDEN_CLEAR_BP(13)
        WARDEN_CLEAR_BP(14)
        WARDEN_CLEAR_BP(15)
    default:
        return;
    }
#undef WARDEN_CLEAR_BP
}

void clear_watchpoint(unsigned n) {
#define WARDEN_CLEAR_WP(i)                                                                  \
    case i:                                                                                 \
        asm volatile("msr dbgwcr" #i "_el1, xzr\n msr dbgwvr" #i "_el1, xzr" ::: "memory"); \
        return;
    switch (n) {
        WARDEN_CLEAR_WP(0)
        WARDEN_CLEAR_WP(1)
        WARDEN_CLEAR_WP(2)
        WARDEN_CLEAR_WP(3)
        WARDEN_CLEAR_WP(4)
        WARDEN_CLEAR_WP(5)
        WARDEN_CLEAR_WP(6)
        WARDEN_CLEAR_WP(7)
        WARDEN_CLEAR_WP(8)
        WARDEN_CLEAR_WP(9)
        WARDEN_CLEAR_WP(10)
        WARDEN_CLEAR_WP(11)
        WARDEN_CLEAR_WP(12)
        WARDEN_CLEAR_WP(13)
        WARDEN_CLEAR_WP(14)
        WARDEN_CLEAR_WP(15)
    default:
        return;
    }
#undef WARDEN_CLEAR_WP
}

}  // namespace

uint64_t debug_pmu_init() {
    // Reset values of these registers are UNKNOWN on hardware: define them.
    uint64_t dfr0 = WARDEN_READ_SYSREG(id_aa64dfr0_el1);
    unsigned brps = static_cast<unsigned>((dfr0 >> 12) & 15) + 1;
    unsigned wrps = static_cast<unsigned>((dfr0 >> 20) & 15) + 1;
    for (unsigned i = 0; i < brps; ++i) clear_breakpoint(i);
    for (unsigned i = 0; i < wrps; ++i) clear_watchpoint(i);
    WARDEN_WRITE_SYSREG(mdscr_el1, 0);
    WARDEN_WRITE_SYSREG(oslar_el1, 1);  // OS lock on: no debug exceptions but BRK
    isb();

    uint64_t hpmn = 0;
    bool has_pmu = ((dfr0 >> 8) & 15) != 0 && ((dfr0 >> 8) & 15) != 15;
    if (has_pmu) {
        WARDEN_WRITE_SYSREG(pmcr_el0, 0);  // counters off
        WARDEN_WRITE_SYSREG(pmcntenclr_el0, ~uint64_t{0});
        WARDEN_WRITE_SYSREG(pmintenclr_el1, ~uint64_t{0});
        WARDEN_WRITE_SYSREG(pmovsclr_el0, ~uint64_t{0});
        WARDEN_WRITE_SYSREG(pmuserenr_el0, 0);
        WARDEN_WRITE_SYSREG(pmccfiltr_el0, 0);
        hpmn = (WARDEN_READ_SYSREG(pmcr_el0) >> 11) & 31;
    }
    return kMdcrTpmcr | kMdcrTpm | kMdcrTda | kMdcrTdosa | kMdcrTdra | hpmn;
}

bool emulate_sysreg(Vcpu& vcpu, uint64_t esr) {
    SysregAccess a = SysregAccess::decode(esr);
    uint64_t value = 0;
    if (is_debug(a)) {
        if (a.is(2, 0, 1, 0, 4) && !a.read) {  // OSLAR_EL1
            uint64_t v = a.rt == 31 ? 0 : vcpu.regs.x[a.rt];
            vcpu.sys.os_lock = v & 1;
        } else if (a.is(2, 0, 1, 1, 4)) {  // OSLSR_EL1
            value = kOslsrOslm | (vcpu.sys.os_lock << 1);
        }
    } else if (!is_pmu(a) && !is_actlr_el1(a)) {
        return false;
    }
    if (a.read && a.rt != 31) vcpu.regs.x[a.rt] = value;
    vcpu.regs.pc += 4;
    return true;
}

}  // namespace warden::arm64
