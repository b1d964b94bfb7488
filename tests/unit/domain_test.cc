// SPDX-License-Identifier: Apache-2.0
// Domains, scheduling and virtual PSCI over the fake machine.
#include <gtest/gtest.h>

#include "core/domain.h"
#include "core/hv.h"
#include "core/sched.h"
#include "core/smccc.h"
#include "fake_machine.h"
#include "warden/errno.h"
#include "warden/psci.h"

namespace warden {
namespace {

namespace psci = abi::psci;
constexpr uint64_t k4M = 4 * 1024 * 1024;

class DomainTest : public ::testing::Test {
protected:
    // Room for kMaxDomains domains of 2 MiB (each starts 2 MiB aligned).
    test::FakeMachine machine{160 * 1024 * 1024};
    PageAllocator alloc;
    DomainTable domains{alloc};
    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
    }
    Domain* make(unsigned vcpus = 1) {
        DomainConfig cfg;
        cfg.ram_size = k4M;
        cfg.vcpus = vcpus;
        Domain* d = nullptr;
        EXPECT_EQ(domains.create(cfg, &d), 0);
        if (d) d->vcpu(0).state = VcpuState::Runnable;
        return d;
    }
    uint64_t psci_call(Vcpu& v, uint64_t id, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
        v.regs.x[0] = id;
        v.regs.x[1] = a1;
        v.regs.x[2] = a2;
        v.regs.x[3] = a3;
        smccc::dispatch(v, smccc::Conduit::Hvc);
        return v.regs.x[0];
    }
};

TEST(DomainNames, ShutdownReasonsAreTheAbisCodesAndNames) {
    EXPECT_STREQ(to_string(ShutdownReason::CpusOff), "cpus-off");
    EXPECT_EQ(static_cast<uint32_t>(ShutdownReason::CpusOff), abi::kShutdownCpusOff);
    EXPECT_EQ(static_cast<uint32_t>(ShutdownReason::Crash), abi::kShutdownCrash);
    EXPECT_STREQ(to_string(ShutdownReason::PowerOff), abi::shutdown_name(abi::kShutdownPowerOff));
}

TEST_F(DomainTest, CreateValidatesAndFailsCleanly) {
    uint64_t before = alloc.free_pages();
    Domain* d = nullptr;
    DomainConfig cfg;
    cfg.ram_size = 0;
    EXPECT_EQ(domains.create(cfg, &d), -abi::err::kInval);
    cfg.ram_size = k4M;
    cfg.vcpus = kMaxVcpusPerDomain + 1;
    EXPECT_EQ(domains.create(cfg, &d), -abi::err::kInval);
    cfg.vcpus = 1;
    cfg.ram_size = machine.ram_size() * 2;
    EXPECT_EQ(domains.create(cfg, &d), -abi::err::kNoMem);
    EXPECT_EQ(alloc.free_pages(), before) << "a failed create leaks nothing";
}

TEST_F(DomainTest, EachDomainsVirtualCountStartsAtItsCreation) {
    Domain* a = make();
    Domain* b = make();
    ASSERT_TRUE(a && b);
    EXPECT_GT(a->cntvoff(), 0u) << "the counter's value at creation";
    EXPECT_GT(b->cntvoff(), a->cntvoff()) << "created later: a later start";
}

TEST_F(DomainTest, DestroyGivesBackRamAndTables) {
    uint64_t before = alloc.free_pages();
    Domain* d = make();
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->ram_base(), Ipa(kGuestRamBase));
    EXPECT_EQ(d->stage2().translate(Ipa(kGuestRamBase)), d->ram_pa());
    domains.destroy(*d);
    EXPECT_EQ(alloc.free_pages(), before);
    EXPECT_EQ(machine.stage2_flushes, 1u);
    EXPECT_EQ(domains.find(DomId{0}), nullptr);
}

TEST_F(DomainTest, DomainsGetDisjointRam) {
    Domain* a = make();
    Domain* b = make();
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->id(), b->id());
    bool disjoint = a->ram_pa() + k4M <= b->ram_pa() || b->ram_pa() + k4M <= a->ram_pa();
    EXPECT_TRUE(disjoint);
}

