// SPDX-License-Identifier: Apache-2.0
// Touches addresses outside its RAM.
//   (default)  fetches an instruction at IPA 0x20000000: nothing there to run,
//              so the hypervisor stops this domain, and only this one.
//   test=mmio  loads and stores of every size, and a pair load, at addresses
//              no emulated device claims: each must come back as a synchronous
//              external abort at the instruction, FAR = the address, and the
//              guest goes on.
#include <cstring>

#include "guest/guest.h"

namespace {

constexpr uint64_t kNowhere = 0x20000000;

unsigned failures = 0;
volatile unsigned g_aborts = 0;
volatile uint64_t g_elr = 0, g_esr = 0, g_far = 0;

bool count_abort(unsigned kind, uint64_t esr, uint64_t& elr, uint64_t far) {
    if (kind != guest::kExcCurrentSync || guest::esr_class(esr) != 0x25) return false;
    g_aborts = g_aborts + 1;
    g_elr = elr;
    g_esr = esr;
    g_far = far;
    elr += 4;  // step over the access
    return true;
}

// Runs one access (it returns the instruction's address) and checks the abort.
template <typename Fn>
void expect_abort(const char* what, uint64_t addr, bool write, Fn access) {
    const unsigned before = g_aborts;
    const uint64_t at = access();
    const uint64_t dfsc = g_esr & 0x3f;
    const bool wnr = (g_esr >> 6) & 1;
    if (g_aborts != before + 1 || g_elr != at || g_far != addr || dfsc != 0x10 || wnr != write) {
        guest::print("FAIL: %s: %u abort(s), elr 0x%lx (insn 0x%lx), far 0x%lx, esr 0x%lx", what,
                     g_aborts - before, g_elr, at, g_far, g_esr);
        ++failures;
        return;
    }
    guest::print("ok: %s at 0x%lx -> external abort at the instruction (esr 0x%lx)", what, addr,
                 g_esr);
}

#define ACCESS(insn, ...)                                                                       \
    [&] {                                                                                       \
        uint64_t at;                                                                            \
        asm volatile("adr %0, 1f\n1: " insn : "=&r"(at) : __VA_ARGS__ : "x9", "x10", "memory"); \
        return at;                                                                              \
    }

int mmio() {
    guest::set_exception_hook(count_abort);
    const uint64_t a = kNowhere;
    uint64_t v = 0x1122334455667788;
    expect_abort("ldrb", a + 1, false, ACCESS("ldrb w9, [%1]", "r"(a + 1), "r"(v)));
    expect_abort("ldrh", a + 2, false, ACCESS("ldrh w9, [%1]", "r"(a + 2), "r"(v)));
    expect_abort("ldr w", a + 4, false, ACCESS("ldr w9, [%1]", "r"(a + 4), "r"(v)));
    expect_abort("ldr x", a + 8, false, ACCESS("ldr x9, [%1]", "r"(a + 8), "r"(v)));
    expect_abort("strb", a + 1, true, ACCESS("strb %w2, [%1]", "r"(a + 1), "r"(v)));
    expect_abort("str x", a + 16, true, ACCESS("str %2, [%1]", "r"(a + 16), "r"(v)));
    expect_abort("ldp (no syndrome)", a + 32, false,
                 ACCESS("ldp x9, x10, [%1]", "r"(a + 32), "r"(v)));
    // Far above RAM and below the top of the IPA space.
    const uint64_t high = 0x8000000000 - 0x1000;
    expect_abort("ldr x, top of the IPA space", high, false,
                 ACCESS("ldr x9, [%1]", "r"(high), "r"(v)));
    guest::print("mmio: %u failure(s)", failures);
    return failures ? 1 : 0;
}

}  // namespace

int guest_main() {
    char test[16] = "";
    guest::bootarg("test", test, sizeof test);
    if (std::strcmp(test, "mmio") == 0) return mmio();
    guest::print("fault: fetching an instruction at IPA 0x%lx, outside my RAM", kNowhere);
    asm volatile("br %0" ::"r"(kNowhere) : "memory");
    guest::print("FAIL: ran code outside my RAM");
    return 1;
}
