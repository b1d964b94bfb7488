// SPDX-License-Identifier: Apache-2.0
// Guest-visible costs, in counter ticks. Under QEMU with -icount shift=4 one tick
// of the 62.5 MHz counter is exactly one instruction, so these are instruction
// counts and identical run after run.
#include "guest/guest.h"
#include "optee_msg.h"
#include "warden/optee.h"

extern "C" {
#include <libfdt.h>
}
#include "warden/hypercall.h"
#include "warden/psci.h"

namespace {

namespace op = warden::abi::optee;

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

optee_msg::MessagePage g_msg;
bool g_smc = true;

// A session with the model's increment TA; 0 when it cannot be opened.
uint32_t open_session() {
    optee_msg::open_session(g_msg);
    if (optee_msg::send(g_smc, g_msg) != op::kOk || g_msg.h.ret != op::kTeecSuccess) return 0;
    return g_msg.h.session;
}

uint32_t g_session = 0;

void invoke() {
    optee_msg::invoke_add_one(g_msg, g_session, 1);
    optee_msg::send(g_smc, g_msg);
}

// REGISTER_SHM of n pages listed in a page list at `list` (pages from `data`),
// then UNREGISTER_SHM: prints the cheapest registration of `rounds` (the counter
// reads subtracted) and checks that each worked.
void register_shm(uint64_t n, uint64_t list, uint64_t data, int rounds, uint64_t timer) {
    auto* e = reinterpret_cast<uint64_t*>(list);
    for (uint64_t i = 0; i < n; ++i) {
        e[(i / 511) * 512 + i % 511] = data + i * 4096;
        if (i % 511 == 0) e[(i / 511) * 512 + 511] = list + (i / 511 + 1) * 4096;
    }
    uint64_t best = ~uint64_t{0}, total = 0;
    for (int r = 0; r < rounds; ++r) {
        g_msg = optee_msg::MessagePage{};
        g_msg.h.cmd = op::kMsgCmdRegisterShm;
        g_msg.h.num_params = 1;
        g_msg.p[0] = {op::kAttrTmemInout | op::kAttrNoncontig, list, n * 4096, 0x5e};
        uint64_t t0 = guest::counter();
        uint64_t rc = optee_msg::send(g_smc, g_msg);
        uint64_t t = guest::counter() - t0 - timer;
        if (rc != op::kOk || g_msg.h.ret != op::kTeecSuccess) {
            guest::fail("REGISTER_SHM of %lu pages: 0x%lx ret 0x%x", n, rc, g_msg.h.ret);
        }
        total += t;
        if (t < best) best = t;
        g_msg = optee_msg::MessagePage{};
        g_msg.h.cmd = op::kMsgCmdUnregisterShm;
        g_msg.h.num_params = 1;
        g_msg.p[0] = {op::kAttrRmemInput, 0, 0, 0x5e};
        if (optee_msg::send(g_smc, g_msg) != op::kOk || g_msg.h.ret != op::kTeecSuccess) {
            guest::fail("UNREGISTER_SHM of %lu pages failed", n);
        }
    }
    guest::print("bench: optee_register_shm_%lu_%s=%lu ticks/call, min %lu", n,
                 g_smc ? "smc" : "hvc", total / rounds, best);
}

}  // namespace

// profile=fast|invoke calls=N: only N of that call (after one to warm up),
// nothing else, for bench/hypervisor-profile.sh to trace.
int profile(const char* what, unsigned calls) {
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node < 0) guest::fail("profile: no OP-TEE in the device tree");
    const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
    g_smc = method && method[0] == 's';
    g_session = open_session();
    if (!g_session) guest::fail("profile: no session");
    const bool fast = what[0] == 'f';
    auto one = [fast] {
        if (fast) {
            guest::call(g_smc, {{op::kGetOsRevision, 0, 0, 0, 0, 0, 0, 0}});
        } else {
            invoke();
        }
    };
    one();
    for (unsigned i = 0; i < calls; ++i) one();
    guest::print("bench: profiled %u %s call(s)", calls, fast ? "fast" : "invoke");
    return 0;
}

int guest_main() {
    char what[16], count[16];
    if (guest::bootarg("profile", what, sizeof what)) {
        unsigned calls = 0;
        if (guest::bootarg("calls", count, sizeof count)) {
            for (const char* p = count; *p >= '0' && *p <= '9'; ++p)
                calls = calls * 10 + (*p - '0');
        }
        return profile(what, calls);
    }
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
        // Shared memory: the list in the last MiB of RAM, data pages from 4 MiB.
        int mem = fdt_path_offset(fdt, "/memory");
        const auto* reg = static_cast<const fdt64_t*>(fdt_getprop(fdt, mem, "reg", nullptr));
        uint64_t ram = fdt64_to_cpu(reg[0]), size = fdt64_to_cpu(reg[1]);
        if (size >= (24u << 20)) {
            const uint64_t list = ram + size - (1u << 20), data = ram + (4u << 20);
            register_shm(1, list, data, 20, timer);
            register_shm(16, list, data, 20, timer);
            register_shm(256, list, data, 10, timer);
            register_shm(4096, list, data, 5, timer);
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
