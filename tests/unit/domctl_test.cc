// SPDX-License-Identifier: Apache-2.0
// The domctl operations (warden/domctl.h) on the fake machine with the OP-TEE
// model behind the TEE framework.
#include "core/domctl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/boot.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/tee/tee.h"
#include "fake_machine.h"
#include "firmware/optee/model.h"
#include "optee_world.h"
#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

namespace err = abi::err;

class DomctlTest : public ::testing::Test {
protected:
    // Room for kMaxDomains domains of 2 MiB (each starts 2 MiB aligned).
    test::FakeMachine machine{160 * 1024 * 1024};
    PageAllocator alloc;
    DomainTable domains{alloc};
    optee_model::Model model;
    Domain* dom0 = nullptr;
    Domain* dom[3] = {};

    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        DomainConfig cfg;
        cfg.ram_size = 2 * 1024 * 1024;
        cfg.privileged = true;
        ASSERT_EQ(domains.create(cfg, &dom0), 0);
        dom0->mark_running();
        cfg.privileged = false;
        for (auto& d : dom) ASSERT_EQ(domains.create(cfg, &d), 0);
        test::use_optee_model(machine, model);
        tee::reset();
        tee::set_pages(&alloc);
        ASSERT_EQ(tee::init(), 0);
    }
    void TearDown() override {
        tee::reset();
        tee::set_pages(nullptr);
    }

    static abi::Domctl make(uint32_t cmd, uint16_t domid) {
        abi::Domctl op;
        std::memset(&op, 0, sizeof op);
        op.cmd = cmd;
        op.interface_version = abi::kDomctlInterfaceVersion;
        op.domid = domid;
        return op;
    }
    int run(abi::Domctl& op, Domain* caller = nullptr) {
        return domctl::execute(domains, caller ? *caller : *dom0, op);
    }
    // Gives a domain a hypervisor-built device tree, as boot does; returns its IPA.
    Ipa give_boot_dt(Domain& d) {
        static unsigned char dt[4096];
        GuestDtConfig cfg{d.ram_base().value(), d.ram_size(), 1, "x"};
        int len = build_guest_dt(dt, sizeof dt, cfg);
        EXPECT_GT(len, 0);
        Ipa at = d.ram_base() + (d.ram_size() - kGuestDtMax);
        EXPECT_TRUE(d.copy_to_guest(at, dt, static_cast<uint64_t>(len)));
        d.set_boot_dt(at, static_cast<uint64_t>(len));
        return at;
    }
    int enable(uint16_t domid, uint32_t method = abi::kTeeDtNone) {
        auto op = make(abi::kTeeEnable, domid);
        op.u.tee_enable.tee_type = abi::kTeeOptee;
        op.u.tee_enable.dt_method = method;
        return run(op);
    }
};

TEST_F(DomctlTest, QuotasAreSetAtEnableAndChangedWithinWhatIsHeld) {
    auto op = make(abi::kTeeEnable, 1);
    op.u.tee_enable.tee_type = abi::kTeeOptee;
    op.u.tee_enable.quotas = {abi::kTeeMaxSessions + 1, 8};
    EXPECT_EQ(run(op), -err::kInval) << "above the maximum";
    EXPECT_FALSE(dom[0]->tee().enabled());
    op.u.tee_enable.quotas = {4, 0};
    ASSERT_EQ(run(op), 0);

    auto q = make(abi::kTeeQuery, 1);
    ASSERT_EQ(run(q), 0);
    EXPECT_EQ(q.u.tee_query.limits.sessions, 4u);
    EXPECT_EQ(q.u.tee_query.limits.shm_pages, abi::kTeeDefaultShmPages) << "0 is the default";
    EXPECT_EQ(q.u.tee_query.in_use.sessions, 0u);

    auto set = [&](uint32_t sessions, uint32_t pages) {
        auto s = make(abi::kTeeSetQuotas, 1);
        s.u.tee_quotas.limits = {sessions, pages};
        int rc = run(s);
        return std::pair{rc, s.u.tee_quotas.in_use};
    };
    EXPECT_EQ(set(0, 8).first, -err::kInval);
    EXPECT_EQ(set(8, abi::kTeeMaxShmPages + 1).first, -err::kInval);
    EXPECT_EQ(set(abi::kTeeMaxSessions, abi::kTeeMaxShmPages).first, 0);

    // The guest (domain 1, dom[0]) holds 3 sessions and 40 pages: a limit below that is refused,
    // and the refusal says what is held.
    dom[0]->tee().in_use = {3, 40};
    auto [rc, held] = set(2, 64);
    EXPECT_EQ(rc, -err::kBusy);
    EXPECT_EQ(held.sessions, 3u);
    EXPECT_EQ(held.shm_pages, 40u);
    EXPECT_EQ(set(3, 39).first, -err::kBusy);
    EXPECT_EQ(set(3, 40).first, 0) << "exactly what is held is fine";
    q = make(abi::kTeeQuery, 1);
    ASSERT_EQ(run(q), 0);
    EXPECT_EQ(q.u.tee_query.limits.sessions, 3u);
    EXPECT_EQ(q.u.tee_query.in_use.shm_pages, 40u);
    dom[0]->tee().in_use = {};

    auto s = make(abi::kTeeSetQuotas, 2);
    s.u.tee_quotas.limits = {1, 1};
    EXPECT_EQ(run(s), -err::kNoEnt) << "no TEE, no quotas";
    s.u.tee_quotas.in_use = {1, 0};
    EXPECT_EQ(run(s), -err::kInval) << "output fields must be zero on the way in";
}

