// SPDX-License-Identifier: Apache-2.0
// What the specifications say a guest gets, checked from inside a guest.
// bootargs: test=psci   PSCI_FEATURES and CPU_SUSPEND as PSCI 1.1 requires
//           test=smccc  SMC64 IDs to the TEE get a 64-bit -1; HVC/SMC with a
//                       non-zero immediate are undefined instructions; an access
//                       EL2 traps from AArch32 EL0 comes back at VBAR_EL1 + 0x600
#include <cstring>

#include "guest/guest.h"
#include "lib/format.h"
#include "warden/optee.h"
#include "warden/psci.h"
#include "warden/smccc.h"

extern "C" {
#include <libfdt.h>
}

namespace {

namespace psci = warden::abi::psci;
namespace smccc = warden::abi::smccc;

int failures = 0;

void expect(const char* what, uint64_t got, uint64_t want) {
    if (got != want) {
        guest::print("FAIL: %s: 0x%lx, want 0x%lx", what, got, want);
        ++failures;
    } else {
        guest::print("ok: %s -> 0x%lx", what, got);
    }
}

uint64_t hvc(uint64_t id, uint64_t a1 = 0) {
    return guest::hvc({{id, a1, 0, 0, 0, 0, 0, 0}}).x[0];
}

int test_psci() {
    constexpr uint64_t kNotSupported32 = 0xffffffffu;
    expect("PSCI_VERSION", hvc(psci::kVersion), psci::kVersion1_1);
    // Linux asks this to learn that SMCCC 1.1 (and so ARCH_FEATURES) is there.
    expect("PSCI_FEATURES(SMCCC_VERSION)", hvc(psci::kFeatures, smccc::kVersion), 0);
    expect("SMCCC_VERSION", hvc(smccc::kVersion), smccc::kVersion1_1);
    // Mandatory since PSCI 0.2: original power_state format, platform-coordinated.
    expect("PSCI_FEATURES(CPU_SUSPEND)", hvc(psci::kFeatures, psci::kCpuSuspend), 0);
    expect("PSCI_FEATURES(CPU_SUSPEND, SMC32)", hvc(psci::kFeatures, psci::kCpuSuspend32), 0);
    expect("CPU_SUSPEND(standby)", hvc(psci::kCpuSuspend, 0), psci::kSuccess);
    expect("CPU_SUSPEND(power-down state), returns with context", hvc(psci::kCpuSuspend, 0x10000),
           psci::kSuccess);
    expect("PSCI_FEATURES(CPU_ON)", hvc(psci::kFeatures, psci::kCpuOn), 0);
    expect("PSCI_FEATURES(unknown)", hvc(psci::kFeatures, 0x8400001f), kNotSupported32);
    return 0;
}

// --- the smccc test ---

volatile unsigned g_undefs = 0;
volatile uint64_t g_undef_elr = 0;
volatile uint64_t g_undef_esr = 0;

bool count_undef(unsigned kind, uint64_t esr, uint64_t& elr, uint64_t) {
    if (kind != guest::kExcCurrentSync || guest::esr_class(esr) != 0) return false;
    g_undefs = g_undefs + 1;
    g_undef_elr = elr;
    g_undef_esr = esr;
    elr += 4;  // step over the instruction
    return true;
}

// Runs one HVC or SMC with an immediate and checks that the guest took an
// Undefined Instruction exception at exactly that instruction.
template <typename Fn>
void expect_undef(const char* what, Fn insn) {
    unsigned before = g_undefs;
    uint64_t at = insn();
    if (g_undefs != before + 1 || g_undef_elr != at) {
        guest::print(
            "FAIL: %s: %u undefined-instruction exception(s), at 0x%lx (instruction 0x%lx)", what,
            g_undefs - before, g_undef_elr, at);
        ++failures;
        return;
    }
    guest::print("ok: %s -> undefined instruction at the instruction (esr 0x%lx)", what,
                 g_undef_esr);
}

void smc64_to_the_tee() {
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node < 0) {
        guest::print("FAIL: no /firmware/optee: the scenario must enable the TEE");
        ++failures;
        return;
    }
    const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
    bool use_smc = method && std::strcmp(method, "smc") == 0;
    // OP-TEE's IDs with the SMC64 bit: NOT_SUPPORTED, sign-extended.
    const uint32_t ids[] = {0xF2000001u, 0xF200000Du, 0xFF00FF01u, 0x72000004u};
    for (uint32_t id : ids) {
        guest::Regs out = guest::call(use_smc, {{id, 1, 2, 3, 0, 0, 0, 0}});
        char what[64];
        warden::format(what, sizeof what, "%s 0x%08x (SMC64 ID to the TEE)", method, id);
        expect(what, out.x[0], ~uint64_t{0});
    }
    // The SMC32 form still works.
    guest::Regs out = guest::call(use_smc, {{warden::abi::optee::kCallsUid, 0, 0, 0, 0, 0, 0, 0}});
    expect("CALLS_UID word 0 (SMC32)", out.x[0], warden::abi::optee::kApiUid[0]);
}

