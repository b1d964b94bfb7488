// SPDX-License-Identifier: Apache-2.0
// Boot on the primary CPU: relocation and BSS are done (entry.S); set up EL2,
// read the device tree, build the boot domains and enter the first guest.
#include "arch/arm64/gic.h"
#include "arch/arm64/pl011.h"
#include "arch/arm64/sysreg.h"
#include "arch/arm64/sysreg_trap.h"
#include "arch/arm64/vgic_cpu.h"
#include "core/arch.h"
#include "core/boot.h"
#include "core/bootinfo.h"
#include "core/hv.h"
#include "core/initcall.h"
#include "core/log.h"
#include "core/phys.h"
#include "warden/platform.h"

extern "C" {
extern char arm64_vectors[];
extern char __stack_top[];
extern char __bss_end[];
using InitFn = void (*)();
extern InitFn __init_array_start[];
extern InitFn __init_array_end[];
[[noreturn]] void arm64_enter_guest(void* stack_top);
}

namespace warden::arm64 {
namespace {

// HCR_EL2: stage 2 on, route physical IRQ/FIQ/SError here, trap SMC, WFI and WFE,
// EL1 is AArch64, broadcast TLB maintenance inner-shareable.
constexpr uint64_t kHcrVm = 1ull << 0;
constexpr uint64_t kHcrSwio = 1ull << 1;
constexpr uint64_t kHcrFmo = 1ull << 3;
constexpr uint64_t kHcrImo = 1ull << 4;
constexpr uint64_t kHcrAmo = 1ull << 5;
constexpr uint64_t kHcrBsuIs = 1ull << 10;
constexpr uint64_t kHcrFb = 1ull << 9;
constexpr uint64_t kHcrTwi = 1ull << 13;
constexpr uint64_t kHcrTwe = 1ull << 14;
constexpr uint64_t kHcrTsc = 1ull << 19;
constexpr uint64_t kHcrRw = 1ull << 31;
constexpr uint64_t kHcr = kHcrVm | kHcrSwio | kHcrFmo | kHcrImo | kHcrAmo | kHcrBsuIs | kHcrFb |
                          kHcrTwi | kHcrTwe | kHcrTsc | kHcrTacr | kHcrRw;
// CPTR_EL2: RES1 bits, SVE trapped (TZ), trace registers trapped (TTA); FP/SIMD
// is not trapped (its registers are switched with every vCPU).
constexpr uint64_t kCptr = 0x33ff | kCptrTta;

// VTCR_EL2: 40-bit IPA (T0SZ 24), start at level 1 (SL0 1), 4 KiB granule,
// write-back inner shareable walks, 40-bit PA.
constexpr uint64_t kVtcr = 0x80023558;

void cpu_init() {
    WARDEN_WRITE_SYSREG(vbar_el2, reinterpret_cast<uint64_t>(arm64_vectors));
    WARDEN_WRITE_SYSREG(tpidr_el2, reinterpret_cast<uint64_t>(&hv().this_cpu()));
    WARDEN_WRITE_SYSREG(vtcr_el2, kVtcr);
    WARDEN_WRITE_SYSREG(cptr_el2, kCptr);
    WARDEN_WRITE_SYSREG(mdcr_el2, debug_pmu_init());  // debug and PMU: trapped, emulated
    WARDEN_WRITE_SYSREG(cnthctl_el2, 1);  // EL1 reads the counter; its physical timer traps
    WARDEN_WRITE_SYSREG(cntvoff_el2, 0);
    WARDEN_WRITE_SYSREG(vpidr_el2, WARDEN_READ_SYSREG(midr_el1));
    WARDEN_WRITE_SYSREG(hcr_el2, kHcr);
    isb();
}

}  // namespace
}  // namespace warden::arm64

namespace warden::arm64 {
namespace {

// Where QEMU 'virt' (and so TF-A's QEMU port) keeps the device tree: the start of
// RAM. Used when x0 does not point at one.
constexpr uint64_t kVirtDeviceTree = 0x40000000;

// Reserved regions never reach the allocator; the image and its bitmap must not
// sit on one (a firmware that did that to us is misconfigured).
bool reserve_firmware_memory(PageAllocator& alloc, const BootInfo& info, Pa image,
                             uint64_t image_bytes) {
    bool ok = true;
    for (unsigned i = 0; i < info.reserved_count; ++i) {
        const ReservedRegion& r = info.reserved[i];
        WARDEN_LOG_INFO("reserved memory: %s 0x%lx-0x%lx, never given out", r.name, r.base.value(),
                        r.base.value() + r.size - 1);
        if (r.base < image + image_bytes && image < r.base + r.size) {
            WARDEN_LOG_ERROR("the hypervisor at 0x%lx-0x%lx overlaps reserved memory %s",
                             image.value(), image.value() + image_bytes - 1, r.name);
            ok = false;
        }
        alloc.reserve(r.base, r.size);
    }
    if (info.reserved_unplaced) {
        WARDEN_LOG_INFO("reserved memory: %u region(s) without a reg ignored (nothing placed)",
                        info.reserved_unplaced);
    }
    return ok;
}

}  // namespace
}  // namespace warden::arm64

