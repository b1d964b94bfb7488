// SPDX-License-Identifier: Apache-2.0
#include "arch/arm64/gic.h"

#include "arch/arm64/sysreg.h"
#include "core/initcall.h"
#include "core/log.h"

namespace warden::arm64 {
namespace {

constexpr uint64_t kGicdCtlr = 0x000;
constexpr uint64_t kGicdIsenabler = 0x100;
constexpr uint64_t kGicdIcenabler = 0x180;
constexpr uint64_t kGicdIpriorityr = 0x400;
constexpr uint64_t kGiccCtlr = 0x000;
constexpr uint64_t kGiccPmr = 0x004;
constexpr uint64_t kGiccIar = 0x00c;
constexpr uint64_t kGiccEoir = 0x010;

constexpr uint64_t kSliceMicroseconds = 2000;

uint64_t g_gicd = 0x08000000;
uint64_t g_gicc = 0x08010000;
uint64_t g_slice_ticks = 0;

int gic_init() {
    mmio_write32(g_gicd + kGicdCtlr, 1);  // group 1 forwarding (the firmware owns group 0)
    mmio_write32(g_gicc + kGiccPmr, 0xf0);
    mmio_write32(g_gicc + kGiccCtlr, 1);
    gic_enable_ppi(kHypTimerIntid);
    uint64_t freq = WARDEN_READ_SYSREG(cntfrq_el0);
    g_slice_ticks = freq / 1000000 * kSliceMicroseconds;
    if (g_slice_ticks == 0) g_slice_ticks = 100000;
    WARDEN_LOG_DEBUG("gic: dist 0x%lx cpu 0x%lx, time slice %lu ticks", g_gicd, g_gicc,
                     g_slice_ticks);
    return 0;
}
WARDEN_INITCALL(Arch, gic_init);

}  // namespace

void gic_set_base(uint64_t gicd, uint64_t gicc) {
    if (gicd) g_gicd = gicd;
    if (gicc) g_gicc = gicc;
}

void gic_enable_ppi(uint32_t intid) {
    uint64_t prio = g_gicd + kGicdIpriorityr + intid;
    *reinterpret_cast<volatile uint8_t*>(prio) = 0xa0;
    mmio_write32(g_gicd + kGicdIsenabler + 4 * (intid / 32), 1u << (intid % 32));
}

void gic_disable_ppi(uint32_t intid) {
    mmio_write32(g_gicd + kGicdIcenabler + 4 * (intid / 32), 1u << (intid % 32));
}

uint32_t gic_ack() {
    return mmio_read32(g_gicc + kGiccIar);
}

void gic_eoi(uint32_t iar) {
    mmio_write32(g_gicc + kGiccEoir, iar);
}

void timer_arm(uint64_t ticks) {
    WARDEN_WRITE_SYSREG(cnthp_tval_el2, ticks);
    WARDEN_WRITE_SYSREG(cnthp_ctl_el2, 1);  // enabled, not masked
    isb();
}

uint64_t timer_slice_ticks() {
    return g_slice_ticks;
}

}  // namespace warden::arm64
