// SPDX-License-Identifier: Apache-2.0
// Takes interrupts through the virtual GIC as a GICv2 driver does: enables the
// distributor (emulated) and its CPU interface (the hardware's GICV, mapped at
// the GICC address), then counts virtual timer interrupts (PPI 27) and an SGI
// it sends itself, acknowledging and ending each through GICC.
#include <cstdint>

#include "guest/guest.h"
#include "warden/domctl.h"

namespace {

namespace abi = warden::abi;
constexpr uint64_t kGicd = abi::kGuestGicdBase;
constexpr uint64_t kGicc = abi::kGuestGiccBase;
constexpr unsigned kExcCurrentIrq = 5;
constexpr unsigned kTicks = 5;
constexpr uint32_t kSgi = 3;

uint32_t rd(uint64_t a) {
    return *reinterpret_cast<volatile uint32_t*>(a);
}
void wr(uint64_t a, uint32_t v) {
    *reinterpret_cast<volatile uint32_t*>(a) = v;
}
void wr8(uint64_t a, uint8_t v) {
    *reinterpret_cast<volatile uint8_t*>(a) = v;
}

uint64_t g_period = 0;
volatile unsigned g_ticks = 0;
volatile unsigned g_sgis = 0;
volatile unsigned g_other = 0;
volatile uint64_t g_first_tick = 0, g_last_tick = 0;
// From the timer's deadline (the physical interrupt asserts) to the handler's
// first counter read: the delivery cost, in instructions under -icount.
volatile uint64_t g_delay_min = ~uint64_t{0}, g_delay_sum = 0;

bool on_irq(unsigned kind, uint64_t, uint64_t&, uint64_t) {
    if (kind != kExcCurrentIrq) return false;
    const uint32_t iar = rd(kGicc + 0x0c);  // GICC_IAR
    const uint32_t intid = iar & 0x3ff;
    if (intid == 1023) return true;  // spurious: nothing to end
    if (intid == 27) {
        const uint64_t now = guest::counter();
        uint64_t cval;
        asm volatile("mrs %0, cntv_cval_el0" : "=r"(cval));
        const uint64_t delay = now - cval;
        if (delay < g_delay_min) g_delay_min = delay;
        g_delay_sum = g_delay_sum + delay;
        if (!g_ticks) g_first_tick = now;
        g_last_tick = now;
        g_ticks = g_ticks + 1;
        if (g_ticks < kTicks) {
            asm volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(g_period),
                         "r"(uint64_t{1}));
        } else {
            asm volatile("msr cntv_ctl_el0, %0\n isb" ::"r"(uint64_t{0}));  // off
        }
    } else if (intid == kSgi) {
        g_sgis = g_sgis + 1;
    } else {
        g_other = g_other + 1;
    }
    wr(kGicc + 0x10, iar);  // GICC_EOIR: priority drop and deactivation
    return true;
}

}  // namespace

int guest_main() {
    guest::set_exception_hook(on_irq);
    // The virtual count starts when the domain was created, not at the
    // platform's reset: it is behind the physical one by the boot so far.
    uint64_t vct, pct;
    asm volatile("isb\n mrs %0, cntvct_el0\n mrs %1, cntpct_el0" : "=r"(vct), "=r"(pct));
    GUEST_CHECK(vct < pct);
    guest::print("vtimer: virtual count %lu at my start, physical %lu (offset %lu)", vct, pct,
                 pct - vct);
    const uint32_t typer = rd(kGicd + 0x004);
    guest::print("vtimer: GICD_TYPER 0x%x (%u INTIDs, %u CPU(s))", typer, 32 * ((typer & 0x1f) + 1),
                 ((typer >> 5) & 7) + 1);
    wr(kGicd + 0x000, 1);  // GICD_CTLR
    wr8(kGicd + 0x400 + 27, 0xa0);
    wr8(kGicd + 0x400 + kSgi, 0x80);
    wr(kGicd + 0x100, (1u << 27) | (1u << kSgi));  // GICD_ISENABLER0
    wr(kGicc + 0x004, 0xf0);                       // GICC_PMR
    wr(kGicc + 0x000, 1);                          // GICC_CTLR
    uint64_t freq;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    g_period = freq / 1000;  // 1 ms
    asm volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(g_period),
                 "r"(uint64_t{1}));
    asm volatile("msr daifclr, #2" ::: "memory");  // IRQs on

    const uint64_t start = guest::counter();
    while (g_ticks < kTicks) {
        GUEST_CHECK(guest::counter() - start < freq * 10);  // 10 s of guest time at most
        asm volatile("wfi" ::: "memory");
    }
    wr(kGicd + 0xf00, (2u << 24) | kSgi);  // GICD_SGIR: to myself
    for (unsigned spin = 0; g_sgis == 0; ++spin) GUEST_CHECK(spin < 1000000);
    asm volatile("msr daifset, #2" ::: "memory");
    guest::print("vtimer: %u virtual timer interrupts, the last %lu ticks after the first", g_ticks,
                 g_last_tick - g_first_tick);
    guest::print("vtimer: SGI %u to myself taken %u time(s); %u other interrupt(s)", kSgi, g_sgis,
                 g_other);
    guest::print("vtimer: delivery from the deadline to the handler: min %lu, mean %lu ticks",
                 g_delay_min, g_delay_sum / g_ticks);
    GUEST_CHECK(g_last_tick - g_first_tick >= g_period * (kTicks - 1));
    GUEST_CHECK(g_other == 0);
    return 0;
}
