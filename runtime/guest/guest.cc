// SPDX-License-Identifier: Apache-2.0
#include "guest/guest.h"

#include <cstdarg>

#include "lib/format.h"
#include "warden/domctl.h"
#include "warden/hypercall.h"
#include "warden/psci.h"

extern "C" {
#include <libfdt.h>
}

extern "C" {
using InitFn = void (*)();
extern InitFn __init_array_start[];
extern InitFn __init_array_end[];
uintptr_t __stack_chk_guard = 0x2d6ae1f5c3b79a01;
void __stack_chk_fail() {
    guest::fail("stack corruption");
}
}

namespace guest {
namespace {

const void* g_fdt = nullptr;
uint64_t g_boot_counter = 0;
ExceptionHook g_exception_hook = nullptr;

template <bool kSmc>
Regs raw_call(const Regs& in) {
    register uint64_t x0 asm("x0") = in.x[0];
    register uint64_t x1 asm("x1") = in.x[1];
    register uint64_t x2 asm("x2") = in.x[2];
    register uint64_t x3 asm("x3") = in.x[3];
    register uint64_t x4 asm("x4") = in.x[4];
    register uint64_t x5 asm("x5") = in.x[5];
    register uint64_t x6 asm("x6") = in.x[6];
    register uint64_t x7 asm("x7") = in.x[7];
    if constexpr (kSmc) {
        asm volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
                       "+r"(x7)::"memory");
    } else {
        asm volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
                       "+r"(x7)::"memory");
    }
    return Regs{{x0, x1, x2, x3, x4, x5, x6, x7}};
}

void console_write(const char* s, uint64_t n) {
    namespace hc = warden::abi::hc;
    while (n) {
        uint64_t chunk = n < hc::kConsoleWriteMax ? n : hc::kConsoleWriteMax;
        Regs r{{hc::kConsoleWrite, chunk, 0, 0, 0, 0, 0, 0}};
        for (uint64_t i = 0; i < chunk; ++i) {
            r.x[2 + i / 8] |= static_cast<uint64_t>(static_cast<unsigned char>(s[i]))
                              << (8 * (i % 8));
        }
        hvc(r);
        s += chunk;
        n -= chunk;
    }
}

void vprint(const char* prefix, const char* fmt, va_list ap) {
    char line[200];
    size_t n = warden::format(line, sizeof line, "%s", prefix);
    n += warden::vformat(line + n, sizeof line - n - 1, fmt, ap);
    line[n++] = '\n';
    console_write(line, n);
}

}  // namespace

Regs hvc(const Regs& in) {
    return raw_call<false>(in);
}
Regs smc(const Regs& in) {
    return raw_call<true>(in);
}
Regs call(bool use_smc, const Regs& in) {
    return use_smc ? smc(in) : hvc(in);
}

void print(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprint("", fmt, ap);
    va_end(ap);
}

void fail(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprint("FAIL: ", fmt, ap);
    va_end(ap);
    // Touch an IPA no domain has, so the hypervisor records this domain as crashed.
    for (;;) asm volatile("str xzr, [%0]" ::"r"(uint64_t{0x10}) : "memory");
}

void power_off() {
    hvc(Regs{{warden::abi::psci::kSystemOff, 0, 0, 0, 0, 0, 0, 0}});
    fail("SYSTEM_OFF returned");
}

int64_t domctl(void* op) {
    Regs r = hvc(Regs{{warden::abi::kDomctl, reinterpret_cast<uint64_t>(op), 0, 0, 0, 0, 0, 0}});
    return static_cast<int64_t>(r.x[0]);
}

void yield() {
    hvc(Regs{{warden::abi::hc::kYield, 0, 0, 0, 0, 0, 0, 0}});
}

void set_exception_hook(ExceptionHook hook) {
    g_exception_hook = hook;
}

uint64_t boot_counter() {
    return g_boot_counter;
}
const void* device_tree() {
    return g_fdt;
}

const char* bootargs() {
    if (!g_fdt) return "";
    int chosen = fdt_path_offset(g_fdt, "/chosen");
    if (chosen < 0) return "";
    int len = 0;
    const char* s = static_cast<const char*>(fdt_getprop(g_fdt, chosen, "bootargs", &len));
    return (s && len > 0 && s[len - 1] == '\0') ? s : "";
}

bool bootarg(const char* key, char* buf, unsigned size) {
    const char* s = bootargs();
    unsigned klen = 0;
    while (key[klen]) ++klen;
    for (const char* p = s; *p; ++p) {
        if (p != s && p[-1] != ' ') continue;
        unsigned i = 0;
        while (i < klen && p[i] == key[i]) ++i;
        if (i != klen || p[i] != '=') continue;
        p += klen + 1;
        unsigned n = 0;
        while (p[n] && p[n] != ' ' && n + 1 < size) {
            buf[n] = p[n];
            ++n;
        }
        buf[n] = '\0';
        return true;
    }
    return false;
}

}  // namespace guest

extern "C" void guest_entry(const void* fdt, uint64_t boot_counter) {
    for (InitFn* f = __init_array_start; f < __init_array_end; ++f) (*f)();
    guest::g_boot_counter = boot_counter;
    if (fdt_check_header(fdt) == 0) guest::g_fdt = fdt;
    int rc = guest_main();
    if (rc != 0) guest::fail("guest_main returned %d", rc);
    guest::power_off();
}

extern "C" uint64_t guest_exception(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t far) {
    if (guest::g_exception_hook &&
        guest::g_exception_hook(static_cast<unsigned>(kind), esr, elr, far)) {
        return elr;
    }
    guest::fail("unexpected exception %lu: esr 0x%lx elr 0x%lx far 0x%lx", kind, esr, elr, far);
}