TEST_F(DomctlTest, OnlyTheControlDomainMayCall) {
    auto op = make(abi::kGetDomainInfo, 0);
    EXPECT_EQ(run(op, dom[0]), -err::kPerm);
    op = make(abi::kTeeEnable, 2);
    op.u.tee_enable.tee_type = abi::kTeeOptee;
    EXPECT_EQ(run(op, dom[0]), -err::kPerm);
    EXPECT_FALSE(dom[1]->tee().enabled());
}

TEST_F(DomctlTest, EnvelopeIsValidated) {
    auto op = make(abi::kTeeQuery, 1);
    op.interface_version = 0;
    EXPECT_EQ(run(op), -err::kInval);
    op = make(abi::kTeeQuery, 1);
    op.reserved0 = 1;
    EXPECT_EQ(run(op), -err::kInval);
    op = make(99, 1);
    EXPECT_EQ(run(op), -err::kInval);
    op = make(abi::kPause, 1);
    op.u.raw[111] = 1;
    EXPECT_EQ(run(op), -err::kInval);
    EXPECT_FALSE(dom[0]->paused()) << "nothing happens on a bad request";
    op = make(abi::kGetDomainInfo, 1);
    op.u.info.flags = 0x80;
    EXPECT_EQ(run(op), -err::kInval);
}

TEST_F(DomctlTest, GetDomainInfoAndListing) {
    auto op = make(abi::kGetDomainInfo, 2);
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.info.domid, 2);
    EXPECT_EQ(op.u.info.state, abi::kStateCreated);
    EXPECT_EQ(op.u.info.ram_base, kGuestRamBase);
    EXPECT_EQ(op.u.info.ram_size, 2u * 1024 * 1024);
    EXPECT_EQ(op.u.info.dom_flags & abi::kDomainPrivileged, 0u);

    domains.destroy(*dom[1]);  // domain 2
    op = make(abi::kGetDomainInfo, 2);
    EXPECT_EQ(run(op), -err::kSrch);
    op = make(abi::kGetDomainInfo, 2);
    op.u.info.flags = abi::kInfoFirstAtOrAfter;
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.info.domid, 3);
    op = make(abi::kGetDomainInfo, 4);
    op.u.info.flags = abi::kInfoFirstAtOrAfter;
    EXPECT_EQ(run(op), -err::kSrch);
}