TEST_F(DomainTest, TableFullIsENOSPC) {
    for (unsigned i = 0; i < kMaxDomains; ++i) {
        DomainConfig cfg;
        cfg.ram_size = 2 * 1024 * 1024;
        Domain* d = nullptr;
        ASSERT_EQ(domains.create(cfg, &d), 0) << i;
    }
    DomainConfig cfg;
    cfg.ram_size = 2 * 1024 * 1024;
    Domain* d = nullptr;
    EXPECT_EQ(domains.create(cfg, &d), -abi::err::kNoSpc);
}

TEST_F(DomainTest, CopyToGuestIsBoundsChecked) {
    Domain* d = make();
    char buf[16] = "payload";
    EXPECT_TRUE(d->copy_to_guest(Ipa(kGuestRamBase + k4M - 16), buf, 16));
    EXPECT_FALSE(d->copy_to_guest(Ipa(kGuestRamBase + k4M - 15), buf, 16));
    EXPECT_FALSE(d->copy_to_guest(Ipa(kGuestRamBase - 1), buf, 2));
    EXPECT_FALSE(d->copy_to_guest(Ipa(kGuestRamBase + 16), buf, ~uint64_t{0}));
}

TEST_F(DomainTest, RoundRobinOverRunnableVcpus) {
    Domain* a = make(2);
    Domain* b = make();
    a->vcpu(1).state = VcpuState::Runnable;
    Vcpu* v = pick_next(domains, nullptr);
    EXPECT_EQ(v, &a->vcpu(0));
    v = pick_next(domains, v);
    EXPECT_EQ(v, &a->vcpu(1));
    v = pick_next(domains, v);
    EXPECT_EQ(v, &b->vcpu(0));
    v = pick_next(domains, v);
    EXPECT_EQ(v, &a->vcpu(0)) << "wraps around";
    a->shutdown(ShutdownReason::PowerOff);
    EXPECT_EQ(pick_next(domains, &b->vcpu(0)), &b->vcpu(0)) << "the only runnable one";
    b->shutdown(ShutdownReason::Crash);
    EXPECT_EQ(pick_next(domains, &b->vcpu(0)), nullptr);
    EXPECT_TRUE(domains.any_crashed());
    EXPECT_EQ(domains.count_alive(), 0u);
}

TEST_F(DomainTest, RoundRobinSkipsHeldDomainsAndWrapsWithinOne) {
    Domain* a = make(3);
    Domain* b = make();
    Domain* c = make();
    a->vcpu(2).state = VcpuState::Runnable;
    b->set_paused(true);  // held by the control domain: never picked
    EXPECT_EQ(pick_next(domains, &a->vcpu(0)), &a->vcpu(2)) << "vCPU 1 is off";
    EXPECT_EQ(pick_next(domains, &a->vcpu(2)), &c->vcpu(0)) << "b is paused";
    c->shutdown(ShutdownReason::PowerOff);
    EXPECT_EQ(pick_next(domains, &a->vcpu(2)), &a->vcpu(0)) << "around to its own first vCPU";
    EXPECT_EQ(pick_next(domains, &c->vcpu(0)), &a->vcpu(0)) << "from a stopped domain";
}

TEST_F(DomainTest, PsciSystemOffStopsOnlyTheCaller) {
    Domain* a = make();
    Domain* b = make();
    EXPECT_EQ(psci_call(a->vcpu(0), psci::kSystemOff), 0u);
    EXPECT_EQ(a->state(), DomainState::Shutdown);
    EXPECT_EQ(a->shutdown_reason(), ShutdownReason::PowerOff);
    EXPECT_TRUE(b->alive());
    EXPECT_EQ(psci_call(b->vcpu(0), psci::kSystemReset), 0u);
    EXPECT_EQ(b->shutdown_reason(), ShutdownReason::Reset);
}

