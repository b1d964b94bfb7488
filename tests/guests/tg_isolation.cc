// SPDX-License-Identifier: Apache-2.0
// Isolation between guests, tried as an attacker would.
// bootargs: test=debug_set    arm a breakpoint, a watchpoint, single-step, the
//                             cycle counter and EL0 PMU access, then leave
//           test=debug_check  (another guest, later) read all of that back and
//                             unmask debug exceptions: nothing of the first guest's
//                             may be visible, and nothing may fire
//           test=scrub_fill   fill all of my RAM with a secret, then power off
//           test=scrub_ctl    (control domain) wait for d1 to stop, destroy it,
//                             create a domain of the same size and run a copy of
//                             this program in it as test=scrub_check
//           test=scrub_check  look for any byte of RAM that is not zero
#include <cstring>

#include "arch/arm64/sysreg.h"
#include "guest/guest.h"
#include "warden/domctl.h"
#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
extern char _start[];
extern char __file_end[];
extern char __bss_end[];
void bp_target();
}

// A breakpoint target with a first instruction that can be stepped over.
asm(R"(
    .text
    .global bp_target
    .balign 8
bp_target:
    nop
    ret
)");

namespace {

namespace abi = warden::abi;

int failures = 0;
volatile uint64_t g_watched = 0;
volatile unsigned g_breakpoints = 0;
volatile unsigned g_watchpoints = 0;
volatile unsigned g_steps = 0;

constexpr uint64_t kMdscrSs = 1u << 0;
constexpr uint64_t kMdscrKde = 1u << 13;
constexpr uint64_t kMdscrMde = 1u << 15;
// DBGBCR: E, PMC = EL1 and EL0, BAS = all four bytes.
constexpr uint64_t kBcrArmed = 1u | (3u << 1) | (0xfu << 5);
// DBGWCR: E, PAC = EL1 and EL0, LSC = load and store, BAS = 8 bytes.
constexpr uint64_t kWcrArmed = 1u | (3u << 1) | (3u << 3) | (0xffu << 5);
constexpr uint64_t kCycleCounter = 1ull << 31;

struct DebugState {
    uint64_t mdscr, bvr0, bcr0, wvr0, wcr0, pmcr, pmcnten, pmuserenr, pmccntr, oslsr;
};

DebugState read_state() {
    DebugState s;
    s.mdscr = WARDEN_READ_SYSREG(mdscr_el1);
    s.bvr0 = WARDEN_READ_SYSREG(dbgbvr0_el1);
    s.bcr0 = WARDEN_READ_SYSREG(dbgbcr0_el1);
    s.wvr0 = WARDEN_READ_SYSREG(dbgwvr0_el1);
    s.wcr0 = WARDEN_READ_SYSREG(dbgwcr0_el1);
    s.pmcr = WARDEN_READ_SYSREG(pmcr_el0);
    s.pmcnten = WARDEN_READ_SYSREG(pmcntenset_el0);
    s.pmuserenr = WARDEN_READ_SYSREG(pmuserenr_el0);
    s.pmccntr = WARDEN_READ_SYSREG(pmccntr_el0);
    s.oslsr = WARDEN_READ_SYSREG(oslsr_el1);
    return s;
}

void print_state(const char* who, const DebugState& s) {
    guest::print("%s: mdscr=0x%lx bvr0=0x%lx bcr0=0x%lx wvr0=0x%lx wcr0=0x%lx", who, s.mdscr,
                 s.bvr0, s.bcr0, s.wvr0, s.wcr0);
    guest::print("%s: pmcr=0x%lx pmcntenset=0x%lx pmuserenr=0x%lx pmccntr=0x%lx oslsr=0x%lx", who,
                 s.pmcr, s.pmcnten, s.pmuserenr, s.pmccntr, s.oslsr);
}

void arm_everything() {
    WARDEN_WRITE_SYSREG(oslar_el1, 0);  // unlock, as Linux does at boot
    WARDEN_WRITE_SYSREG(dbgbvr0_el1, reinterpret_cast<uint64_t>(&bp_target));
    WARDEN_WRITE_SYSREG(dbgbcr0_el1, kBcrArmed);
    WARDEN_WRITE_SYSREG(dbgwvr0_el1, reinterpret_cast<uint64_t>(&g_watched));
    WARDEN_WRITE_SYSREG(dbgwcr0_el1, kWcrArmed);
    WARDEN_WRITE_SYSREG(mdscr_el1, kMdscrMde | kMdscrKde | kMdscrSs);
    WARDEN_WRITE_SYSREG(pmcr_el0, 1);  // E: counters on
    WARDEN_WRITE_SYSREG(pmcntenset_el0, kCycleCounter);
    WARDEN_WRITE_SYSREG(pmuserenr_el0, 0xf);
    WARDEN_WRITE_SYSREG(pmccntr_el0, 0x1234);
    asm volatile("isb" ::: "memory");
}

int test_debug_set() {
    arm_everything();
    // With trapping these writes change nothing, so even this guest reads zeros.
    print_state("debug_set wrote, reads back", read_state());
    for (int i = 0; i < 20; ++i) guest::yield();  // let the other guest look
    guest::print("debug_set: done");
    return 0;
}

bool count_debug(unsigned kind, uint64_t esr, uint64_t& elr, uint64_t) {
    if (kind != guest::kExcCurrentSync) return false;
    switch (guest::esr_class(esr)) {
    case 0x31:  // breakpoint, same EL
        g_breakpoints = g_breakpoints + 1;
        elr += 4;
        return true;
    case 0x35:  // watchpoint, same EL: the access did not happen; skip it
        g_watchpoints = g_watchpoints + 1;
        elr += 4;
        return true;
    case 0x33:  // software step, same EL: stop stepping, or it never ends
        g_steps = g_steps + 1;
        WARDEN_WRITE_SYSREG(mdscr_el1, 0);
        return true;
    default:
        return false;
    }
}

void expect_zero(const char* what, uint64_t v) {
    if (v != 0) {
        guest::print("FAIL: %s is 0x%lx: another guest's value", what, v);
        ++failures;
    }
}

int test_debug_check() {
    for (int i = 0; i < 5; ++i) guest::yield();  // the other guest goes first
    DebugState s = read_state();
    print_state("debug_check reads", s);
    expect_zero("MDSCR_EL1", s.mdscr);
    expect_zero("DBGBVR0_EL1", s.bvr0);
    expect_zero("DBGBCR0_EL1", s.bcr0);
    expect_zero("DBGWVR0_EL1", s.wvr0);
    expect_zero("DBGWCR0_EL1", s.wcr0);
    expect_zero("PMCR_EL0", s.pmcr);
    expect_zero("PMCNTENSET_EL0", s.pmcnten);
    expect_zero("PMUSERENR_EL0", s.pmuserenr);
    expect_zero("PMCCNTR_EL0", s.pmccntr);
    // Its own OS lock: set at reset (OSLM = 0b10, OSLK = 1).
    if (s.oslsr != 0xa) {
        guest::print("FAIL: OSLSR_EL1 0x%lx, want 0xa (locked at reset)", s.oslsr);
        ++failures;
    }

    // Do what Linux does, then run the code and touch the data the other guest
    // watched: nothing may fire.
    guest::set_exception_hook(count_debug);
    WARDEN_WRITE_SYSREG(oslar_el1, 0);
    asm volatile("isb\n msr daifclr, #8\n isb" ::: "memory");
    for (int i = 0; i < 5; ++i) {
        bp_target();
        g_watched = g_watched + 1;
    }
    // Its own attempts do not arm anything either (the registers read as zero).
    arm_everything();
    for (int i = 0; i < 5; ++i) bp_target();
    asm volatile("msr daifset, #8\n isb" ::: "memory");
    uint64_t c0 = WARDEN_READ_SYSREG(pmccntr_el0);
    uint64_t c1 = WARDEN_READ_SYSREG(pmccntr_el0);
    guest::print(
        "debug_check: %u breakpoint(s), %u watchpoint(s), %u step(s), cycle counter %lu "
        "then %lu",
        g_breakpoints, g_watchpoints, g_steps, c0, c1);
    if (g_breakpoints || g_watchpoints || g_steps || c0 || c1) {
        guest::print("FAIL: debug or PMU state reached this guest");
        ++failures;
    }
    guest::print("debug_check: %d failure(s)", failures);
    return failures;
}

// --- scrubbing ---

constexpr uint64_t kSecret = 0x5ec2e75ec2e75ec2;

// This domain's RAM from its device tree's /memory node.
bool my_ram(uint64_t& base, uint64_t& size) {
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/memory") : -1;
    int len = 0;
    const auto* reg =
        node >= 0 ? static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len)) : nullptr;
    if (!reg || len != 16) return false;
    base = (uint64_t{fdt32_to_cpu(reg[0])} << 32) | fdt32_to_cpu(reg[1]);
    size = (uint64_t{fdt32_to_cpu(reg[2])} << 32) | fdt32_to_cpu(reg[3]);
    return true;
}

