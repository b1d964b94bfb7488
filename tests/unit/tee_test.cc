// SPDX-License-Identifier: Apache-2.0
// The TEE framework and the OP-TEE mediator against the OP-TEE model (the same
// code the secure-world firmware runs on QEMU) as the fake secure world.
#include <gtest/gtest.h>

#include "core/domain.h"
#include "core/smccc.h"
#include "core/tee/tee.h"
#include "fake_machine.h"
#include "firmware/optee/model.h"
#include "optee_world.h"
#include "warden/errno.h"
#include "warden/optee.h"

namespace warden {
namespace {

namespace op = abi::optee;
constexpr uint64_t k2M = 2 * 1024 * 1024;

class TeeTest : public ::testing::Test {
protected:
    test::FakeMachine machine;
    PageAllocator alloc;
    DomainTable domains{alloc};
    optee_model::Model model;
    Domain* dom[4] = {};

    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        for (auto& d : dom) {
            DomainConfig cfg;
            cfg.ram_size = k2M;
            ASSERT_EQ(domains.create(cfg, &d), 0);
        }
        tee::reset();
    }
    void TearDown() override { tee::reset(); }

    void with_optee(uint32_t guest_limit = 2) {
        model = optee_model::Model(optee_model::Config{guest_limit, 2});
        test::use_optee_model(machine, model);
        ASSERT_EQ(tee::init(), 0);
        ASSERT_NE(tee::active(), nullptr);
    }

    Vcpu& call(Domain* d, uint64_t fn, uint64_t a1 = 0, uint64_t a7 = 0,
               smccc::Conduit conduit = smccc::Conduit::Smc) {
        Vcpu& v = d->vcpu(0);
        v.regs = GuestRegs{};
        v.regs.x[0] = fn;
        v.regs.x[1] = a1;
        v.regs.x[7] = a7;
        smccc::dispatch(v, conduit);
        return v;
    }
};

TEST_F(TeeTest, NoTeeIsInfoAndEnableIsENODEV) {
    ASSERT_EQ(tee::init(), 0);
    EXPECT_EQ(tee::active(), nullptr);
    EXPECT_NE(machine.console.find("[warden] tee: no TEE found"), std::string::npos)
        << machine.console;
    EXPECT_EQ(machine.console.find("warning"), std::string::npos) << "no TEE is not a warning";
    EXPECT_EQ(tee::enable(*dom[1], abi::kTeeOptee), -abi::err::kNoDev);
    EXPECT_FALSE(dom[1]->tee().enabled());
}

TEST_F(TeeTest, OpteeWithoutVirtualizationIsNotMediated) {
    machine.secure_world = [](const arch::SecureRegs& in) {
        optee_model::Model m;
        optee_model::Regs r{};
        for (int i = 0; i < 8; ++i) r.x[i] = in.x[i];
        auto out = m.call(r);
        if (static_cast<uint32_t>(in.x[0]) == op::kExchangeCapabilities) out.x[1] &= ~uint64_t{8};
        arch::SecureRegs s{};
        for (int i = 0; i < 4; ++i) s.x[i] = out.x[i];
        return s;
    };
    ASSERT_EQ(tee::init(), 0);
    EXPECT_EQ(tee::active(), nullptr);
    EXPECT_NE(machine.console.find("without virtualization"), std::string::npos);
}

TEST_F(TeeTest, EnableCreatesTheClientIdDomIdPlusOne) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    EXPECT_EQ(dom[1]->tee().client.value, 2);
    EXPECT_EQ(model.partitions_of(2), 1u);
    EXPECT_EQ(tee::guests_in_use(), 1u);
}

TEST_F(TeeTest, SecondEnableIsEEXISTAndNeverCreatesTheIdTwice) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    EXPECT_EQ(tee::enable(*dom[1], abi::kTeeOptee), -abi::err::kExist);
    EXPECT_EQ(model.partitions_of(2), 1u) << "OP-TEE would have made a second partition";
}

TEST_F(TeeTest, WrongTypeIsENODEV) {
    with_optee();
    EXPECT_EQ(tee::enable(*dom[1], static_cast<abi::TeeType>(7)), -abi::err::kNoDev);
    EXPECT_EQ(model.partitions(), 0u);
}

TEST_F(TeeTest, ExhaustionIsENOSPCWithNothingChangedAndAFreedIdIsReusable) {
    with_optee(2);
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    ASSERT_EQ(tee::enable(*dom[2], abi::kTeeOptee), 0);
    EXPECT_EQ(tee::enable(*dom[3], abi::kTeeOptee), -abi::err::kNoSpc);
    EXPECT_FALSE(dom[3]->tee().enabled());
    EXPECT_EQ(tee::guests_in_use(), 2u);
    EXPECT_EQ(tee::guest_limit(), 2u) << "learnt from the refusal";
    EXPECT_EQ(model.partitions(), 2u);

    domains.destroy(*dom[1]);  // teardown tells OP-TEE and frees client ID 2
    EXPECT_EQ(model.partitions_of(2), 0u);
    EXPECT_EQ(tee::guests_in_use(), 1u);
    EXPECT_EQ(tee::enable(*dom[3], abi::kTeeOptee), 0);
    EXPECT_EQ(model.partitions_of(4), 1u);
}

TEST_F(TeeTest, DisableReleasesAndIsENOENTWhenNotEnabled) {
    with_optee();
    EXPECT_EQ(tee::disable(*dom[1]), -abi::err::kNoEnt);
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    EXPECT_EQ(tee::disable(*dom[1]), 0);
    EXPECT_EQ(model.partitions(), 0u);
    EXPECT_FALSE(dom[1]->tee().enabled());
    EXPECT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0) << "a disabled guest can enable again";
}