TEST_F(DomainTest, PsciCpuOnOffAndAffinity) {
    Domain* d = make(2);
    Vcpu& v0 = d->vcpu(0);
    EXPECT_EQ(psci_call(v0, psci::kAffinityInfo, 1, 0), uint64_t{psci::kAffinityOff});
    EXPECT_EQ(static_cast<int64_t>(psci_call(v0, psci::kCpuOn, 5, kGuestRamBase, 0)),
              psci::kInvalidParameters);
    EXPECT_EQ(static_cast<int64_t>(psci_call(v0, psci::kCpuOn, 1, 0x1000, 0)),
              psci::kInvalidAddress);
    EXPECT_EQ(psci_call(v0, psci::kCpuOn, 1, kGuestRamBase + 0x100, 42), 0u);
    EXPECT_EQ(d->vcpu(1).state, VcpuState::Runnable);
    EXPECT_EQ(d->vcpu(1).regs.pc, kGuestRamBase + 0x100);
    EXPECT_EQ(d->vcpu(1).regs.x[0], 42u);
    EXPECT_EQ(static_cast<int64_t>(psci_call(v0, psci::kCpuOn, 1, kGuestRamBase, 0)),
              psci::kAlreadyOn);
    EXPECT_EQ(psci_call(v0, psci::kAffinityInfo, 1, 0), uint64_t{psci::kAffinityOn});
    EXPECT_EQ(static_cast<int64_t>(psci_call(v0, psci::kAffinityInfo, 1, 1)),
              psci::kInvalidParameters);
    psci_call(d->vcpu(1), psci::kCpuOff);
    EXPECT_TRUE(d->alive());
    psci_call(v0, psci::kCpuOff);
    EXPECT_EQ(d->shutdown_reason(), ShutdownReason::CpusOff);
}

TEST_F(DomainTest, PsciVersionFeaturesAndUnknown) {
    Domain* d = make();
    Vcpu& v = d->vcpu(0);
    EXPECT_EQ(psci_call(v, psci::kVersion), psci::kVersion1_1);
    EXPECT_EQ(psci_call(v, psci::kFeatures, psci::kSystemOff), 0u);
    // CPU_SUSPEND is mandatory since PSCI 0.2: original power_state format,
    // platform-coordinated (flags 0); every state is entered as standby.
    EXPECT_EQ(psci_call(v, psci::kFeatures, psci::kCpuSuspend), 0u);
    EXPECT_EQ(psci_call(v, psci::kFeatures, psci::kCpuSuspend32), 0u);
    EXPECT_EQ(psci_call(v, psci::kCpuSuspend, 0x10000), 0u);
    EXPECT_EQ(psci_call(v, psci::kCpuSuspend32), 0u);
    // SMCCC 1.1 is announced through PSCI_FEATURES(SMCCC_VERSION).
    EXPECT_EQ(psci_call(v, psci::kFeatures, abi::smccc::kVersion), 0u);
    EXPECT_EQ(psci_call(v, psci::kFeatures, abi::smccc::kArchFeatures), 0xffffffffu);
    EXPECT_EQ(psci_call(v, psci::kFeatures, 0x8400001f), 0xffffffffu);
    EXPECT_EQ(psci_call(v, 0x8400001f), 0xffffffffu);
    EXPECT_EQ(psci_call(v, 0xc400001f), ~uint64_t{0}) << "SMC64 IDs get a 64-bit -1";
}

TEST_F(DomainTest, ConsoleLinesArePrefixedAndLongLinesSplit) {
    Domain* d = make();
    d->console_put("abc", 3);
    EXPECT_EQ(machine.console, "");
    d->console_put("\r\n", 2);
    EXPECT_EQ(machine.console, "[d0] abc\n");
    machine.console.clear();
    std::string longline(300, 'x');
    d->console_put(longline.data(), longline.size());
    EXPECT_EQ(machine.console,
              "[d0] " + std::string(128, 'x') + "\n[d0] " + std::string(128, 'x') + "\n");
}

}  // namespace
}  // namespace warden