TEST_F(DomctlTest, PauseUnpauseAndDestroy) {
    auto op = make(abi::kPause, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_TRUE(dom[0]->paused());
    op = make(abi::kGetDomainInfo, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.info.state, abi::kStatePaused);
    op = make(abi::kUnpause, 1);
    EXPECT_EQ(run(op), -err::kInval) << "no vCPU has an entry point yet";
    dom[0]->vcpu(0).state = VcpuState::Runnable;
    op = make(abi::kUnpause, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_FALSE(dom[0]->paused());
    op = make(abi::kPause, 0);
    EXPECT_EQ(run(op), -err::kInval) << "the caller cannot pause itself";
    op = make(abi::kDestroy, 0);
    EXPECT_EQ(run(op), -err::kInval) << "nor destroy itself";
    op = make(abi::kDestroy, 7);
    EXPECT_EQ(run(op), -err::kSrch);
    dom[0]->shutdown(ShutdownReason::PowerOff);
    op = make(abi::kUnpause, 1);
    EXPECT_EQ(run(op), -err::kBusy);
    op = make(abi::kDestroy, 1);
    EXPECT_EQ(run(op), 0);
    EXPECT_EQ(domains.find(DomId{1}), nullptr);
}

TEST_F(DomctlTest, TeeEnableErrorsAreDistinctAndChangeNothing) {
    EXPECT_EQ(enable(9), -err::kSrch);
    EXPECT_EQ(enable(0), -err::kBusy) << "dom0 has run";
    auto op = make(abi::kTeeEnable, 1);
    op.u.tee_enable.tee_type = abi::kTeeNone;
    EXPECT_EQ(run(op), -err::kInval);
    op.u.tee_enable.tee_type = 5;
    EXPECT_EQ(run(op), -err::kNoDev) << "not the platform's TEE";
    op.u.tee_enable.tee_type = abi::kTeeOptee;
    op.u.tee_enable.dt_method = 3;
    EXPECT_EQ(run(op), -err::kInval);
    EXPECT_EQ(enable(1, abi::kTeeDtSmc), -err::kInval) << "no boot device tree to describe it in";
    EXPECT_EQ(model.partitions(), 0u);

    ASSERT_EQ(enable(1), 0);
    EXPECT_EQ(enable(1), -err::kExist);
    ASSERT_EQ(enable(2), 0);
    EXPECT_EQ(enable(3), -err::kNoSpc);
    EXPECT_EQ(model.partitions(), 2u);
    EXPECT_FALSE(dom[2]->tee().enabled());

    // The refusal says how full the TEE is; the output fields are input zeros.
    auto full = make(abi::kTeeEnable, 3);
    full.u.tee_enable.tee_type = abi::kTeeOptee;
    EXPECT_EQ(run(full), -err::kNoSpc);
    EXPECT_EQ(full.u.tee_enable.guest_limit, 2u);
    EXPECT_EQ(full.u.tee_enable.guests_in_use, 2u);
    EXPECT_EQ(run(full), -err::kInval) << "the output fields must be zero on the way in";

    op = make(abi::kTeeQuery, 3);
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.tee_query.tee_type, abi::kTeeNone);
    EXPECT_EQ(op.u.tee_query.guests_in_use, 2u);
    EXPECT_EQ(op.u.tee_query.guest_limit, 2u);
}

TEST_F(DomctlTest, NoTeeIsENODEV) {
    tee::reset();
    EXPECT_EQ(enable(1), -err::kNoDev);
}

TEST_F(DomctlTest, TeeDisableRules) {
    auto op = make(abi::kTeeDisable, 1);
    EXPECT_EQ(run(op), -err::kNoEnt);
    ASSERT_EQ(enable(1), 0);
    op = make(abi::kTeeDisable, 1);
    EXPECT_EQ(run(op), -err::kBusy) << "unpaused, not yet run: it may run at any moment";
    dom[0]->mark_running();
    op = make(abi::kTeeDisable, 1);
    EXPECT_EQ(run(op), -err::kBusy) << "running: pause first";
    dom[0]->set_paused(true);
    op = make(abi::kTeeDisable, 1);
    EXPECT_EQ(run(op), 0);
    EXPECT_EQ(model.partitions(), 0u);
}

TEST_F(DomctlTest, TeeQueryReportsClientAndCounters) {
    ASSERT_EQ(enable(1), 0);
    auto op = make(abi::kTeeQuery, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.tee_query.tee_type, abi::kTeeOptee);
    EXPECT_EQ(op.u.tee_query.client_id, 2);
    op = make(abi::kGetDomainInfo, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_EQ(op.u.info.tee_client, 2);
}

TEST_F(DomctlTest, EnableDescribesTheTeeInABootDeviceTree) {
    Ipa at = give_boot_dt(*dom[0]);
    ASSERT_EQ(enable(1, abi::kTeeDtHvc), 0);
    std::vector<unsigned char> back(dom[0]->boot_dt_size());
    ASSERT_TRUE(dom[0]->copy_from_guest(back.data(), at, back.size()));
    int node = fdt_path_offset(back.data(), "/firmware/optee");
    ASSERT_GE(node, 0);
    EXPECT_EQ(fdt_node_check_compatible(back.data(), node, "linaro,optee-tz"), 0);
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(back.data(), node, "method", nullptr)),
                 "hvc");
}