TEST_F(TeeTest, GuestWithoutTeeGetsMinusOneAndTheSecureWorldSeesNothing) {
    with_optee();
    uint64_t before = model.total_calls();
    for (uint32_t fn : {op::kCallsUid, op::kGetOsRevision, op::kCallWithArg, op::kVmCreated}) {
        EXPECT_EQ(call(dom[1], fn).regs.x[0], 0xffffffffu) << std::hex << fn;
    }
    EXPECT_EQ(model.total_calls(), before);
    EXPECT_EQ(dom[1]->tee().calls_refused, 4u);
}

TEST_F(TeeTest, ForwardedFastCallsAnswerLikeOptee) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    for (auto conduit : {smccc::Conduit::Smc, smccc::Conduit::Hvc}) {
        Vcpu& v = call(dom[1], op::kCallsUid, 0, 0, conduit);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(v.regs.x[i], op::kApiUid[i]);
    }
    Vcpu& v = call(dom[1], op::kGetOsRevision);
    EXPECT_EQ(v.regs.x[0], 4u);
    EXPECT_EQ(v.regs.x[1], 10u);
    EXPECT_GT(v.regs.x[2], 0xffffffffu) << "the 64-bit build ID passes whole";
    v = call(dom[1], op::kCallsRevision);
    EXPECT_EQ(v.regs.x[0], 2u);
    EXPECT_EQ(call(dom[1], op::kGetThreadCount).regs.x[1], 2u);
    EXPECT_EQ(call(dom[1], op::kCallsCount).regs.x[0], 11u) << "emulated";
    EXPECT_EQ(dom[1]->tee().calls_forwarded, 5u);
    EXPECT_EQ(model.calls_from(2), 5u);
}

TEST_F(TeeTest, CapabilitiesAreFiltered) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    Vcpu& v = call(dom[1], op::kExchangeCapabilities, op::kNsecCapUniprocessor);
    EXPECT_EQ(v.regs.x[0], op::kOk);
    EXPECT_EQ(v.regs.x[1], op::kCapDynamicShm | op::kCapMemrefNull);
    EXPECT_EQ(v.regs.x[1] & op::kCapVirtualization, 0u);
    EXPECT_EQ(v.regs.x[2], 0u);
    EXPECT_EQ(v.regs.x[3], 0u);
    uint64_t forwarded = dom[1]->tee().calls_forwarded;
    EXPECT_EQ(call(dom[1], op::kExchangeCapabilities, 0x2).regs.x[0], op::kENotAvail);
    EXPECT_EQ(dom[1]->tee().calls_forwarded, forwarded) << "unknown bits are refused here";
}

TEST_F(TeeTest, ForgedClientIdStillActsAsItself) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    ASSERT_EQ(tee::enable(*dom[2], abi::kTeeOptee), 0);
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/3);           // dom2's client ID
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/0);           // the hypervisor's
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/0xffff0003);  // with a secure OS ID too
    EXPECT_EQ(model.calls_from(2), 3u);
    EXPECT_EQ(model.calls_from(3), 0u);
}

TEST_F(TeeTest, LifecycleAndPlatformCallsAreRefusedAndNeverForwarded) {
    with_optee(4);
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    uint64_t before = model.total_calls();
    for (uint32_t fn : {op::kVmCreated, op::kVmDestroyed, op::kBootSecondary, op::kL2ccMutex,
                        op::kEnableAsyncNotif, 0xB2000099u, 0xBF00FF02u}) {
        EXPECT_EQ(call(dom[1], fn, 3).regs.x[0], op::kUnknownFunction) << std::hex << fn;
    }
    // SMC64 forms are not served; SMCCC's NOT_SUPPORTED is -1 at full width.
    for (uint32_t fn : {0xF2000001u, 0xF200000Du, 0xFF00FF01u, 0x72000004u}) {
        EXPECT_EQ(call(dom[1], fn, 3).regs.x[0], ~uint64_t{0}) << std::hex << fn;
    }
    EXPECT_EQ(call(dom[1], op::kGetShmConfig).regs.x[0], op::kENotAvail);
    EXPECT_EQ(model.total_calls(), before);
    EXPECT_EQ(model.partitions(), 1u) << "a guest cannot create or destroy partitions";
}

TEST_F(TeeTest, StandardCallsAreNotForwardedYet) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    uint64_t before = model.total_calls();
    for (uint32_t fn :
         {op::kCallWithArg, op::kReturnFromRpc, op::kCallWithRpcArg, op::kCallWithRegdArg}) {
        Vcpu& v = call(dom[1], fn, 0x40000000);
        EXPECT_EQ(v.regs.x[0], op::kENotAvail);
        EXPECT_EQ(v.regs.x[1], 0u);
    }
    EXPECT_EQ(model.total_calls(), before);
}

TEST_F(TeeTest, UndefinedSecureRegistersNeverReachTheGuest) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    machine.secure_world = [](const arch::SecureRegs&) {
        return arch::SecureRegs{{0, 2, 0x5ec2e7, 0x5ec2e7, 0x5ec2e7, 0x5ec2e7, 0x5ec2e7, 0x5ec2e7}};
    };
    Vcpu& v = call(dom[1], op::kGetThreadCount);
    EXPECT_EQ(v.regs.x[1], 2u);
    EXPECT_EQ(v.regs.x[2], 0u);
    EXPECT_EQ(v.regs.x[3], 0u);
    for (int i = 4; i < 8; ++i) EXPECT_NE(v.regs.x[i], 0x5ec2e7u);
}

}  // namespace
}  // namespace warden
