// SPDX-License-Identifier: Apache-2.0
// vCPU state that lives in EL1 system registers and the stage-2 base register.
#include "core/vcpu.h"
#include "arch/arm64/sysreg.h"
#include "arch/arm64/vgic_cpu.h"
#include "core/arch.h"
#include "core/domain.h"

extern "C" void arm64_fpsimd_save(warden::FpRegs*);
extern "C" void arm64_fpsimd_load(const warden::FpRegs*);

namespace warden::arch {
namespace {

constexpr uint64_t kPstateEl1hMasked = 0x3c5;
constexpr uint64_t kSctlrEl1Reset = 0x30d00800;  // RES1 bits, MMU and caches off

void save_sys(El1SysRegs& s) {
    s.sctlr = WARDEN_READ_SYSREG(sctlr_el1);
    s.ttbr0 = WARDEN_READ_SYSREG(ttbr0_el1);
    s.ttbr1 = WARDEN_READ_SYSREG(ttbr1_el1);
    s.tcr = WARDEN_READ_SYSREG(tcr_el1);
    s.mair = WARDEN_READ_SYSREG(mair_el1);
    s.amair = WARDEN_READ_SYSREG(amair_el1);
    s.vbar = WARDEN_READ_SYSREG(vbar_el1);
    s.contextidr = WARDEN_READ_SYSREG(contextidr_el1);
    s.tpidr_el0 = WARDEN_READ_SYSREG(tpidr_el0);
    s.tpidrro_el0 = WARDEN_READ_SYSREG(tpidrro_el0);
    s.tpidr_el1 = WARDEN_READ_SYSREG(tpidr_el1);
    s.sp_el0 = WARDEN_READ_SYSREG(sp_el0);
    s.sp_el1 = WARDEN_READ_SYSREG(sp_el1);
    s.elr_el1 = WARDEN_READ_SYSREG(elr_el1);
    s.spsr_el1 = WARDEN_READ_SYSREG(spsr_el1);
    s.esr = WARDEN_READ_SYSREG(esr_el1);
    s.far = WARDEN_READ_SYSREG(far_el1);
    s.afsr0 = WARDEN_READ_SYSREG(afsr0_el1);
    s.afsr1 = WARDEN_READ_SYSREG(afsr1_el1);
    s.par = WARDEN_READ_SYSREG(par_el1);
    s.cpacr = WARDEN_READ_SYSREG(cpacr_el1);
    s.csselr = WARDEN_READ_SYSREG(csselr_el1);
    s.cntkctl = WARDEN_READ_SYSREG(cntkctl_el1);
    s.cntv_ctl = WARDEN_READ_SYSREG(cntv_ctl_el0);
    s.cntv_cval = WARDEN_READ_SYSREG(cntv_cval_el0);
}

void load_sys(const El1SysRegs& s) {
    WARDEN_WRITE_SYSREG(sctlr_el1, s.sctlr);
    WARDEN_WRITE_SYSREG(ttbr0_el1, s.ttbr0);
    WARDEN_WRITE_SYSREG(ttbr1_el1, s.ttbr1);
    WARDEN_WRITE_SYSREG(tcr_el1, s.tcr);
    WARDEN_WRITE_SYSREG(mair_el1, s.mair);
    WARDEN_WRITE_SYSREG(amair_el1, s.amair);
    WARDEN_WRITE_SYSREG(vbar_el1, s.vbar);
    WARDEN_WRITE_SYSREG(contextidr_el1, s.contextidr);
    WARDEN_WRITE_SYSREG(tpidr_el0, s.tpidr_el0);
    WARDEN_WRITE_SYSREG(tpidrro_el0, s.tpidrro_el0);
    WARDEN_WRITE_SYSREG(tpidr_el1, s.tpidr_el1);
    WARDEN_WRITE_SYSREG(sp_el0, s.sp_el0);
    WARDEN_WRITE_SYSREG(sp_el1, s.sp_el1);
    WARDEN_WRITE_SYSREG(elr_el1, s.elr_el1);
    WARDEN_WRITE_SYSREG(spsr_el1, s.spsr_el1);
    WARDEN_WRITE_SYSREG(esr_el1, s.esr);
    WARDEN_WRITE_SYSREG(far_el1, s.far);
    WARDEN_WRITE_SYSREG(afsr0_el1, s.afsr0);
    WARDEN_WRITE_SYSREG(afsr1_el1, s.afsr1);
    WARDEN_WRITE_SYSREG(par_el1, s.par);
    WARDEN_WRITE_SYSREG(cpacr_el1, s.cpacr);
    WARDEN_WRITE_SYSREG(csselr_el1, s.csselr);
    WARDEN_WRITE_SYSREG(cntkctl_el1, s.cntkctl);
    WARDEN_WRITE_SYSREG(cntv_cval_el0, s.cntv_cval);
    WARDEN_WRITE_SYSREG(cntv_ctl_el0, s.cntv_ctl);
    WARDEN_WRITE_SYSREG(vmpidr_el2, s.vmpidr);
}

}  // namespace

void vcpu_reset(Vcpu& v, Ipa entry, uint64_t arg) {
    v.regs = GuestRegs{};
    v.regs.x[0] = arg;
    v.regs.pc = entry.value();
    v.regs.pstate = kPstateEl1hMasked;
    v.sys = El1SysRegs{};
    v.sys.sctlr = kSctlrEl1Reset;
    v.sys.vmpidr = (uint64_t{1} << 31) | v.index;  // RES1 | Aff0 = vCPU index
    v.sys.os_lock = 1;                             // locked at reset, as on hardware
    v.fp = FpRegs{};
}

void vcpu_switch(Vcpu* from, Vcpu& to) {
    if (from) {
        save_sys(from->sys);
        arm64_fpsimd_save(&from->fp);
        arm64::vgic_save(*from);
    }
    WARDEN_WRITE_SYSREG(cntvoff_el2, to.domain->cntvoff());
    load_sys(to.sys);
    arm64_fpsimd_load(&to.fp);
    arm64::vgic_load(to);
    arm64::vgic_sync(to);
    const Domain& d = *to.domain;
    WARDEN_WRITE_SYSREG(vttbr_el2, (uint64_t{d.vmid()} << 48) | d.stage2().root().value());
    arm64::isb();
}

namespace {

constexpr uint64_t kEsrIl = uint64_t{1} << 25;  // a 32-bit instruction

bool at_el1(const Vcpu& v) {
    const uint64_t mode = v.regs.pstate & 0x1f;
    return mode == 0x4 || mode == 0x5;  // EL1t, EL1h
}

// Enters the guest's synchronous exception vector with `esr`, as the CPU does.
// The vCPU taking it is the running one, so its EL1 registers are live.
void take_sync_exception(Vcpu& v, uint64_t vbar, uint64_t esr) {
    // Vector offset: current EL with SP_EL0 0x000, with SP_EL1 0x200; from EL0
    // 0x400 when it runs AArch64, 0x600 when AArch32 (PSTATE.nRW, bit 4).
    uint64_t mode = v.regs.pstate & 0x1f;
    uint64_t offset = mode == 0x5 ? 0x200 : (mode == 0x4 ? 0x000 : 0x400);
    if (mode & 0x10) offset = 0x600;
    WARDEN_WRITE_SYSREG(esr_el1, esr);
    WARDEN_WRITE_SYSREG(elr_el1, v.regs.pc);
    WARDEN_WRITE_SYSREG(spsr_el1, v.regs.pstate);
    v.regs.pstate = kPstateEl1hMasked;
    v.regs.pc = vbar + offset;
}

}  // namespace

void inject_undef(Vcpu& v) {
    take_sync_exception(v, WARDEN_READ_SYSREG(vbar_el1), kEsrIl);  // EC 0: unknown reason
}

bool inject_data_abort(Vcpu& v, uint64_t va, bool write) {
    const uint64_t vbar = WARDEN_READ_SYSREG(vbar_el1);
    if (at_el1(v) && v.regs.pc - vbar < 0x800) return false;
    // EC 0x25 when taken without a change of level (from EL1), 0x24 from EL0;
    // DFSC 0x10: synchronous external abort, not on a table walk.
    const uint64_t ec = at_el1(v) ? 0x25 : 0x24;
    const uint64_t wnr = write ? uint64_t{1} << 6 : 0;
    WARDEN_WRITE_SYSREG(far_el1, va);
    take_sync_exception(v, vbar, (ec << 26) | kEsrIl | wnr | 0x10);
    return true;
}

int map_guest_gic(Domain& d) {
    return d.stage2().map(Ipa(abi::kGuestGiccBase), Pa(arm64::gicv_base()), abi::kGuestGiccSize,
                          S2Attr::DeviceRw);
}

void stage2_flush(const Domain& d) {
    uint64_t saved = WARDEN_READ_SYSREG(vttbr_el2);
    WARDEN_WRITE_SYSREG(vttbr_el2, uint64_t{d.vmid()} << 48);
    arm64::isb();
    asm volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
    WARDEN_WRITE_SYSREG(vttbr_el2, saved);
    arm64::isb();
}

}  // namespace warden::arch