uint64_t image_end() {
    return (reinterpret_cast<uint64_t>(__bss_end) + 4095) & ~uint64_t{4095};
}

int test_scrub_fill() {
    uint64_t base = 0, size = 0;
    GUEST_CHECK(my_ram(base, size));
    // Everything but this program and its stack, its device tree included.
    auto* p = reinterpret_cast<volatile uint64_t*>(image_end());
    auto* end = reinterpret_cast<volatile uint64_t*>(base + size);
    for (; p < end; ++p) *p = kSecret;
    guest::print("scrub_fill: %lu MiB of RAM hold the secret", size >> 20);
    return 0;
}

int64_t get_info(uint16_t domid, abi::DomctlGetDomainInfo& out) {
    auto op = abi::make_domctl(abi::kGetDomainInfo, domid);
    int64_t rc = guest::domctl(&op);
    out = op.u.info;
    return rc;
}

void expect_rc(const char* what, int64_t rc, int64_t want) {
    if (rc != want) {
        guest::print("FAIL: %s -> %ld, want %ld", what, rc, want);
        ++failures;
    } else {
        guest::print("ctl: %s -> %ld", what, rc);
    }
}

// Builds the checker's device tree: its RAM and what to run.
int checker_dt(void* buf, int size, uint64_t ram_size) {
    int err = fdt_create_empty_tree(buf, size);
    int root = 0;
    fdt32_t two = cpu_to_fdt32(2);
    if (!err) err = fdt_setprop(buf, root, "#address-cells", &two, sizeof two);
    if (!err) err = fdt_setprop(buf, root, "#size-cells", &two, sizeof two);
    int mem = err ? err : fdt_add_subnode(buf, root, "memory");
    if (mem < 0) return mem;
    fdt64_t reg[2] = {cpu_to_fdt64(0x40000000), cpu_to_fdt64(ram_size)};
    err = fdt_setprop(buf, mem, "reg", reg, sizeof reg);
    if (!err) err = fdt_setprop_string(buf, mem, "device_type", "memory");
    int chosen = err ? err : fdt_add_subnode(buf, root, "chosen");
    if (chosen < 0) return chosen;
    return fdt_setprop_string(buf, chosen, "bootargs", "test=scrub_check");
}

