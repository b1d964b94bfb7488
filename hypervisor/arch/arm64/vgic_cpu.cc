// SPDX-License-Identifier: Apache-2.0
// The virtual GIC CPU interface: GICv2's hypervisor interface (GICH) holds, in
// list registers, the interrupts the domain's distributor model (core/vgic.h)
// picked for the running vCPU; the guest acknowledges and ends them through
// GICV, mapped at its GICC address, without trapping. Also the virtual timer:
// its physical PPI comes to EL2 and becomes the vCPU's virtual PPI 27.
#include "arch/arm64/vgic_cpu.h"

#include "arch/arm64/gic.h"
#include "arch/arm64/sysreg.h"
#include "core/domain.h"
#include "core/hv.h"
#include "core/initcall.h"
#include "core/log.h"

namespace warden::arm64 {
namespace {

// GICH registers (GICv2 architecture specification, 5.3).
constexpr uint64_t kGichHcr = 0x000;
constexpr uint64_t kGichVtr = 0x004;
constexpr uint64_t kGichVmcr = 0x008;
constexpr uint64_t kGichApr = 0x0f0;
constexpr uint64_t kGichLr = 0x100;
constexpr uint32_t kHcrEn = 1u << 0;
constexpr uint32_t kHcrUie = 1u << 1;  // maintenance when (almost) no list register is in use
constexpr uint32_t kLrPending = 1u << 28;
constexpr uint32_t kLrEoi = 1u << 19;  // maintenance when the guest deactivates it

uint64_t g_gich = 0x08030000;
uint64_t g_gicv = 0x08040000;
unsigned g_lrs = 0;  // list registers used (the hardware's, at most GicCpuState::kLrs)

uint32_t lr_reg(unsigned i) {
    return mmio_read32(g_gich + kGichLr + 4 * i);
}
void set_lr(unsigned i, uint32_t v) {
    mmio_write32(g_gich + kGichLr + 4 * i, v);
}

// CNTV_CTL_EL0: the timer's condition holds and the guest has not masked it.
bool vtimer_asserted(uint64_t ctl) {
    return (ctl & 1) && (ctl & 4) && !(ctl & 2);
}

int vgic_cpu_init() {
    const uint32_t vtr = mmio_read32(g_gich + kGichVtr);
    g_lrs = (vtr & 0x3f) + 1;
    if (g_lrs > GicCpuState::kLrs) g_lrs = GicCpuState::kLrs;
    for (unsigned i = 0; i < g_lrs; ++i) set_lr(i, 0);
    mmio_write32(g_gich + kGichHcr, kHcrEn);
    gic_enable_ppi(kMaintenanceIntid);
    gic_enable_ppi(kVtimerIntid);
    WARDEN_LOG_DEBUG("vgic: %u list registers, GICH 0x%lx, GICV 0x%lx", g_lrs, g_gich, g_gicv);
    return 0;
}
WARDEN_INITCALL(Platform, vgic_cpu_init);

}  // namespace

void vgic_set_base(uint64_t gich, uint64_t gicv) {
    if (gich) g_gich = gich;
    if (gicv) g_gicv = gicv;
}

uint64_t gicv_base() {
    return g_gicv;
}

void vgic_save(Vcpu& v) {
    GicCpuState& g = v.gic;
    g.vmcr = mmio_read32(g_gich + kGichVmcr);
    g.apr = mmio_read32(g_gich + kGichApr);
    for (unsigned i = 0; i < g_lrs; ++i) {
        g.lr[i] = (g.lrs_used & (1u << i)) ? lr_reg(i) : 0;
        set_lr(i, 0);
    }
}

void vgic_load(Vcpu& v) {
    const GicCpuState& g = v.gic;
    mmio_write32(g_gich + kGichVmcr, g.vmcr);
    mmio_write32(g_gich + kGichApr, g.apr);
    for (unsigned i = 0; i < g_lrs; ++i) set_lr(i, g.lr[i]);
    // Its virtual timer reaches EL2 again once the guest has ended the last one.
    if (g.vtimer_inflight) {
        gic_disable_ppi(kVtimerIntid);
    } else {
        gic_enable_ppi(kVtimerIntid);
    }
}

void vgic_sync(Vcpu& v) {
    GicCpuState& g = v.gic;
    vgic::Distributor& dist = v.domain->gicd();
    if (!g.lrs_used && dist.generation() == g.seen) return;
    // List registers the guest is done with go back to the distributor.
    for (unsigned i = 0; i < g_lrs; ++i) {
        if (!(g.lrs_used & (1u << i))) continue;
        const uint32_t lr = lr_reg(i);
        const uint32_t state = (lr >> 28) & 3;
        if (state != 0) continue;
        set_lr(i, 0);  // also ends its EOI maintenance request
        g.lrs_used &= ~(1u << i);
        const uint32_t intid = lr & 0x3ff;
        if (intid == kVtimerIntid) {
            // Ended: the line follows the timer again, and the physical one may fire.
            g.vtimer_inflight = false;
            dist.set_line(v.index, kVtimerIntid, vtimer_asserted(WARDEN_READ_SYSREG(cntv_ctl_el0)));
            gic_enable_ppi(kVtimerIntid);
        }
        dist.lr_done(v.index, intid, static_cast<uint8_t>((lr >> 10) & 7), false, false);
    }
    // The best for the free list registers, in one pass over the distributor.
    unsigned free = 0;
    for (unsigned i = 0; i < g_lrs; ++i) free += (g.lrs_used & (1u << i)) ? 0 : 1;
    vgic::Pick picks[GicCpuState::kLrs];
    bool more = false;
    const unsigned n = dist.best_n(v.index, picks, free, more);
    for (unsigned i = 0, k = 0; i < g_lrs && k < n; ++i) {
        if (g.lrs_used & (1u << i)) continue;
        const vgic::Pick& p = picks[k++];
        set_lr(i, p.intid | (uint32_t{p.source} << 10) | (uint32_t{p.priority} >> 3 << 23) |
                      kLrPending | (p.level ? kLrEoi : 0));
        dist.take(v.index, p);
        g.lrs_used |= 1u << i;
    }
    // More waiting than list registers: a maintenance interrupt when they drain.
    mmio_write32(g_gich + kGichHcr, kHcrEn | (more ? kHcrUie : 0));
    g.seen = dist.generation();
}

void vtimer_fired(Vcpu& v) {
    // Held at EL2 until the guest has ended the virtual one it becomes.
    gic_disable_ppi(kVtimerIntid);
    v.gic.vtimer_inflight = true;
    v.domain->gicd().set_line(v.index, kVtimerIntid, true);
}

void vtimer_wake_sleepers(Vcpu* running) {
    const uint64_t count = WARDEN_READ_SYSREG(cntpct_el0);
    hv().domains().for_each([&](Domain& d) {
        const uint64_t now = count - d.cntvoff();  // in the domain's virtual time
        for (unsigned i = 0; i < d.vcpu_count(); ++i) {
            Vcpu& v = d.vcpu(i);
            if (&v == running || v.gic.vtimer_inflight) continue;
            if (vtimer_asserted(v.sys.cntv_ctl | (v.sys.cntv_cval <= now ? 4 : 0))) {
                v.gic.vtimer_inflight = true;
                d.gicd().set_line(v.index, kVtimerIntid, true);
            }
        }
    });
}

}  // namespace warden::arm64
