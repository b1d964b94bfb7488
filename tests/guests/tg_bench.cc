// SPDX-License-Identifier: Apache-2.0
// Guest-visible costs, in counter ticks. Under QEMU with -icount shift=4 one tick
// of the 62.5 MHz counter is exactly one instruction, so these are instruction
// counts and identical run after run.
#include "guest/guest.h"
#include "test_tas.h"
#include "warden/optee.h"

extern "C" {
#include <libfdt.h>
}
#include "warden/hypercall.h"
#include "warden/psci.h"

namespace {

namespace op = warden::abi::optee;
namespace tas = warden::optee_model::tas;

constexpr int kRounds = 1000;

template <typename Fn>
uint64_t per_call(Fn fn) {
    fn();  // warm up
    uint64_t t0 = guest::counter();
    for (int i = 0; i < kRounds; ++i) fn();
    uint64_t t1 = guest::counter();
    return (t1 - t0) / kRounds;
}

// The cheapest single call: each one timed on its own (the counter reads
// included; `timer` is their own cost, subtracted by the caller).
template <typename Fn>
uint64_t min_call(Fn fn) {
    uint64_t best = ~uint64_t{0};
    for (int i = 0; i < kRounds; ++i) {
        uint64_t t0 = guest::counter();
        fn();
        uint64_t t = guest::counter() - t0;
        if (t < best) best = t;
    }
    return best;
}

struct alignas(4096) MessagePage {
    op::MsgArg h;
    op::MsgParam p[6];
};
MessagePage g_msg;
bool g_smc = true;

uint64_t send() {
    auto at = reinterpret_cast<uint64_t>(&g_msg);
    return guest::call(g_smc, {{op::kCallWithArg, at >> 32, at & 0xffffffffu, 0, 0, 0, 0, 0}}).x[0];
}

// A session with the model's increment TA; 0 when it cannot be opened.
uint32_t open_session() {
    g_msg = MessagePage{};
    g_msg.h.cmd = op::kMsgCmdOpenSession;
    g_msg.h.num_params = 2;
    g_msg.p[0] = {op::kAttrMeta | op::kAttrValueInput, tas::kIncrement.a, tas::kIncrement.b, 0};
    g_msg.p[1] = {op::kAttrMeta | op::kAttrValueInput, 0, 0, op::kLoginPublic};
    if (send() != op::kOk || g_msg.h.ret != op::kTeecSuccess) return 0;
    return g_msg.h.session;
}

uint32_t g_session = 0;

void invoke() {
    g_msg.h = op::MsgArg{};
    g_msg.h.cmd = op::kMsgCmdInvokeCommand;
    g_msg.h.func = tas::kIncrementCmdAddOne;
    g_msg.h.session = g_session;
    g_msg.h.num_params = 1;
    g_msg.p[0] = {op::kAttrValueInout, 1, 0, 0};
    send();
}

}  // namespace

int guest_main() {
    uint64_t empty = per_call([] { asm volatile("" ::: "memory"); });
    uint64_t timer = min_call([] { asm volatile("" ::: "memory"); });
    auto min_of = [timer](auto fn) { return min_call(fn) - timer; };
    // Debug registers trap to EL2 and read as zero there, right in the trap
    // decoder: reading MDSCR_EL1 is the bare trap round trip.
    auto bare_fn = [] {
        uint64_t v;
        asm volatile("mrs %0, mdscr_el1" : "=r"(v)::"memory");
    };
    auto hvc_fn = [] { guest::hvc({{warden::abi::hc::kVersion, 0, 0, 0, 0, 0, 0, 0}}); };
    auto smc_fn = [] { guest::smc({{warden::abi::hc::kVersion, 0, 0, 0, 0, 0, 0, 0}}); };
    auto psci_fn = [] { guest::hvc({{warden::abi::psci::kVersion, 0, 0, 0, 0, 0, 0, 0}}); };
    uint64_t bare = per_call(bare_fn), hvc = per_call(hvc_fn), smc = per_call(smc_fn),
             psci = per_call(psci_fn);
    uint64_t bare_min = min_of(bare_fn), hvc_min = min_of(hvc_fn), smc_min = min_of(smc_fn),
             psci_min = min_of(psci_fn);
    // With OP-TEE enabled for this guest: mediated calls, over the conduit its
    // device tree names. Each figure: "mean ticks/call, min".
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node >= 0) {
        const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
        g_smc = method && method[0] == 's';
        auto fast = [] { guest::call(g_smc, {{op::kGetOsRevision, 0, 0, 0, 0, 0, 0, 0}}); };
        guest::print("bench: optee_get_os_revision_%s=%lu ticks/call, min %lu",
                     g_smc ? "smc" : "hvc", per_call(fast) - empty, min_of(fast));
        g_session = open_session();
        if (g_session) {
            guest::print("bench: optee_invoke_value_%s=%lu ticks/call, min %lu",
                         g_smc ? "smc" : "hvc", per_call(invoke) - empty, min_of(invoke));
        }
    }
    guest::print("bench: benchmark_guest_start=%lu ticks", guest::boot_counter());
    guest::print("bench: loop_overhead=%lu ticks/iteration", empty);
    guest::print("bench: bare_trap_roundtrip=%lu ticks/call, min %lu", bare - empty, bare_min);
    guest::print("bench: null_hypercall_hvc=%lu ticks/call, min %lu", hvc - empty, hvc_min);
    guest::print("bench: null_hypercall_smc=%lu ticks/call, min %lu", smc - empty, smc_min);
    guest::print("bench: psci_version_hvc=%lu ticks/call, min %lu", psci - empty, psci_min);
    return 0;
}
