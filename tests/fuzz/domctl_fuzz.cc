// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary domctl requests from the control domain (every
// byte of the 128-byte struct hostile), in sequences, against the real domctl
// handler with the OP-TEE model behind it. Beyond the sanitizers, checks that
// every answer is 0 or a known -errno, that the page allocator never loses or
// invents pages across create/destroy, that OP-TEE never holds a partition the
// hypervisor does not know about, and that nothing a destroyed domain wrote is
// readable by a domain created after it. Requests run one step at a time, as the
// hypercall runs them, so a create or destroy can be left half-done and the
// next request can be anything.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/domain.h"
#include "core/domctl.h"
#include "core/tee/tee.h"
#include "firmware/optee/model.h"
#include "unit/fake_machine.h"
#include "unit/optee_world.h"
#include "warden/domctl.h"
#include "warden/errno.h"

namespace {

using namespace warden;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

bool known_errno(int rc) {
    namespace e = abi::err;
    for (int k : {0, e::kPerm, e::kNoEnt, e::kSrch, e::kNoMem, e::kFault, e::kBusy, e::kExist,
                  e::kNoDev, e::kInval, e::kNoSpc, e::kIo, e::kTooBig}) {
        if (rc == -k) return true;
    }
    return false;
}

// Every domain's RAM gets this in a few bytes of every page, as a guest's data;
// a domain that reads any of it in its fresh RAM got another domain's pages.
constexpr uint64_t kGuestData = 0x6775657374646174;

// The caller's RAM, where copies come from and console reads go.
constexpr uint64_t kCallerRam = 1ull << 20;

void write_guest_data(test::FakeMachine& m, const Domain& d) {
    for (uint64_t off = 0; off < d.ram_size(); off += kPageSize) {
        uint8_t* p = m.host(d.ram_pa() + off);
        std::memcpy(p, &kGuestData, 8);
        std::memcpy(p + kPageSize - 8, &kGuestData, 8);
    }
}

bool ram_is_clean(test::FakeMachine& m, const Domain& d) {
    for (uint64_t off = 0; off < d.ram_size(); off += kPageSize) {
        const uint8_t* p = m.host(d.ram_pa() + off);
        for (uint64_t i : {uint64_t{0}, uint64_t{8}, kPageSize / 2, kPageSize - 8}) {
            uint64_t v;
            std::memcpy(&v, p + i, 8);
            if (v != 0) return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The machine, its allocator and the caller (dom0) live for the whole run:
    // setting them up cleared all of RAM and took three quarters of each input.
    // Every input starts from a zeroed dom0 and no other domain, and must end
    // with every page back; the dirty-page tracking carries over, so a domain
    // created later that reads another's data in its fresh RAM is caught across
    // inputs as well as within one.
    static test::FakeMachine& machine = *new test::FakeMachine(64 * 1024 * 1024);
    static PageAllocator& alloc = *[] {
        auto* a = new PageAllocator;
        a->init(machine.ram_base(), machine.ram_size(), machine.ram_base());
        return a;
    }();
    static DomainTable& domains = *new DomainTable(alloc);
    static Domain* dom0 = [] {
        DomainConfig d0;
        d0.privileged = true;
        d0.ram_size = kCallerRam;
        Domain* d = nullptr;
        if (domains.create(d0, &d) != 0) std::abort();
        d->mark_running();
        return d;
    }();
    std::memset(dom0->ram_ptr(dom0->ram_base(), dom0->ram_size()), 0, dom0->ram_size());
    machine.console.clear();
    optee_model::Model model(optee_model::Config{2, 2});
    test::use_optee_model(machine, model);
    const uint64_t free_after_dom0 = alloc.free_pages();
    domctl::Continuation cont;
    tee::reset();
    tee::set_pages(&alloc);
    tee::init();

    // Each record: a selector byte, then a Domctl. The selector sometimes makes
    // the request well-formed, so the fuzzer reaches the operations themselves.
    constexpr size_t kRecord = 1 + sizeof(abi::Domctl);
    for (size_t off = 0; off + kRecord <= size; off += kRecord) {
        uint8_t sel = data[off];
        abi::Domctl op;
        std::memcpy(&op, data + off + 1, sizeof op);
        if (sel & 1) {
            op.interface_version = abi::kDomctlInterfaceVersion;
            op.reserved0 = 0;
            op.reserved1 = 0;
        }
        if (sel & 2) op.cmd = (sel >> 2) % 20;
        if (sel & 0x80) op.domid = static_cast<uint16_t>(op.domid % 6);
        // Copies and console reads point into the caller's RAM half the time.
        if ((sel & 0x40) && (op.cmd == abi::kCopyToDomain || op.cmd == abi::kConsoleRead)) {
            op.u.copy.src = dom0->ram_base().value() + (op.u.copy.src % kCallerRam);
        }
        if ((sel & 0x40) && op.cmd == abi::kConsoleInput) {
            op.u.input.buf = dom0->ram_base().value() + (op.u.input.buf % kCallerRam);
        }
        // Bit 5: run the request to its end; otherwise one step, like one HVC,
        // and whatever comes next (the same request or another) continues it.
        int rc = domctl::execute_step(domains, *dom0, op, cont);
        while ((sel & 0x20) && rc == domctl::kRestart) {
            rc = domctl::execute_step(domains, *dom0, op, cont);
        }
        check(known_errno(rc) || rc == domctl::kRestart, "answers are 0 or a known -errno");
        if (op.cmd == abi::kCreateDomain && rc == 0) {
            Domain* d = domains.find(DomId{op.u.create.domid});
            check(d != nullptr, "a created domain exists");
            check(ram_is_clean(machine, *d), "a new domain's RAM holds nothing of anyone's");
            write_guest_data(machine, *d);
        }
        check(domains.find(DomId{0}) == dom0 && dom0->alive(), "the caller survives");
        if (op.cmd == abi::kConsoleInput && rc == 0) {
            check(op.u.input.accepted <= op.u.input.size, "input taken is at most what was sent");
            Domain* d = domains.find(DomId{op.domid});
            check(d && d->uart().rx_count <= vpl011::kRxSize, "the UART's buffer is bounded");
        }
        uint32_t enabled = 0;
        domains.for_each([&](Domain& d) { enabled += d.tee().enabled() ? 1 : 0; });
        check(model.partitions() == enabled, "OP-TEE partitions match enabled domains");
        check(tee::guests_in_use() == enabled, "the framework counts what is enabled");
    }
    // Destroying everything gives every page back, half-done work included.
    if (cont.building) domains.abandon_create(*cont.building);
    for (unsigned id = 1; id < kMaxDomains; ++id) {
        if (Domain* d = domains.find_any(DomId{static_cast<uint16_t>(id)})) domains.destroy(*d);
    }
    check(alloc.free_pages() == free_after_dom0, "no page leaked or double-freed");
    check(model.partitions() == 0, "no client ID leaked");
    tee::reset();
    tee::set_pages(nullptr);
    return 0;
}