int test_scrub_ctl() {
    constexpr uint16_t kVictim = 1;
    abi::DomctlGetDomainInfo info{};
    GUEST_CHECK(get_info(kVictim, info) == 0);
    const uint64_t ram_size = info.ram_size;
    while (get_info(kVictim, info) == 0 && info.state != abi::kStateShutdown) guest::yield();
    guest::print("ctl: d1 stopped (%lu MiB of RAM)", ram_size >> 20);

    auto destroy = abi::make_domctl(abi::kDestroy, kVictim);
    uint64_t t0 = guest::counter();
    expect_rc("destroy d1", guest::domctl(&destroy), 0);
    guest::print("ctl: destroy took %lu ticks", guest::counter() - t0);
    expect_rc("d1 is gone", get_info(kVictim, info), -abi::err::kSrch);

    auto create = abi::make_domctl(abi::kCreateDomain, 0);
    create.u.create.ram_size = ram_size;
    create.u.create.vcpus = 1;
    std::memcpy(create.u.create.name, "checker", sizeof "checker");
    t0 = guest::counter();
    expect_rc("create a domain of the same size", guest::domctl(&create), 0);
    guest::print("ctl: create took %lu ticks", guest::counter() - t0);
    const uint16_t id = create.u.create.domid;

    // Run a copy of this program there (control domain RAM is 1:1: VA = IPA).
    uint64_t image = reinterpret_cast<uint64_t>(_start);
    uint64_t image_size = reinterpret_cast<uint64_t>(__file_end) - image;
    auto copy = abi::make_domctl(abi::kCopyToDomain, id);
    copy.u.copy.src = image;
    copy.u.copy.dst = 0x40000000;
    copy.u.copy.size = image_size;
    expect_rc("copy this program into it", guest::domctl(&copy), 0);
    alignas(8) static unsigned char dt[4096];
    GUEST_CHECK(checker_dt(dt, sizeof dt, ram_size) == 0);
    fdt_pack(dt);
    const uint64_t dt_at = 0x40000000 + ram_size - 0x10000;
    copy = abi::make_domctl(abi::kCopyToDomain, id);
    copy.u.copy.src = reinterpret_cast<uint64_t>(dt);
    copy.u.copy.dst = dt_at;
    copy.u.copy.size = fdt_totalsize(dt);
    expect_rc("copy its device tree", guest::domctl(&copy), 0);
    auto entry = abi::make_domctl(abi::kSetVcpuEntry, id);
    entry.u.entry.pc = 0x40000000;
    entry.u.entry.x0 = dt_at;
    expect_rc("set its entry", guest::domctl(&entry), 0);
    auto unpause = abi::make_domctl(abi::kUnpause, id);
    expect_rc("unpause it", guest::domctl(&unpause), 0);
    guest::print("ctl: scrub_ctl: %d failure(s)", failures);
    return failures;
}

