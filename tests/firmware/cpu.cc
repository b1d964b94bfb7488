// SPDX-License-Identifier: Apache-2.0
#include "cpu.h"

#include "arch.h"
#include "board.h"
#include "layout.h"

extern "C" {
extern char fw_vectors[];
extern char fw_stacks[];
[[noreturn]] void fw_eret(uint64_t entry, uint64_t spsr, uint64_t x0, uint64_t sp_el3);
[[noreturn]] void fw_call_on_stack(uint64_t sp, void (*fn)(unsigned), unsigned arg);
}

namespace warden::fw::cpu {
namespace {

constexpr uint64_t kStackSize = uint64_t{1} << FW_STACK_SHIFT;

// NS | RES1 (bits 4, 5) | HCE | RW. SMD stays clear so the normal world can call us;
// IRQ, FIQ and EA are not routed here: every interrupt belongs to the normal world.
constexpr uint64_t kScrEl3 = 0x531;
// RES1 bits, alignment and stack-alignment checks on, MMU and caches off. With the MMU
// off every access is to Device memory, where a misaligned access would fault on
// hardware; the A bit makes QEMU fault too instead of hiding the bug.
constexpr uint64_t kSctlrEl3 = 0x30c50830 | (1u << 1) | (1u << 3);
// SDD: no debug exceptions taken from the secure state.
constexpr uint64_t kMdcrEl3 = 1u << 16;

constexpr uint64_t kSctlrEl2 = 0x30c50830;  // RES1 only: MMU and caches off, little-endian
constexpr uint64_t kSctlrEl1 = 0x30d00800;
constexpr uint64_t kHcrEl2Rw = 1ull << 31;  // EL1 is AArch64
constexpr uint64_t kCptrEl2Res1 = 0x33ff;   // and no FP/SIMD or trace traps
constexpr uint64_t kCnthctlEl1Access = 3;   // EL1PCTEN | EL1PCEN
constexpr uint64_t kSpsrEl2h = 0x3c9;       // DAIF masked
constexpr uint64_t kSpsrEl1h = 0x3c5;

// EL2 registers reset to architecturally UNKNOWN values: give the normal world a
// defined, inert EL2 (no traps, no stage 2) whichever EL it enters at.
void prepare_el2() {
    write_sctlr_el2(kSctlrEl2);
    write_hcr_el2(kHcrEl2Rw);
    write_cptr_el2(kCptrEl2Res1);
    write_cnthctl_el2(kCnthctlEl1Access);
    write_cntvoff_el2(0);
    write_cnthp_ctl_el2(0);
    write_vpidr_el2(read_midr_el1());
    write_vmpidr_el2(read_mpidr_el1());
    write_vttbr_el2(0);
    write_hstr_el2(0);
    write_mdcr_el2((read_pmcr_el0() >> 11) & 0x1f);  // HPMN = all counters to EL1
}

}  // namespace

unsigned index() {
    return read_mpidr_el1() & 0xff;
}

uint64_t stack_top(unsigned cpu) {
    return reinterpret_cast<uint64_t>(fw_stacks) + (cpu + 1) * kStackSize;
}

void init_el3() {
    write_vbar_el3(reinterpret_cast<uint64_t>(fw_vectors));
    write_sctlr_el3(kSctlrEl3);
    write_scr_el3(kScrEl3);
    write_cptr_el3(0);
    write_mdcr_el3(kMdcrEl3);
    if (read_cntfrq_el0() == 0) write_cntfrq_el0(board::kDefaultCounterHz);
    isb();
}

void enter_normal_world(unsigned cpu, uint64_t entry, unsigned el, uint64_t arg) {
    prepare_el2();
    uint64_t spsr = kSpsrEl2h;
    if (el == 1) {
        write_sctlr_el1(kSctlrEl1);
        spsr = kSpsrEl1h;
    }
    // The image was just written with data accesses.
    asm volatile("ic iallu\n\tdsb ish\n\tisb" ::: "memory");
    fw_eret(entry, spsr, arg, stack_top(cpu));
}

void restart_on_own_stack(unsigned cpu, void (*fn)(unsigned)) {
    fw_call_on_stack(stack_top(cpu), fn, cpu);
}

}  // namespace warden::fw::cpu
