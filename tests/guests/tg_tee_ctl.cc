// SPDX-License-Identifier: Apache-2.0
// A test control domain: drives TEE enablement of the other (paused) boot domains
// through the real domctl hypercall and checks every answer.
// bootargs: test=enable|exhaustion|conduits|forged|no_mediator|not_enabled|unprivileged|
//                disable_before_run|reenable|name_injection|quota|destroy_inflight|
//                console_input
#include <cstring>

#include "guest/guest.h"
#include "warden/domctl.h"
#include "warden/errno.h"

namespace {

namespace abi = warden::abi;
namespace err = warden::abi::err;

int failures = 0;

const char* errname(int64_t rc) {
    switch (-rc) {
    case 0:
        return "0";
    case err::kPerm:
        return "-EPERM";
    case err::kNoEnt:
        return "-ENOENT";
    case err::kSrch:
        return "-ESRCH";
    case err::kBusy:
        return "-EBUSY";
    case err::kExist:
        return "-EEXIST";
    case err::kNoDev:
        return "-ENODEV";
    case err::kInval:
        return "-EINVAL";
    case err::kNoSpc:
        return "-ENOSPC";
    case err::kFault:
        return "-EFAULT";
    case err::kIo:
        return "-EIO";
    default:
        return "?";
    }
}

void expect_rc(const char* what, int64_t rc, int64_t want) {
    if (rc != want) {
        guest::print("FAIL: %s: %s (%ld), expected %s", what, errname(rc), rc, errname(want));
        ++failures;
    } else {
        guest::print("ctl: %s -> %s", what, errname(rc));
    }
}

int64_t tee_enable(uint16_t domid, uint32_t method = abi::kTeeDtSmc, uint32_t shm_pages = 0) {
    auto op = abi::make_domctl(abi::kTeeEnable, domid);
    op.u.tee_enable.tee_type = abi::kTeeOptee;
    op.u.tee_enable.dt_method = method;
    op.u.tee_enable.quotas.shm_pages = shm_pages;
    return guest::domctl(&op);
}

int64_t simple(uint32_t cmd, uint16_t domid) {
    auto op = abi::make_domctl(cmd, domid);
    return guest::domctl(&op);
}

void show_tee(uint16_t domid) {
    auto op = abi::make_domctl(abi::kTeeQuery, domid);
    int64_t rc = guest::domctl(&op);
    if (rc) {
        guest::print("FAIL: tee_query d%u: %s", domid, errname(rc));
        ++failures;
        return;
    }
    const auto& q = op.u.tee_query;
    guest::print("ctl: d%u tee=%s client=%u forwarded=%lu refused=%lu in_use=%u limit=%u", domid,
                 q.tee_type == abi::kTeeOptee ? "optee" : "none", q.client_id, q.calls_forwarded,
                 q.calls_refused, q.guests_in_use, q.guest_limit);
}

void list_domains() {
    for (uint16_t next = 0;;) {
        auto op = abi::make_domctl(abi::kGetDomainInfo, next);
        op.u.info.flags = abi::kInfoFirstAtOrAfter;
        if (guest::domctl(&op) != 0) break;
        const auto& i = op.u.info;
        guest::print("ctl: domain %u state=%u vcpus=%u ram=%lu MiB%s tee=%u client=%u", i.domid,
                     i.state, i.vcpus, i.ram_size >> 20,
                     (i.dom_flags & abi::kDomainPrivileged) ? " privileged" : "", i.tee_type,
                     i.tee_client);
        next = static_cast<uint16_t>(i.domid + 1);
    }
}

void malformed_requests() {
    auto op = abi::make_domctl(abi::kTeeQuery, 1);
    op.interface_version = 0x1234;
    expect_rc("domctl with a wrong interface version", guest::domctl(&op), -err::kInval);
    op = abi::make_domctl(abi::kTeeQuery, 1);
    op.reserved1 = 1;
    expect_rc("domctl with reserved bits set", guest::domctl(&op), -err::kInval);
    op = abi::make_domctl(0x77, 1);
    expect_rc("unknown domctl", guest::domctl(&op), -err::kInval);
    op = abi::make_domctl(abi::kTeeEnable, 1);
    op.u.tee_enable.tee_type = abi::kTeeOptee;
    op.u.raw[40] = 1;
    expect_rc("tee_enable with junk after its fields", guest::domctl(&op), -err::kInval);
    expect_rc("domctl at an address outside my RAM",
              static_cast<int64_t>(guest::hvc({{abi::kDomctl, 0x10000000, 0, 0, 0, 0, 0, 0}}).x[0]),
              -err::kFault);
    expect_rc("domctl at a misaligned address",
              static_cast<int64_t>(guest::hvc({{abi::kDomctl, 0x4, 0, 0, 0, 0, 0, 0}}).x[0]),
              -err::kInval);
    expect_rc("tee_enable on a missing domain", tee_enable(12), -err::kSrch);
    expect_rc("tee_enable on myself (already running)", tee_enable(0, abi::kTeeDtNone),
              -err::kBusy);
}

int test_enable() {
    list_domains();
    malformed_requests();
    expect_rc("tee_enable d1", tee_enable(1), 0);
    expect_rc("tee_enable d1 again", tee_enable(1), -err::kExist);
    show_tee(1);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    return 0;
}

int test_exhaustion() {
    expect_rc("tee_enable d1", tee_enable(1), 0);
    expect_rc("tee_enable d2", tee_enable(2), 0);
    expect_rc("tee_enable d3 (no room left)", tee_enable(3), -err::kNoSpc);
    show_tee(3);
    expect_rc("destroy d1", simple(abi::kDestroy, 1), 0);
    expect_rc("tee_enable d3 after d1 released its client ID", tee_enable(3), 0);
    show_tee(2);
    show_tee(3);
    expect_rc("unpause d2", simple(abi::kUnpause, 2), 0);
    expect_rc("unpause d3", simple(abi::kUnpause, 3), 0);
    return 0;
}

int test_conduits() {
    expect_rc("tee_enable d1 over smc", tee_enable(1, abi::kTeeDtSmc), 0);
    expect_rc("tee_enable d2 over hvc", tee_enable(2, abi::kTeeDtHvc), 0);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    expect_rc("unpause d2", simple(abi::kUnpause, 2), 0);
    return 0;
}

int test_forged() {
    expect_rc("tee_enable d1", tee_enable(1), 0);
    expect_rc("tee_enable d2", tee_enable(2), 0);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    expect_rc("unpause d2", simple(abi::kUnpause, 2), 0);
    return 0;
}

int test_no_mediator() {
    expect_rc("tee_enable d1 without a TEE", tee_enable(1), -err::kNoDev);
    show_tee(1);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    return 0;
}

int test_not_enabled() {
    expect_rc("tee_disable d1 (never enabled)", simple(abi::kTeeDisable, 1), -err::kNoEnt);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    return 0;
}

// For the benchmark: d1 gets OP-TEE over SMC (bench_smc) or HVC (bench_hvc) and
// then runs alone, so that nothing else advances the counter it reads.
int test_bench(uint32_t method) {
    // The first guest instruction the platform runs is this control domain's.
    guest::print("bench: boot_to_first_guest_instruction=%lu ticks", guest::boot_counter());
    // Room for the 4096-page registration the benchmark makes.
    expect_rc("tee_enable d1", tee_enable(1, method, 8192), 0);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    return 0;
}
int test_bench_smc() {
    return test_bench(abi::kTeeDtSmc);
}
int test_bench_hvc() {
    return test_bench(abi::kTeeDtHvc);
}

// Once unpaused a guest may run at any moment: its TEE cannot be taken away
// before it has run (it would boot with a node for a TEE that refuses it).
int test_disable_before_run() {
    expect_rc("tee_enable d1", tee_enable(1), 0);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    expect_rc("tee_disable d1 after unpause, before its first run", simple(abi::kTeeDisable, 1),
              -err::kBusy);
    show_tee(1);
    return 0;
}

// Disabling a never-run guest's TEE takes /firmware/optee away again, so it can be
// enabled again (with another conduit) or the guest boots without any trace.
int test_reenable() {
    expect_rc("tee_enable d1 over smc", tee_enable(1, abi::kTeeDtSmc), 0);
    expect_rc("tee_disable d1", simple(abi::kTeeDisable, 1), 0);
    expect_rc("tee_enable d1 again, over hvc", tee_enable(1, abi::kTeeDtHvc), 0);
    expect_rc("tee_enable d2 over smc", tee_enable(2, abi::kTeeDtSmc), 0);
    expect_rc("tee_disable d2", simple(abi::kTeeDisable, 2), 0);
    show_tee(1);
    show_tee(2);
    expect_rc("unpause d1", simple(abi::kUnpause, 1), 0);
    expect_rc("unpause d2", simple(abi::kUnpause, 2), 0);
    return 0;
}

abi::DomctlTeeQuery query(uint16_t domid) {
    auto op = abi::make_domctl(abi::kTeeQuery, domid);
    if (guest::domctl(&op) != 0) op.u.tee_query = abi::DomctlTeeQuery{};
    return op.u.tee_query;
}

int64_t set_quotas(uint16_t domid, uint32_t sessions, uint32_t shm_pages) {
    auto op = abi::make_domctl(abi::kTeeSetQuotas, domid);
    op.u.tee_quotas.limits = {sessions, shm_pages};
    int64_t rc = guest::domctl(&op);
    guest::print("ctl: d%u holds %u session(s), %u shared page(s)", domid,
                 op.u.tee_quotas.in_use.sessions, op.u.tee_quotas.in_use.shm_pages);
    return rc;
}

// Yields until d1 holds at least `pages` shared pages (false if it never does).
bool wait_for_shm(uint32_t pages) {
    for (int i = 0; i < 5000; ++i) {
        if (query(1).in_use.shm_pages >= pages) return true;
        guest::yield();
    }
    guest::print("FAIL: d1 never held %u shared page(s)", pages);
    ++failures;
    return false;
}

// d1 fills 3 of its 4 shared pages and is refused 2 more; the quota is raised
// under it (not below what it holds), and its retry goes through.
int test_quota() {
    if (!wait_for_shm(3)) return 1;
    expect_rc("lower d1's shared-memory quota below what it holds", set_quotas(1, 16, 2),
              -err::kBusy);
    expect_rc("raise d1's shared-memory quota to 8 pages", set_quotas(1, 16, 8), 0);
    return 0;
}

// d1 has shared memory registered and a call suspended in OP-TEE when it is
// destroyed: everything comes back, and its client ID serves d2 (the TEE holds
// one guest).
int test_destroy_inflight() {
    if (!wait_for_shm(2)) return 1;
    for (int i = 0; i < 20; ++i) guest::yield();  // its call is held by now
    expect_rc("destroy d1 mid-call", simple(abi::kDestroy, 1), 0);
    auto info = abi::make_domctl(abi::kTeeInfo, 0);
    expect_rc("tee_info", guest::domctl(&info), 0);
    guest::print("ctl: guests registered with the TEE: %u", info.u.tee_info.guests_in_use);
    if (info.u.tee_info.guests_in_use != 0) ++failures;
    expect_rc("tee_enable d2 with d1's room", tee_enable(2), 0);
    expect_rc("unpause d2", simple(abi::kUnpause, 2), 0);
    return 0;
}

int64_t create_named(const char* name) {
    auto op = abi::make_domctl(abi::kCreateDomain, 0);
    op.u.create.ram_size = 2 * 1024 * 1024;
    op.u.create.vcpus = 1;
    std::memcpy(op.u.create.name, name, std::strlen(name) + 1);
    return guest::domctl(&op);
}

// A name that would forge a hypervisor log line, or drive the terminal.
int test_name_injection() {
    expect_rc("create a domain named \"x\\n[warden] d0: crashed\"",
              create_named("x\n[warden] d0: crashed"), -err::kInval);
    expect_rc("create a domain named \"x\\r\\x1b[2J\"", create_named("x\r\x1b[2J"), -err::kInval);
    expect_rc("create a domain named \"Web\"", create_named("Web"), -err::kInval);
    expect_rc("create a domain named \"web-1\"", create_named("web-1"), 0);
    return 0;
}

int test_unprivileged() {
    expect_rc("get_domain_info from a guest", simple(abi::kGetDomainInfo, 0), -err::kPerm);
    expect_rc("tee_enable from a guest", tee_enable(0), -err::kPerm);
    expect_rc("destroy from a guest", simple(abi::kDestroy, 0), -err::kPerm);
    expect_rc("domctl at a bad address from a guest",
              static_cast<int64_t>(guest::hvc({{abi::kDomctl, 0x4, 0, 0, 0, 0, 0, 0}}).x[0]),
              -err::kPerm);
    return 0;
}

// Types a line into d1's emulated PL011, resending what its full buffer did
// not take, and checks the bounds of kConsoleInput.
int test_console_input() {
    static char text[300];
    for (unsigned i = 0; i < sizeof text; ++i) text[i] = 'x';
    auto input = [](const char* s, uint32_t n, uint32_t& accepted) {
        auto op = abi::make_domctl(abi::kConsoleInput, 1);
        op.u.input.buf = reinterpret_cast<uint64_t>(s);
        op.u.input.size = n;
        int64_t rc = guest::domctl(&op);
        accepted = op.u.input.accepted;
        return rc;
    };
    uint32_t accepted = 0;
    expect_rc("console_input of 0 bytes", input(text, 0, accepted), -err::kInval);
    expect_rc("console_input of 257 bytes", input(text, 257, accepted), -err::kInval);
    const char line[] = "ping from the control domain\n";
    uint32_t sent = 0;
    for (int tries = 0; sent < sizeof line - 1 && tries < 1000; ++tries) {
        if (input(line + sent, sizeof line - 1 - sent, accepted) != 0) break;
        sent += accepted;
        if (sent < sizeof line - 1) guest::yield();
    }
    guest::print("ctl: typed %u of %u byte(s) into d1's UART", sent,
                 static_cast<uint32_t>(sizeof line - 1));
    if (sent != sizeof line - 1) ++failures;
    return 0;
}

}  // namespace

int guest_main() {
    char test[24] = "";
    guest::bootarg("test", test, sizeof test);
    struct {
        const char* name;
        int (*fn)();
    } const tests[] = {
        {"enable", test_enable},
        {"exhaustion", test_exhaustion},
        {"conduits", test_conduits},
        {"forged", test_forged},
        {"no_mediator", test_no_mediator},
        {"not_enabled", test_not_enabled},
        {"unprivileged", test_unprivileged},
        {"disable_before_run", test_disable_before_run},
        {"reenable", test_reenable},
        {"name_injection", test_name_injection},
        {"bench_smc", test_bench_smc},
        {"bench_hvc", test_bench_hvc},
        {"quota", test_quota},
        {"destroy_inflight", test_destroy_inflight},
        {"console_input", test_console_input},
    };
    for (const auto& t : tests) {
        if (std::strcmp(t.name, test) == 0) {
            t.fn();
            guest::print("ctl: %s: %d failure(s)", test, failures);
            return failures;
        }
    }
    guest::fail("unknown test '%s'", test);
}