int test_scrub_check() {
    uint64_t base = 0, size = 0;
    GUEST_CHECK(my_ram(base, size));
    const uint64_t dt = reinterpret_cast<uint64_t>(guest::device_tree());
    uint64_t secrets = 0, nonzero = 0, first = 0;
    auto check = [&](uint64_t from, uint64_t to) {
        for (auto* p = reinterpret_cast<const volatile uint64_t*>(from);
             p < reinterpret_cast<const volatile uint64_t*>(to); ++p) {
            uint64_t v = *p;
            if (v == 0) continue;
            if (!nonzero) first = reinterpret_cast<uint64_t>(p);
            ++nonzero;
            secrets += v == kSecret;
        }
    };
    // All of RAM but this program (with its stack) and its device tree.
    check(image_end(), dt);
    check((dt + fdt_totalsize(guest::device_tree()) + 7) & ~uint64_t{7}, base + size);
    guest::print("scrub_check: %lu MiB checked: %lu non-zero word(s), %lu of them the secret",
                 size >> 20, nonzero, secrets);
    if (nonzero) {
        guest::print("FAIL: data from a destroyed domain at 0x%lx", first);
        return 1;
    }
    return 0;
}

}  // namespace

int guest_main() {
    char test[16] = "";
    guest::bootarg("test", test, sizeof test);
    struct {
        const char* name;
        int (*fn)();
    } const tests[] = {
        {"debug_set", test_debug_set},     {"debug_check", test_debug_check},
        {"scrub_fill", test_scrub_fill},   {"scrub_ctl", test_scrub_ctl},
        {"scrub_check", test_scrub_check},
    };
    for (const auto& t : tests) {
        if (std::strcmp(t.name, test) == 0) return t.fn();
    }
    guest::fail("unknown test '%s'", test);
}
