// SPDX-License-Identifier: Apache-2.0
#include "platform.h"

#include "arch.h"
#include "board.h"
#include "console.h"

namespace warden::fw::platform {
namespace {

constexpr uint64_t kGicdCtlr = board::kGicdBase + 0x000;
constexpr uint64_t kGicdTyper = board::kGicdBase + 0x004;
constexpr uint64_t kGicdIgroupr = board::kGicdBase + 0x080;
constexpr uint64_t kGicdPidr2 = board::kGicdBase + 0xfe8;
constexpr uint64_t kGiccCtlr = board::kGiccBase + 0x000;
constexpr uint64_t kGiccPmr = board::kGiccBase + 0x004;

constexpr uint32_t kGicdEnableGrp0 = 1u << 0;
constexpr uint32_t kGicdEnableGrp1 = 1u << 1;
// Secure view of GICC_CTLR. FIQEn stays clear: with it, Group 0 would be signalled as
// FIQ, and nothing here needs Group 0 at all.
constexpr uint32_t kGiccEnableGrp0 = 1u << 0;
constexpr uint32_t kGiccEnableGrp1 = 1u << 1;
constexpr uint32_t kPmrAllowAll = 0xff;

constexpr uint64_t kGpioDir = board::kSecureGpioBase + 0x400;

// Semihosting, A64 flavour: operation in w0, parameter block address in x1.
constexpr uint64_t kSysExitExtended = 0x20;
constexpr uint64_t kAdpStoppedApplicationExit = 0x20026;

// How long a power-off request may take before the firmware calls it failed.
constexpr uint64_t kPowerOffWaitMs = 1000;

constexpr uint64_t kReleasePollLoops = 10000;

bool g_test_mode = false;

[[noreturn]] void semihost_exit(uint32_t status) {
    const uint64_t block[2] = {kAdpStoppedApplicationExit, status};
    register uint64_t op asm("x0") = kSysExitExtended;
    register const uint64_t* param asm("x1") = block;
    asm volatile("hlt #0xf000" : "+r"(op) : "r"(param) : "memory");
    for (;;) wait_for_interrupt();
}

void gpio_pulse(unsigned pin) {
    const uint32_t bit = 1u << pin;
    // GPIODATA is addressed through a mask in address bits [9:2]: only this pin changes.
    const uint64_t data = board::kSecureGpioBase + (uint64_t{bit} << 2);
    mmio_write32(data, 0);
    mmio_write32(kGpioDir, mmio_read32(kGpioDir) | bit);
    mmio_write32(data, bit);
    dsb_sy();
    // QEMU acts on the request asynchronously; give it time before calling it failed.
    const uint64_t hz = read_cntfrq_el0() ? read_cntfrq_el0() : board::kDefaultCounterHz;
    const uint64_t start = read_cntpct_el0();
    while (read_cntpct_el0() - start < hz / 1000 * kPowerOffWaitMs) {
    }
}

}  // namespace

bool gic_is_v2() {
    return ((mmio_read32(kGicdPidr2) >> 4) & 0xf) == 2;
}

void gic_init_distributor() {
    const uint32_t lines = (mmio_read32(kGicdTyper) & 0x1f) + 1;
    // Register 0 is banked per CPU; each CPU sets its own in gic_init_cpu.
    for (uint32_t n = 1; n < lines; ++n) mmio_write32(kGicdIgroupr + 4 * n, ~0u);
    dsb_sy();
    mmio_write32(kGicdCtlr, kGicdEnableGrp0 | kGicdEnableGrp1);
    send_event();
}

void gic_init_cpu() {
    mmio_write32(kGicdIgroupr, ~0u);
    mmio_write32(kGiccPmr, kPmrAllowAll);
    mmio_write32(kGiccCtlr, kGiccEnableGrp0 | kGiccEnableGrp1);
}

void wait_until_released() {
    // Spaced out: under QEMU every GIC access takes the global lock the primary needs
    // for the fw_cfg reads that load the image.
    while (!(mmio_read32(kGicdCtlr) & kGicdEnableGrp0)) delay_loops(kReleasePollLoops);
}

void set_test_mode(bool on) {
    g_test_mode = on;
}
bool test_mode() {
    return g_test_mode;
}

void power_off() {
    gpio_pulse(board::kGpioPowerOffPin);
}
void reset() {
    gpio_pulse(board::kGpioResetPin);
}

void exit(uint32_t status) {
    if (g_test_mode) semihost_exit(status);
    console::log("platform exit status %u", status);
    power_off();
    console::log("error: power-off did not happen");
}

void halt(uint32_t status) {
    if (g_test_mode) semihost_exit(status);
    for (;;) wait_for_interrupt();
}

}  // namespace warden::fw::platform
