// SPDX-License-Identifier: Apache-2.0
#include "optee.h"

#include "arch.h"
#include "board.h"
#include "console.h"
#include "optee/model.h"

namespace warden::fw::optee {
namespace {

bool g_present = false;
bool g_trace = false;
bool g_bench = false;
uint32_t g_guest_limit = 2;
optee_model::Model g_model;

// Normal-world RAM, read and written in place.
class NormalRam final : public optee_model::Memory {
public:
    uint64_t base = 0, end = 0;
    bool read(uint64_t pa, void* dst, uint64_t size) override {
        if (!inside(pa, size)) return false;
        __builtin_memcpy(dst, reinterpret_cast<const void*>(pa), size);
        return true;
    }
    bool write(uint64_t pa, const void* src, uint64_t size) override {
        if (!inside(pa, size)) return false;
        __builtin_memcpy(reinterpret_cast<void*>(pa), src, size);
        return true;
    }

private:
    bool inside(uint64_t pa, uint64_t size) const {
        return pa >= base && pa <= end && size <= end - pa;
    }
};
NormalRam g_ram;
// Page addresses of shared memory the model holds: a 64 MiB guest quota, and
// a 16 MiB temporary buffer besides.
uint64_t g_page_store[16384 + 4096];

optee_model::Config model_config() {
    optee_model::Config c;
    c.guest_limit = g_guest_limit;
    c.threads = 2;
    c.memory = &g_ram;
    c.secure_base = board::kSecureRamBase;
    c.secure_size = board::kSecureRamSize;
    c.page_store = g_page_store;
    c.page_store_size = sizeof g_page_store / sizeof g_page_store[0];
    return c;
}

// The model's own cost per kind of call (under -icount: instructions), kept
// while it runs and printed at power-off, so that printing never lands inside a
// call a guest is timing.
struct BenchEntry {
    uint32_t fn = 0;
    uint32_t cmd = 0;    // CALL_WITH_ARG: the message's command
    uint32_t pages = 0;  // page-list entries the call read
    uint32_t calls = 0;
    uint64_t min = ~uint64_t{0};
};
BenchEntry g_bench_table[32];

void note(const optee_model::Regs& in, uint64_t ticks) {
    const auto fn = static_cast<uint32_t>(in.x[0]);
    uint32_t cmd = 0, pages = 0;
    if (fn == abi::optee::kCallWithArg) {
        abi::optee::MsgArg h{};
        g_ram.read((in.x[1] << 32) | (in.x[2] & 0xffffffffu), &h, sizeof h);
        cmd = h.cmd;
        pages = g_model.last_list_pages();
    }
    for (BenchEntry& e : g_bench_table) {
        if (e.calls && (e.fn != fn || e.cmd != cmd || e.pages != pages)) continue;
        e.fn = fn;
        e.cmd = cmd;
        e.pages = pages;
        ++e.calls;
        if (ticks < e.min) e.min = ticks;
        return;
    }
}

}  // namespace

void report_bench() {
    if (!g_bench) return;
    for (const BenchEntry& e : g_bench_table) {
        if (!e.calls) continue;
        console::log("optee: bench: fn=0x%08x cmd=%u pages=%u calls=%u min=%lu", e.fn, e.cmd,
                     e.pages, e.calls, e.min);
    }
}

void set_normal_ram(uint64_t base, uint64_t end) {
    g_ram.base = base;
    g_ram.end = end;
}

void configure(bool present, uint32_t guest_limit, bool trace, bool bench) {
    g_present = present;
    g_trace = trace;
    g_bench = bench;
    g_guest_limit = guest_limit;
    g_model = optee_model::Model(model_config());
    if (present) {
        console::log("OP-TEE model: virtualization, %u guest(s)%s", guest_limit,
                     trace ? ", tracing calls" : "");
    } else {
        console::log("no Trusted OS");
    }
}

void handle(SmcRegs& regs) {
    if (!g_present) {
        regs.set_result(abi::smccc::kNotSupported);
        regs.x[0] = static_cast<uint32_t>(regs.x[0]);
        return;
    }
    optee_model::Regs in{};
    for (unsigned i = 0; i < 8; ++i) in.x[i] = regs.x[i];
    optee_model::Regs out;
    if (g_trace && static_cast<uint32_t>(in.x[0]) == abi::optee::kVmDestroyed && !in.x[7]) {
        // What the guest leaves behind in OP-TEE as the hypervisor destroys it.
        auto guest = static_cast<uint16_t>(in.x[1]);
        console::log(
            "optee: guest %u destroyed: %u thread(s) suspended, %u registration(s) "
            "(%lu page(s)) dropped",
            guest, g_model.suspended_threads_of(guest), g_model.registrations_of(guest),
            g_model.registered_pages_of(guest));
    }
    if (!g_bench) {
        out = g_model.call(in);
    } else {
        const uint64_t t0 = read_cntpct_el0();
        out = g_model.call(in);
        note(in, read_cntpct_el0() - t0);
    }
    if (g_trace) {
        console::log("optee: client=%u fn=0x%08x a1=0x%lx -> 0x%lx",
                     static_cast<uint32_t>(in.x[7] & 0xffff), static_cast<uint32_t>(in.x[0]),
                     in.x[1], out.x[0]);
    }
    for (unsigned i = 0; i < 4; ++i) regs.x[i] = out.x[i];
}

}  // namespace warden::fw::optee
