// SPDX-License-Identifier: Apache-2.0
// Nothing one domain wrote reaches another: RAM is cleared when a domain is
// created (whatever it held before, boot leftovers included) and scrubbed when it
// is destroyed, in bounded steps when a domctl asks; stage-2 table pages are
// cleared before they are reused.
#include <gtest/gtest.h>

#include <cstring>

#include "core/domain.h"
#include "core/domctl.h"
#include "fake_machine.h"
#include "warden/errno.h"

namespace warden {
namespace {

namespace err = abi::err;
constexpr uint64_t k8M = 8 * 1024 * 1024;
constexpr uint8_t kSecret = 0xa5;

class ScrubTest : public ::testing::Test {
protected:
    test::FakeMachine machine;
    PageAllocator alloc;
    DomainTable domains{alloc};
    Domain* dom0 = nullptr;

    void SetUp() override {
        // What an earlier boot (or the firmware) may have left in RAM.
        std::memset(machine.host(machine.ram_base()), kSecret, machine.ram_size());
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        DomainConfig cfg;
        cfg.ram_size = 2 * 1024 * 1024;
        cfg.privileged = true;
        cfg.name = "ctl";
        ASSERT_EQ(domains.create(cfg, &dom0), 0);
        dom0->mark_running();
    }

    static abi::Domctl create_op(uint64_t size) {
        auto op = abi::make_domctl(abi::kCreateDomain, 0);
        op.u.create.ram_size = size;
        op.u.create.vcpus = 1;
        std::strcpy(op.u.create.name, "guest");
        return op;
    }
    // Runs a request step by step as the hypercall does; returns its result and
    // how many times it had to be made again.
    int run(abi::Domctl& op, unsigned* restarts = nullptr) {
        int rc;
        unsigned n = 0;
        while ((rc = domctl::execute_step(domains, *dom0, op, cont)) == domctl::kRestart) ++n;
        if (restarts) *restarts = n;
        return rc;
    }
    // Bytes of a domain's RAM that are not zero.
    uint64_t nonzero_bytes(const Domain& d) {
        const uint8_t* p = machine.host(d.ram_pa());
        uint64_t n = 0;
        for (uint64_t i = 0; i < d.ram_size(); ++i) n += p[i] != 0;
        return n;
    }
    domctl::Continuation cont;
};

TEST_F(ScrubTest, PagesAreZeroWhateverRamHeldAtBoot) {
    auto page = alloc.alloc_page();
    ASSERT_TRUE(page);
    const uint8_t* p = machine.host(*page);
    for (uint64_t i = 0; i < kPageSize; ++i) ASSERT_EQ(p[i], 0) << "byte " << i;
    auto op = create_op(k8M);
    ASSERT_EQ(run(op), 0);
    Domain* d = domains.find(DomId{op.u.create.domid});
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(nonzero_bytes(*d), 0u);
    EXPECT_EQ(nonzero_bytes(*dom0), 0u) << "boot-time domains too";
}

TEST_F(ScrubTest, ADestroyedDomainsDataNeverReachesTheNextOne) {
    auto op = create_op(k8M);
    unsigned restarts = 0;
    ASSERT_EQ(run(op, &restarts), 0);
    EXPECT_GE(restarts, k8M / kPageSize / kScrubPagesPerStep - 1) << "cleared in bounded steps";
    uint16_t id = op.u.create.domid;
    Domain* d = domains.find(DomId{id});
    ASSERT_NE(d, nullptr);
    Pa ram = d->ram_pa();
    std::memset(machine.host(ram), 0x5e, k8M);  // the guest's secret fills its RAM

    // One step of the destroy: the domain is gone from view, its RAM not yet free.
    auto destroy = abi::make_domctl(abi::kDestroy, id);
    ASSERT_EQ(domctl::execute_step(domains, *dom0, destroy, cont), domctl::kRestart);
    EXPECT_EQ(domains.find(DomId{id}), nullptr);
    auto info = abi::make_domctl(abi::kGetDomainInfo, id);
    EXPECT_EQ(run(info), -err::kSrch) << "a dying domain is not listed";
    auto pause = abi::make_domctl(abi::kPause, id);
    EXPECT_EQ(run(pause), -err::kSrch);
    EXPECT_FALSE(alloc.is_free(ram + (k8M - kPageSize))) << "its last page is not free yet";

    ASSERT_EQ(run(destroy, &restarts), 0);
    EXPECT_GE(restarts, k8M / kPageSize / kScrubPagesPerStep - 2);
    for (uint64_t off = 0; off < k8M; off += kPageSize) {
        ASSERT_TRUE(alloc.is_free(ram + off));
        ASSERT_FALSE(alloc.is_dirty(ram + off)) << "freed only once scrubbed";
    }

    op = create_op(k8M);
    ASSERT_EQ(run(op), 0);
    Domain* next = domains.find(DomId{op.u.create.domid});
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(next->ram_pa(), ram) << "the same pages went to the next domain";
    EXPECT_EQ(nonzero_bytes(*next), 0u);
}

TEST_F(ScrubTest, DestroyingTwiceOrTheCallerIsRefused) {
    auto op = create_op(k8M);
    ASSERT_EQ(run(op), 0);
    uint16_t id = op.u.create.domid;
    auto self = abi::make_domctl(abi::kDestroy, dom0->id().value);
    EXPECT_EQ(run(self), -err::kInval);
    auto destroy = abi::make_domctl(abi::kDestroy, id);
    ASSERT_EQ(run(destroy), 0);
    EXPECT_EQ(run(destroy), -err::kSrch);
}

TEST_F(ScrubTest, AnAbandonedCreateKeepsNothing) {
    uint64_t before = alloc.free_pages();
    auto op = create_op(k8M);
    ASSERT_EQ(domctl::execute_step(domains, *dom0, op, cont), domctl::kRestart);
    ASSERT_NE(cont.building, nullptr);
    auto info = abi::make_domctl(abi::kGetDomainInfo, cont.building->id().value);
    // The caller turns to something else: the half-built domain goes away.
    EXPECT_EQ(run(info), -err::kSrch);
    EXPECT_EQ(cont.building, nullptr);
    EXPECT_EQ(alloc.free_pages(), before);
    op = create_op(k8M);
    ASSERT_EQ(run(op), 0);
    Domain* d = domains.find(DomId{op.u.create.domid});
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(nonzero_bytes(*d), 0u) << "pages it had not cleared were still known dirty";
}

TEST_F(ScrubTest, FreedTablePagesAreClearedBeforeReuse) {
    DomainConfig cfg;
    cfg.ram_size = k8M;
    cfg.name = "t";
    Domain* d = nullptr;
    ASSERT_EQ(domains.create(cfg, &d), 0);
    Pa root = d->stage2().root();
    domains.destroy(*d);
    EXPECT_TRUE(alloc.is_dirty(root)) << "a freed table still holds physical addresses";
    // Whatever page comes back next, it holds zeros.
    for (int i = 0; i < 64; ++i) {
        auto p = alloc.alloc_page();
        ASSERT_TRUE(p);
        const uint8_t* b = machine.host(*p);
        for (uint64_t j = 0; j < kPageSize; ++j) ASSERT_EQ(b[j], 0);
    }
}

}  // namespace
}  // namespace warden