extern "C" [[noreturn]] void arm64_main(uint64_t x0, uint64_t load_base) {
    using namespace warden;
    for (InitFn* f = __init_array_start; f < __init_array_end; ++f) (*f)();

    // Until the device tree names the console, logs go to virt's PL011.
    DtLocation dt = locate_device_tree(x0, Pa(arm64::kVirtDeviceTree));
    if (!dt.found) {
        WARDEN_LOG_ERROR(
            "Warden hypervisor at 0x%lx: no device tree (x0 = 0x%lx is not one, and "
            "there is none at 0x%lx)",
            load_base, x0, arm64::kVirtDeviceTree);
        arch::platform_exit(abi::platform::kExitHypervisorPanic);
    }
    const uint64_t dtb = dt.at.value();
    BootInfo info;
    BootInfoError err = parse_boot_info(phys_ptr<const void>(dt.at), info);
    arm64::pl011_init(info.uart.value());
    if (dt.from_x0) {
        WARDEN_LOG_INFO("Warden hypervisor at 0x%lx, device tree at 0x%lx (from x0)", load_base,
                        dtb);
    } else {
        WARDEN_LOG_INFO(
            "Warden hypervisor at 0x%lx, device tree at 0x%lx (x0 = 0x%lx is not a device tree)",
            load_base, dtb, x0);
    }
    if (err != BootInfoError::None) {
        WARDEN_LOG_ERROR("device tree: %s", to_string(err));
        arch::platform_exit(abi::platform::kExitHypervisorPanic);
    }
    WARDEN_LOG_INFO("RAM 0x%lx-0x%lx, %u boot module(s)", info.ram_base.value(),
                    info.ram_base.value() + info.ram_size - 1, info.module_count);

    arm64::cpu_init();
    arm64::gic_set_base(info.gicd.value(), info.gicc.value());
    arm64::vgic_set_base(info.gich.value(), info.gicv.value());

    Hypervisor& h = hv();
    uint64_t image_end = reinterpret_cast<uint64_t>(__bss_end);
    Pa bitmap(align_up(image_end, kPageSize));
    if (!h.alloc().init(info.ram_base, info.ram_size, bitmap)) {
        WARDEN_LOG_ERROR("cannot manage RAM");
        arch::platform_exit(abi::platform::kExitHypervisorPanic);
    }
    h.alloc().reserve(Pa(load_base), image_end - load_base);
    h.alloc().reserve(Pa(dtb), 2 * 1024 * 1024);  // the device tree and what follows it
    uint64_t footprint = bitmap.value() + PageAllocator::bitmap_bytes(info.ram_size) - load_base;
    if (!arm64::reserve_firmware_memory(h.alloc(), info, Pa(load_base), footprint)) {
        arch::platform_exit(abi::platform::kExitHypervisorPanic);
    }

    run_initcalls();
    build_boot_domains(h, info);
    if (!h.start()) {
        WARDEN_LOG_INFO("nothing to run");
        arch::platform_exit(abi::platform::kExitAllDomainsOff);
    }
    arm64::timer_arm(arm64::timer_slice_ticks());
    arm64_enter_guest(__stack_top);
}

extern "C" [[noreturn]] void arm64_self_trap(const uint64_t* frame) {
    using namespace warden;
    uint64_t esr = WARDEN_READ_SYSREG(esr_el2);
    uint64_t elr = WARDEN_READ_SYSREG(elr_el2);
    uint64_t far = WARDEN_READ_SYSREG(far_el2);
    WARDEN_LOG_ERROR("PANIC: exception in the hypervisor: class 0x%lx esr 0x%lx",
                     (esr >> 26) & 0x3f, esr);
    WARDEN_LOG_ERROR("  elr 0x%016lx far 0x%016lx sp 0x%016lx", elr, far, frame[31]);
    for (unsigned i = 0; i < 30; i += 3) {
        WARDEN_LOG_ERROR("  x%02u 0x%016lx x%02u 0x%016lx x%02u 0x%016lx", i, frame[i], i + 1,
                         frame[i + 1], i + 2, frame[i + 2]);
    }
    WARDEN_LOG_ERROR("  x30 0x%016lx", frame[30]);
    arch::platform_exit(abi::platform::kExitHypervisorPanic);
}