TEST_F(DomctlTest, DisableBeforeTheFirstRunTakesTheNodeAwayAndReenableWorks) {
    Ipa at = give_boot_dt(*dom[0]);
    dom[0]->set_paused(true);
    auto tree = [&] {
        std::vector<unsigned char> back(dom[0]->boot_dt_size());
        EXPECT_TRUE(dom[0]->copy_from_guest(back.data(), at, back.size()));
        return back;
    };

    ASSERT_EQ(enable(1, abi::kTeeDtSmc), 0);
    EXPECT_GE(fdt_path_offset(tree().data(), "/firmware/optee"), 0);
    auto op = make(abi::kTeeDisable, 1);
    ASSERT_EQ(run(op), 0);
    EXPECT_LT(fdt_path_offset(tree().data(), "/firmware/optee"), 0) << "no trace of the TEE";
    EXPECT_LT(fdt_path_offset(tree().data(), "/firmware"), 0) << "nor of the node made for it";
    EXPECT_GE(fdt_path_offset(tree().data(), "/chosen"), 0) << "the rest of the tree is intact";
    ASSERT_EQ(enable(1, abi::kTeeDtHvc), 0) << "enable, disable, enable again";
    int node = fdt_path_offset(tree().data(), "/firmware/optee");
    ASSERT_GE(node, 0);
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(tree().data(), node, "method", nullptr)),
                 "hvc");
}

TEST_F(DomctlTest, DomainNamesAreLimitedToTheDocumentedCharset) {
    auto create = [&](const char* name) {
        auto o = make(abi::kCreateDomain, 0);
        o.u.create.ram_size = 2 * 1024 * 1024;
        o.u.create.vcpus = 1;
        std::memcpy(o.u.create.name, name, std::strlen(name) + 1);
        return run(o);
    };
    EXPECT_EQ(create("web-1"), 0);
    for (const char* bad : {"x\n[warden] d0: crashed", "Web", "1web", "-web", "a b", "a_b",
                            "caf\xc3\xa9", "a\x1b[2J", "a/b"}) {
        EXPECT_EQ(create(bad), -err::kInval) << bad;
    }
    EXPECT_TRUE(abi::valid_domain_name("a", 2));
    EXPECT_FALSE(abi::valid_domain_name("ab", 2)) << "no NUL within the given size";
    char longest[abi::kDomainNameMax];
    std::memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    EXPECT_TRUE(abi::valid_domain_name(longest, sizeof longest));
}

TEST_F(DomctlTest, LogLinesCannotBeForged) {
    machine.console.clear();
    log(LogLevel::Info, "d%u: created \"%s\"", 7u, "x\n[warden] d0: crashed\x1b[2J");
    EXPECT_EQ(machine.console, "[warden] d7: created \"x.[warden] d0: crashed.[2J\"\n");
}

TEST_F(DomctlTest, CopiesThroughStage2Only) {
    char buf[16] = {};
    Ipa end = dom[0]->ram_base() + dom[0]->ram_size();
    EXPECT_FALSE(dom[0]->copy_from_guest(buf, Ipa(end.value() - 8), 16)) << "crosses the end";
    EXPECT_TRUE(dom[0]->copy_from_guest(buf, Ipa(end.value() - 16), 16));
    EXPECT_FALSE(dom[0]->copy_from_guest(buf, Ipa(0x1000), 4));
    EXPECT_TRUE(dom[0]->copy_to_guest(Ipa(end.value() - 4096 - 8), buf, 16)) << "page crossing";
}