// An A32 program for EL0: reads CNTP_CTL (MRC p15, 0, r0, c14, c2, 1), which EL2
// traps (CNTHCTL_EL2.EL1PCEN = 0) and does not emulate, then spins.
alignas(8) const uint32_t kA32Program[] = {0xee1e0f32u, 0xeafffffeu};

bool aarch32_undef(unsigned kind, uint64_t esr, uint64_t& elr, uint64_t) {
    uint64_t program = reinterpret_cast<uint64_t>(&kA32Program[0]);
    if (kind == guest::kExcLowerA32Sync && guest::esr_class(esr) == 0 && elr == program) {
        guest::print(
            "ok: AArch32 EL0 access trapped by EL2 -> undefined instruction at "
            "VBAR_EL1 + 0x600 (esr 0x%lx)",
            esr);
    } else {
        guest::print("FAIL: AArch32 EL0: exception kind %u (want %u), esr 0x%lx, elr 0x%lx", kind,
                     guest::kExcLowerA32Sync, esr, elr);
        ++failures;
    }
    guest::print("conformance: %d failure(s)", failures);
    if (failures) guest::fail("%d failure(s)", failures);
    guest::power_off();
}

[[noreturn]] void run_aarch32_el0() {
    guest::set_exception_hook(aarch32_undef);
    uint64_t cntkctl;
    asm volatile("mrs %0, cntkctl_el1" : "=r"(cntkctl));
    cntkctl |= 1u << 9;  // EL0PTEN: EL1 lets EL0 at the physical timer; EL2 does not
    asm volatile("msr cntkctl_el1, %0" ::"r"(cntkctl));
    // SPSR: AArch32 (M[4]) User mode, IRQ/FIQ/SError masked.
    asm volatile(
        "msr spsr_el1, %0\n"
        "msr elr_el1, %1\n"
        "isb\n"
        "eret" ::"r"(uint64_t{0x1d0}),
        "r"(reinterpret_cast<uint64_t>(&kA32Program[0])));
    __builtin_unreachable();
}

int test_smccc() {
    smc64_to_the_tee();
    guest::set_exception_hook(count_undef);
    expect_undef("hvc #1", [] {
        uint64_t at;
        asm volatile("adr %0, 1f\n1: hvc #1" : "=r"(at)::"x0", "x1", "x2", "x3", "memory");
        return at;
    });
    expect_undef("hvc #0xffff", [] {
        uint64_t at;
        asm volatile("adr %0, 1f\n1: hvc #0xffff" : "=r"(at)::"x0", "x1", "x2", "x3", "memory");
        return at;
    });
    expect_undef("smc #1", [] {
        uint64_t at;
        asm volatile("adr %0, 1f\n1: smc #1" : "=r"(at)::"x0", "x1", "x2", "x3", "memory");
        return at;
    });
    // #0 is still an SMCCC call on both conduits.
    expect("hvc #0 SMCCC_VERSION", hvc(smccc::kVersion), smccc::kVersion1_1);
    expect("smc #0 SMCCC_VERSION", guest::smc({{smccc::kVersion, 0, 0, 0, 0, 0, 0, 0}}).x[0],
           smccc::kVersion1_1);
    run_aarch32_el0();
}

}  // namespace

int guest_main() {
    char test[16] = "";
    guest::bootarg("test", test, sizeof test);
    int rc = 0;
    if (std::strcmp(test, "psci") == 0) {
        rc = test_psci();
    } else if (std::strcmp(test, "smccc") == 0) {
        rc = test_smccc();
    } else {
        guest::fail("unknown test '%s'", test);
    }
    guest::print("conformance: %d failure(s)", failures);
    return rc + failures;
}
