// SPDX-License-Identifier: Apache-2.0
// Decodes EL2 traps and hands them to the arch-neutral policy in core/hv.
#include "arch/arm64/gic.h"
#include "arch/arm64/sysreg.h"
#include "arch/arm64/sysreg_trap.h"
#include "arch/arm64/vgic_cpu.h"
#include "core/hv.h"
#include "core/log.h"

namespace warden::arm64 {
namespace {

enum TrapKind : uint64_t { kSync = 0, kIrq = 1, kFiq = 2, kSerror = 3, kAarch32 = 4 };

// The one place a trapped instruction is stepped over (ESR.IL: 4 bytes, or 2
// for a 16-bit T32 one). HVC needs none: ELR is already past it.
void skip_instruction(Vcpu& v, uint64_t esr) {
    v.regs.pc += 2 + ((esr >> 24) & 2);  // IL is bit 25: branch-free on the call path
}

void handle_sync(Vcpu& v) {
    uint64_t esr = WARDEN_READ_SYSREG(esr_el2);
    auto ec = static_cast<uint32_t>((esr >> 26) & 0x3f);
    Hypervisor& h = hv();
    switch (ec) {
    case kEcHvc64:
        // ELR already points past the HVC. Only #0 is an SMCCC call on either
        // conduit; any other immediate is an undefined instruction, taken at it.
        if ((esr & 0xffff) != 0) {
            v.regs.pc -= 4;
            h.on_undefined(v, ec, esr);
            return;
        }
        h.on_call(v, smccc::Conduit::Hvc);
        return;
    case kEcSmc64:
        // A trapped SMC leaves ELR at the SMC itself.
        if ((esr & 0xffff) != 0) {
            h.on_undefined(v, ec, esr);
            return;
        }
        skip_instruction(v, esr);
        h.on_call(v, smccc::Conduit::Smc);
        return;
    case kEcSysReg:
        if (!emulate_sysreg(v, esr)) h.on_undefined(v, ec, esr);
        return;
    case kEcWfx:
        skip_instruction(v, esr);
        h.on_wait(v);
        return;
    case kEcDabtLow:
    case kEcIabtLow: {
        uint64_t hpfar = WARDEN_READ_SYSREG(hpfar_el2);
        uint64_t far = WARDEN_READ_SYSREG(far_el2);
        Ipa ipa(((hpfar >> 4) << 12) | (far & 0xfff));
        if (ec == kEcIabtLow) {
            h.on_instruction_abort(v, ipa);
        } else if (h.on_data_abort(v, esr, ipa, far)) {
            skip_instruction(v, esr);
        }
        // Its distributor or UART may have changed (or another vCPU runs now).
        vgic_sync(*hv().this_cpu().current);
        return;
    }
    default:
        h.on_undefined(v, ec, esr);
        return;
    }
}

void handle_irq(Vcpu& v) {
    uint32_t iar = gic_ack();
    uint32_t intid = iar & 0x3ff;
    if (intid == kSpuriousIntid) return;
    gic_eoi(iar);
    if (intid == kHypTimerIntid) {
        timer_arm(timer_slice_ticks());
        vtimer_wake_sleepers(&v);
        hv().on_tick();
        return;
    }
    if (intid == kVtimerIntid) {
        vtimer_fired(v);
        return;
    }
    if (intid == kMaintenanceIntid) return;  // the list registers are looked at on the way out
    WARDEN_LOG_WARN("unexpected interrupt %u", intid);
}

}  // namespace
}  // namespace warden::arm64

extern "C" void arm64_guest_trap(warden::Vcpu* v, uint64_t kind) {
    using namespace warden::arm64;
    ++v->traps;
    switch (kind) {
    case kSync:
        handle_sync(*v);
        break;
    case kIrq:
        handle_irq(*v);
        vgic_sync(*warden::hv().this_cpu().current);
        break;
    case kSerror:
        warden::hv().crash(*v->domain, "SError (esr 0x%lx)", WARDEN_READ_SYSREG(esr_el2));
        break;
    default:
        warden::hv().crash(*v->domain, "exception kind %lu not supported", kind);
        break;
    }
}