TEST_F(DomctlTest, CreateDomainValidatesAndReturnsAPausedDomain) {
    auto op = make(abi::kCreateDomain, 99);  // domid is ignored
    op.u.create.ram_size = 4 * 1024 * 1024;
    op.u.create.vcpus = 2;
    std::strcpy(op.u.create.name, "web-1");
    op.u.create.tool_data = 0xabcdef;
    ASSERT_EQ(run(op), 0);
    uint16_t id = op.u.create.domid;
    Domain* d = domains.find(DomId{id});
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->paused());
    EXPECT_FALSE(d->has_run());
    EXPECT_STREQ(d->name(), "web-1");
    auto info = make(abi::kGetDomainInfo, id);
    ASSERT_EQ(run(info), 0);
    EXPECT_STREQ(info.u.info.name, "web-1");
    EXPECT_EQ(info.u.info.tool_data, 0xabcdefu);
    EXPECT_EQ(info.u.info.vcpus, 2);
    EXPECT_EQ(info.u.info.state, abi::kStatePaused);

    auto bad = [&](auto mutate) {
        auto o = make(abi::kCreateDomain, 0);
        o.u.create.ram_size = 2 * 1024 * 1024;
        o.u.create.vcpus = 1;
        std::strcpy(o.u.create.name, "x");
        mutate(o);
        return run(o);
    };
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.ram_size = 0; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.ram_size = 3 * 1024 * 1024; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.ram_size = uint64_t{2} << 30; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.vcpus = 0; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.vcpus = 5; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.flags = 1; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.name[0] = 0; }), -err::kInval);
    EXPECT_EQ(bad([](abi::Domctl& o) { std::memset(o.u.create.name, 'a', 32); }), -err::kInval);
    uint64_t before = alloc.free_pages();
    EXPECT_EQ(bad([](abi::Domctl& o) { o.u.create.ram_size = 512 * 1024 * 1024; }), -err::kNoMem);
    EXPECT_EQ(alloc.free_pages(), before) << "a failed create keeps nothing";
}

TEST_F(DomctlTest, CreateFailsWithENOSPCWhenTheTableIsFull) {
    int rc = 0;
    for (unsigned i = 0; i < kMaxDomains && rc == 0; ++i) {
        auto o = make(abi::kCreateDomain, 0);
        o.u.create.ram_size = 2 * 1024 * 1024;
        o.u.create.vcpus = 1;
        std::strcpy(o.u.create.name, "filler");
        rc = run(o);
    }
    EXPECT_EQ(rc, -err::kNoSpc);
}

TEST_F(DomctlTest, CopyToDomainChecksBothSidesAndCopies) {
    // Source bytes in the caller's RAM.
    const char payload[] = "guest image bytes";
    Ipa src = dom0->ram_base() + 0x1000;
    ASSERT_TRUE(dom0->copy_to_guest(src, payload, sizeof payload));
    auto copy = [&](uint16_t domid, uint64_t dst, uint64_t from, uint64_t size) {
        auto o = make(abi::kCopyToDomain, domid);
        o.u.copy = {dst, from, size};
        return run(o);
    };
    ASSERT_EQ(copy(1, kGuestRamBase + 0x80000, src.value(), sizeof payload), 0);
    char back[sizeof payload] = {};
    ASSERT_TRUE(dom[0]->copy_from_guest(back, Ipa(kGuestRamBase + 0x80000), sizeof back));
    EXPECT_STREQ(back, payload);

    EXPECT_EQ(copy(1, kGuestRamBase + 2 * 1024 * 1024 - 4, src.value(), 8), -err::kFault);
    EXPECT_EQ(copy(1, kGuestRamBase, 0x1000, 8), -err::kFault) << "source outside the caller";
    EXPECT_EQ(copy(1, kGuestRamBase, src.value(), 0), -err::kInval);
    EXPECT_EQ(copy(1, kGuestRamBase, src.value(), abi::kCopyMax + 1), -err::kInval);
    EXPECT_EQ(copy(0, dom0->ram_base().value(), src.value(), 8), -err::kInval) << "not itself";
    dom[0]->mark_running();
    EXPECT_EQ(copy(1, kGuestRamBase, src.value(), 8), -err::kBusy);
}

