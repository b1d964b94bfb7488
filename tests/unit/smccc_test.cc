// SPDX-License-Identifier: Apache-2.0
#include "core/smccc.h"

#include <gtest/gtest.h>

#include "core/domain.h"
#include "fake_machine.h"
#include "warden/hypercall.h"
#include "warden/psci.h"

namespace warden {
namespace {

using smccc::Conduit;

TEST(SmcccDecode, SplitsTheFunctionId) {
    GuestRegs regs{{0xffffffffC4000003ull}, 0, 0};
    auto c = smccc::Call::from(regs);
    EXPECT_EQ(c.id, 0xC4000003u) << "only w0 is the function ID";
    EXPECT_TRUE(c.fast());
    EXPECT_TRUE(c.smc64());
    EXPECT_EQ(c.owner(), 4);
    EXPECT_EQ(c.function(), 3);
    EXPECT_TRUE(c.well_formed());
    c.id = 0x84010000;  // fast call with bits 23:16 set
    EXPECT_FALSE(c.well_formed());
    c.id = 0x32010004;  // yielding calls may use them
    EXPECT_TRUE(c.well_formed());
}

TEST(SmcccRoute, RoutesByOwner) {
    EXPECT_STREQ(smccc::route(0x80000000)->name, "arch");
    EXPECT_STREQ(smccc::route(abi::psci::kCpuOn)->name, "psci");
    EXPECT_STREQ(smccc::route(abi::hc::kConsoleWrite)->name, "hypervisor");
    for (uint32_t owner = 48; owner <= 63; ++owner) {
        EXPECT_STREQ(smccc::route(0x80000000u | owner << 24)->name, "tee") << owner;
        EXPECT_STREQ(smccc::route(owner << 24)->name, "tee") << "yielding, owner " << owner;
    }
    for (uint32_t owner : {1u, 2u, 3u, 5u, 7u, 47u}) {
        EXPECT_EQ(smccc::route(0x80000000u | owner << 24), nullptr) << owner;
    }
    EXPECT_EQ(smccc::route(0x80ff0000), nullptr);
}

class DispatchTest : public ::testing::Test {
protected:
    test::FakeMachine machine;
    PageAllocator alloc;
    DomainTable domains{alloc};
    Domain* d = nullptr;
    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        DomainConfig cfg;
        cfg.ram_size = 4 * 1024 * 1024;
        ASSERT_EQ(domains.create(cfg, &d), 0);
    }
    Vcpu& call(uint64_t id, uint64_t a1 = 0, Conduit conduit = Conduit::Hvc) {
        Vcpu& v = d->vcpu(0);
        for (unsigned i = 0; i < 31; ++i) v.regs.x[i] = 0x1000 + i;
        v.regs.x[0] = id;
        v.regs.x[1] = a1;
        smccc::dispatch(v, conduit);
        return v;
    }
};

TEST_F(DispatchTest, UnknownSmc32IdsAnswerZeroExtendedMinusOne) {
    for (uint64_t id : {0x82000001ull, 0x83000000ull, 0x8600abcdull, 0x80ff0000ull, 0xbf00ff01ull,
                        0x3f000000ull}) {
        for (Conduit c : {Conduit::Hvc, Conduit::Smc}) {
            Vcpu& v = call(id, 0, c);
            EXPECT_EQ(v.regs.x[0], 0xffffffffu) << std::hex << id;
        }
    }
}

TEST_F(DispatchTest, UnknownSmc64IdsAnswerMinusOne) {
    Vcpu& v = call(0xC3000001);
    EXPECT_EQ(v.regs.x[0], ~uint64_t{0});
}

TEST_F(DispatchTest, OnlyX0ToX3AreWritten) {
    Vcpu& v = call(abi::smccc::kVersion);
    EXPECT_EQ(v.regs.x[0], abi::smccc::kVersion1_1);
    for (unsigned i = 4; i < 31; ++i) EXPECT_EQ(v.regs.x[i], 0x1000u + i) << "x" << i;
}

TEST_F(DispatchTest, ArchFeatures) {
    EXPECT_EQ(call(abi::smccc::kArchFeatures, abi::smccc::kArchFeatures).regs.x[0], 0u);
    EXPECT_EQ(call(abi::smccc::kArchFeatures, 0x80008000).regs.x[0], 0xffffffffu);
}

TEST_F(DispatchTest, ConsoleWriteTakesBytesFromRegistersOnly) {
    Vcpu& v = d->vcpu(0);
    const char msg[] = "hi\x1b[2J!\n";  // an escape sequence must not reach the host terminal
    v.regs.x[0] = abi::hc::kConsoleWrite;
    v.regs.x[1] = sizeof msg - 1;
    for (unsigned i = 2; i < 7; ++i) v.regs.x[i] = 0;
    for (unsigned i = 0; i < sizeof msg - 1; ++i) {
        v.regs.x[2 + i / 8] |= uint64_t{static_cast<unsigned char>(msg[i])} << (8 * (i % 8));
    }
    smccc::dispatch(v, Conduit::Hvc);
    EXPECT_EQ(v.regs.x[0], sizeof msg - 1);
    EXPECT_EQ(machine.console, "[d0] hi.[2J!\n");
}

TEST_F(DispatchTest, ConsoleWriteRejectsOversizedCounts) {
    Vcpu& v = call(abi::hc::kConsoleWrite, abi::hc::kConsoleWriteMax + 1);
    EXPECT_EQ(v.regs.x[0], static_cast<uint64_t>(-3));  // INVALID_PARAMETER (SMC64 ID)
    EXPECT_EQ(machine.console, "");
}

TEST_F(DispatchTest, HypervisorServiceIdentifiesItself) {
    Vcpu& v = call(0x8600ff01);
    EXPECT_EQ(v.regs.x[0], abi::hc::kUid[0]);
    EXPECT_EQ(v.regs.x[3], abi::hc::kUid[3]);
    EXPECT_EQ(call(0x8600ff00).regs.x[0], abi::hc::kCallCount);
}

}  // namespace
}  // namespace warden