TEST_F(DomctlTest, SetVcpuEntry) {
    auto entry = [&](uint16_t domid, uint32_t vcpu, uint64_t pc) {
        auto o = make(abi::kSetVcpuEntry, domid);
        o.u.entry.vcpu = vcpu;
        o.u.entry.pc = pc;
        o.u.entry.x0 = 0x41fff000;
        return run(o);
    };
    EXPECT_EQ(entry(1, 1, kGuestRamBase), -err::kInval) << "one vCPU only";
    EXPECT_EQ(entry(1, 0, kGuestRamBase + 2), -err::kInval);
    EXPECT_EQ(entry(1, 0, 0x1000), -err::kInval);
    ASSERT_EQ(entry(1, 0, kGuestRamBase + 0x80000), 0);
    EXPECT_EQ(dom[0]->vcpu(0).state, VcpuState::Runnable);
    EXPECT_EQ(dom[0]->vcpu(0).regs.pc, kGuestRamBase + 0x80000);
    EXPECT_EQ(dom[0]->vcpu(0).regs.x[0], 0x41fff000u);
    dom[0]->mark_running();
    EXPECT_EQ(entry(1, 0, kGuestRamBase), -err::kBusy);
}

TEST_F(DomctlTest, ConsoleReadFollowsTheRingAndReportsLoss) {
    std::string text = "hello\nworld\n";
    dom[0]->console_put(text.data(), text.size());
    Ipa buf = dom0->ram_base() + 0x2000;
    auto read = [&](uint64_t from, uint32_t size) {
        auto o = make(abi::kConsoleRead, 1);
        o.u.console.from = from;
        o.u.console.buf = buf.value();
        o.u.console.size = size;
        EXPECT_EQ(run(o), 0);
        return o.u.console;
    };
    auto r = read(0, 64);
    EXPECT_EQ(r.copied, text.size());
    EXPECT_EQ(r.next, text.size());
    EXPECT_EQ(r.lost, 0u);
    std::string got(r.copied, '\0');
    ASSERT_TRUE(dom0->copy_from_guest(got.data(), buf, got.size()));
    EXPECT_EQ(got, text);
    r = read(6, 3);
    EXPECT_EQ(r.copied, 3u);
    EXPECT_EQ(r.next, 9u);

    std::string flood(kConsoleRingSize + 100, 'z');
    dom[0]->console_put(flood.data(), flood.size());
    r = read(0, 16);
    EXPECT_EQ(r.lost, text.size() + 100);
    EXPECT_EQ(r.copied, 16u);

    auto o = make(abi::kConsoleRead, 1);
    o.u.console.buf = 0x10;
    o.u.console.size = 16;
    EXPECT_EQ(run(o), -err::kFault);
}

TEST_F(DomctlTest, ConsoleInputFillsTheUartAndPushesBack) {
    Ipa buf = dom0->ram_base() + 0x2000;
    std::string line(300, 'x');
    ASSERT_TRUE(dom0->copy_to_guest(buf, line.data(), line.size()));
    auto input = [&](uint32_t size, uint64_t at) {
        auto o = make(abi::kConsoleInput, 1);
        o.u.input.buf = at;
        o.u.input.size = size;
        int rc = run(o);
        return std::pair{rc, o.u.input.accepted};
    };
    EXPECT_EQ(input(200, buf.value()), std::pair(0, 200u));
    EXPECT_EQ(input(100, buf.value()), std::pair(0, 56u)) << "what fits in the 256-byte buffer";
    EXPECT_EQ(input(1, buf.value()), std::pair(0, 0u)) << "full: the sender waits";
    EXPECT_EQ(dom[0]->uart().rx_count, abi::kConsoleInputMax);
    EXPECT_EQ(input(0, buf.value()).first, -err::kInval);
    EXPECT_EQ(input(abi::kConsoleInputMax + 1, buf.value()).first, -err::kInval);
    EXPECT_EQ(input(16, 0x10).first, -err::kFault) << "not the caller's RAM";
    dom[0]->shutdown(ShutdownReason::Crash);
    EXPECT_EQ(input(1, buf.value()).first, -err::kBusy);
}

}  // namespace
}  // namespace warden
