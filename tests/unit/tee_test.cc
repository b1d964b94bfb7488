// SPDX-License-Identifier: Apache-2.0
// The TEE framework and the OP-TEE mediator against the OP-TEE model (the same
// code the secure-world firmware runs on QEMU) as the fake secure world.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "core/domain.h"
#include "core/smccc.h"
#include "core/tee/tee.h"
#include "fake_machine.h"
#include "firmware/optee/model.h"
#include "firmware/optee/test_tas.h"
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
    test::FakeMachineMemory memory{machine};
    std::vector<uint64_t> page_store = std::vector<uint64_t>(8192);
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
    void TearDown() override {
        tee::reset();
        tee::set_pages(nullptr);
    }

    void with_optee(uint32_t guest_limit = 2, uint32_t threads = 2) {
        optee_model::Config cfg;
        cfg.guest_limit = guest_limit;
        cfg.threads = threads;
        cfg.memory = &memory;
        cfg.page_store = page_store.data();
        cfg.page_store_size = static_cast<uint32_t>(page_store.size());
        model = optee_model::Model(cfg);
        test::use_optee_model(machine, model);
        tee::set_pages(&alloc);
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
    // The mediator's own baseline calls at VM_CREATED, as the guest's client.
    const uint64_t at_enable = model.calls_from(2);
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
    EXPECT_EQ(call(dom[1], op::kCallsCount).regs.x[0], 13u) << "emulated";
    EXPECT_EQ(dom[1]->tee().calls_forwarded, 5u);
    EXPECT_EQ(model.calls_from(2) - at_enable, 5u);
}

TEST_F(TeeTest, TheFastPathAnswersExactlyAsTheDispatcherDoes) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    // Hostile registers: every argument set, x0's upper half too, a7 naming
    // another client. Both paths must leave the guest the same registers.
    auto hostile = [](Vcpu& v, uint64_t fn) {
        for (unsigned i = 0; i < 31; ++i) v.regs.x[i] = 0xdead'beef'0000'0000ull | i;
        v.regs.x[0] = 0xffff'ffff'0000'0000ull | fn;
        v.regs.x[7] = 5;
    };
    Vcpu& v = dom[1]->vcpu(0);
    for (uint32_t fn : {op::kGetOsRevision, op::kGetOsUuid, op::kGetThreadCount}) {
        hostile(v, fn);
        smccc::dispatch(v, smccc::Conduit::Smc);
        const GuestRegs by_dispatcher = v.regs;
        hostile(v, fn);
        ASSERT_TRUE(tee::fast_path(v)) << std::hex << fn;
        for (unsigned i = 0; i < 31; ++i) {
            EXPECT_EQ(v.regs.x[i], by_dispatcher.x[i]) << std::hex << fn << " x" << std::dec << i;
        }
    }
    EXPECT_EQ(model.calls_from(5), 0u) << "always the guest's own client ID";
    EXPECT_EQ(dom[1]->tee().calls_refused, 0u);
    // Everything else is the dispatcher's: filtered, emulated or refused calls.
    for (uint32_t fn : {op::kExchangeCapabilities, op::kGetShmConfig, op::kVmCreated, op::kCallsUid,
                        op::kCallWithArg, 0xb200'00ffu}) {
        hostile(v, fn);
        EXPECT_FALSE(tee::fast_path(v)) << std::hex << fn;
    }
    // A guest without a TEE never gets there.
    hostile(dom[2]->vcpu(0), op::kGetOsRevision);
    const uint64_t before = model.total_calls();
    EXPECT_FALSE(tee::fast_path(dom[2]->vcpu(0)));
    EXPECT_EQ(model.total_calls(), before);
}

// Linux calls DISABLE_SHM_CACHE until it answers ENOTAVAIL (the cache is
// empty). The mediator never lets OP-TEE cache guest memory (ENABLE_SHM_CACHE is
// answered without OP-TEE), so the first DISABLE ends it: a guest cannot make
// the hypervisor hand back cached buffers forever.
TEST_F(TeeTest, TheShmCacheIsNeverFilledSoDisablingItEndsAtOnce) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    uint64_t before = model.total_calls();
    EXPECT_EQ(call(dom[1], op::kEnableShmCache).regs.x[0], op::kOk);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(call(dom[1], op::kDisableShmCache).regs.x[0], op::kENotAvail);
    }
    EXPECT_EQ(model.total_calls(), before) << "OP-TEE never sees either";
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
    const uint64_t at_enable2 = model.calls_from(2), at_enable3 = model.calls_from(3);
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/3);           // dom2's client ID
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/0);           // the hypervisor's
    call(dom[1], op::kGetOsRevision, 0, /*a7=*/0xffff0003);  // with a secure OS ID too
    EXPECT_EQ(model.calls_from(2) - at_enable2, 3u);
    EXPECT_EQ(model.calls_from(3) - at_enable3, 0u);
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

TEST_F(TeeTest, UnmediatedStandardCallsAreNotForwarded) {
    with_optee();
    ASSERT_EQ(tee::enable(*dom[1], abi::kTeeOptee), 0);
    uint64_t before = model.total_calls();
    for (uint32_t fn : {op::kCallWithRpcArg, op::kCallWithRegdArg}) {
        Vcpu& v = call(dom[1], fn, 0x40000000);
        EXPECT_EQ(v.regs.x[0], op::kENotAvail);
        EXPECT_EQ(v.regs.x[1], 0u);
    }
    // Nothing of the guest's is suspended: the mediator answers as OP-TEE would.
    EXPECT_EQ(call(dom[1], op::kReturnFromRpc, 0x40000000).regs.x[0], op::kEResume);
    // a1 is the upper half of the message's address: far outside the guest.
    Vcpu& v = call(dom[1], op::kCallWithArg, 0x40000000);
    EXPECT_EQ(v.regs.x[0], op::kEBadAddr);
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

// ---- Standard calls: CALL_WITH_ARG through the shadow page ----

class SessionTest : public TeeTest {
protected:
    static constexpr uint64_t kArgOffset = 0x10000;  // in the guest's RAM
    Domain* g = nullptr;
    Ipa arg{};

    void SetUp() override {
        TeeTest::SetUp();
        with_optee();
        g = dom[1];
        ASSERT_EQ(tee::enable(*g, abi::kTeeOptee, {2, 8}), 0);
        arg = g->ram_base() + kArgOffset;
    }
    struct Msg {
        op::MsgArg h{};
        op::MsgParam p[6]{};
    };
    // Writes the message into the guest, makes the call, reads it back.
    uint64_t send(Msg& m, Ipa at, bool in_ram = true) {
        if (in_ram) {
            EXPECT_TRUE(g->copy_to_guest(at, &m, sizeof m.h + sizeof(op::MsgParam) * 6));
        }
        Vcpu& v = g->vcpu(0);
        v.regs = GuestRegs{};
        v.regs.x[0] = op::kCallWithArg;
        v.regs.x[1] = at.value() >> 32;
        v.regs.x[2] = at.value() & 0xffffffffu;
        v.regs.x[7] = 0x1234;  // ignored: the mediator sets the client ID
        smccc::dispatch(v, smccc::Conduit::Smc);
        if (in_ram) {
            EXPECT_TRUE(g->copy_from_guest(&m, at, sizeof m.h + sizeof(op::MsgParam) * 6));
        }
        return v.regs.x[0];
    }
    uint64_t send(Msg& m) { return send(m, arg); }
    Msg open_msg(optee_model::tas::Uuid uuid = optee_model::tas::kIncrement) {
        Msg m;
        m.h.cmd = op::kMsgCmdOpenSession;
        m.h.num_params = 2;
        m.p[0] = {op::kAttrMeta | op::kAttrValueInput, uuid.a, uuid.b, 0};
        m.p[1] = {op::kAttrMeta | op::kAttrValueInput, 0, 0, op::kLoginPublic};
        return m;
    }
    uint32_t open() {
        Msg m = open_msg();
        EXPECT_EQ(send(m), op::kOk);
        EXPECT_EQ(m.h.ret, op::kTeecSuccess);
        return m.h.session;
    }
    Msg invoke_msg(uint32_t session, uint64_t value) {
        Msg m;
        m.h.cmd = op::kMsgCmdInvokeCommand;
        m.h.func = optee_model::tas::kIncrementCmdAddOne;
        m.h.session = session;
        m.h.num_params = 1;
        m.p[0] = {op::kAttrValueInout, value, 0, 0};
        return m;
    }
};

TEST_F(SessionTest, OpenInvokeCloseThroughTheShadow) {
    uint32_t s = open();
    EXPECT_NE(s, 0u);
    EXPECT_EQ(g->tee().in_use.sessions, 1u) << "counted against the quota";
    EXPECT_EQ(model.sessions_of(g->tee().client.value), 1u);

    Msg inv = invoke_msg(s, 41);
    ASSERT_EQ(send(inv), op::kOk);
    EXPECT_EQ(inv.h.ret, op::kTeecSuccess);
    EXPECT_EQ(inv.h.ret_origin, op::kOriginTrustedApp);
    EXPECT_EQ(inv.p[0].a, 42u);

    Msg close;
    close.h.cmd = op::kMsgCmdCloseSession;
    close.h.session = s;
    ASSERT_EQ(send(close), op::kOk);
    EXPECT_EQ(close.h.ret, op::kTeecSuccess);
    EXPECT_EQ(g->tee().in_use.sessions, 0u);
    EXPECT_EQ(model.sessions_of(g->tee().client.value), 0u);

    Msg again = invoke_msg(s, 1);
    ASSERT_EQ(send(again), op::kOk);
    EXPECT_EQ(again.h.ret, op::kTeecErrorBadParameters) << "a closed session is gone";
}

TEST_F(SessionTest, TheGuestNeverHandsOpteeItsOwnMemory) {
    std::vector<uint64_t> seen;
    auto inner = machine.secure_world;
    machine.secure_world = [&](const arch::SecureRegs& in) {
        if (static_cast<uint32_t>(in.x[0]) == op::kCallWithArg) {
            seen.push_back((in.x[1] << 32) | in.x[2]);
            EXPECT_EQ(in.x[7], g->tee().client.value) << "the guest's own client ID";
        }
        return inner(in);
    };
    open();
    ASSERT_EQ(seen.size(), 1u);
    auto pa = g->stage2().translate(arg);
    ASSERT_TRUE(pa.has_value());
    EXPECT_NE(seen[0], pa->value()) << "OP-TEE read a shadow, not the guest's page";
    EXPECT_EQ(seen[0] % kPageSize, 0u);
}

TEST_F(SessionTest, QuotaLimitsOpenSessions) {
    open();
    open();
    Msg third = open_msg();
    ASSERT_EQ(send(third), op::kOk);
    EXPECT_EQ(third.h.ret, op::kTeecErrorBusy);
    EXPECT_EQ(third.h.ret_origin, op::kOriginComms) << "answered by the mediator";
    EXPECT_EQ(model.sessions_of(g->tee().client.value), 2u) << "OP-TEE never saw it";
    ASSERT_EQ(tee::set_quotas(*g, {3, 8}), 0);
    Msg fourth = open_msg();
    ASSERT_EQ(send(fourth), op::kOk);
    EXPECT_EQ(fourth.h.ret, op::kTeecSuccess) << "a raised quota lets the same call through";
    EXPECT_EQ(tee::set_quotas(*g, {2, 8}), -abi::err::kBusy);
}

TEST_F(SessionTest, HostileMessagesAreRefusedBeforeOpteeSeesThem) {
    uint64_t calls_before = model.calls_from(g->tee().client.value);
    Msg m = open_msg();
    EXPECT_EQ(send(m, arg + 8), op::kEBadAddr) << "not page-aligned";
    Msg too_many = open_msg();
    too_many.h.num_params = 7;
    ASSERT_EQ(send(too_many), op::kOk);
    EXPECT_EQ(too_many.h.ret, op::kTeecErrorBadParameters);
    Msg memref = invoke_msg(1, 0);
    memref.p[0] = {op::kAttrTmemInput, 0x40000000, 4096, 0};
    ASSERT_EQ(send(memref), op::kOk);
    EXPECT_EQ(memref.h.ret, op::kTeecErrorBadParameters) << "a contiguous buffer: never";
    Msg flags = invoke_msg(1, 0);
    flags.p[0].attr |= op::kAttrMeta;
    ASSERT_EQ(send(flags), op::kOk);
    EXPECT_EQ(flags.h.ret, op::kTeecErrorBadParameters) << "META only on OPEN's first two";
    Msg reg;
    reg.h.cmd = op::kMsgCmdRegisterShm;
    ASSERT_EQ(send(reg), op::kOk);
    EXPECT_EQ(reg.h.ret, op::kTeecErrorBadParameters) << "REGISTER_SHM without its buffer";
    Msg unknown;
    unknown.h.cmd = 9;
    ASSERT_EQ(send(unknown), op::kOk);
    EXPECT_EQ(unknown.h.ret, op::kTeecErrorNotSupported);
    // An address outside the guest's RAM.
    Msg outside = open_msg();
    EXPECT_EQ(send(outside, g->ram_base() + g->ram_size(), false), op::kEBadAddr);
    EXPECT_EQ(model.calls_from(g->tee().client.value), calls_before) << "none reached OP-TEE";
    EXPECT_EQ(g->tee().in_use.sessions, 0u);

    // The guest's last page: a message that fits goes through.
    Msg edge = open_msg();
    Ipa last_page = g->ram_base() + (g->ram_size() - kPageSize);
    EXPECT_EQ(send(edge, last_page), op::kOk);
    EXPECT_EQ(edge.h.ret, op::kTeecSuccess);
}

TEST_F(SessionTest, SessionsAreTheirOwnGuests) {
    uint32_t s = open();
    Domain* other = dom[2];
    ASSERT_EQ(tee::enable(*other, abi::kTeeOptee), 0);
    std::swap(g, other);
    Msg steal = invoke_msg(s, 1);
    ASSERT_EQ(send(steal), op::kOk);
    EXPECT_NE(steal.h.ret, op::kTeecSuccess) << "another guest's session ID is not ours";
    std::swap(g, other);
    Msg mine = invoke_msg(s, 1);
    ASSERT_EQ(send(mine), op::kOk);
    EXPECT_EQ(mine.h.ret, op::kTeecSuccess);
}

TEST_F(SessionTest, DisableReleasesTheShadowAndTheSessions) {
    open();
    uint64_t free_before = alloc.free_pages();
    ASSERT_EQ(tee::disable(*g), 0);
    EXPECT_EQ(alloc.free_pages(), free_before + 2) << "the shadow and the context went back";
    EXPECT_EQ(model.sessions_of(2), 0u) << "VM_DESTROYED drops the guest's sessions";
    EXPECT_EQ(g->tee().in_use.sessions, 0u);
}

// ---- Calls OP-TEE suspends in an RPC ----

class RpcTest : public SessionTest {
protected:
    // RETURN_FROM_RPC from guest `d` naming `thread` (a1/a2/a4/a5 set to junk
    // that must never reach OP-TEE).
    Vcpu& resume(Domain* d, uint64_t thread) {
        Vcpu& v = d->vcpu(0);
        v.regs = GuestRegs{};
        v.regs.x[0] = op::kReturnFromRpc;
        v.regs.x[1] = 0x4000;
        v.regs.x[2] = 0x1000;
        v.regs.x[3] = thread;
        v.regs.x[4] = 0xbad;
        v.regs.x[5] = 0xbad;
        smccc::dispatch(v, smccc::Conduit::Smc);
        return v;
    }
    // RETURN_FROM_RPC answering a request: a1/a2 = `ipa`, a4/a5 = `cookie`.
    Vcpu& resume_with(Domain* d, uint64_t thread, uint64_t ipa = 0, uint64_t cookie = 0) {
        Vcpu& v = d->vcpu(0);
        v.regs = GuestRegs{};
        v.regs.x[0] = op::kReturnFromRpc;
        v.regs.x[1] = ipa >> 32;
        v.regs.x[2] = ipa & 0xffffffffu;
        v.regs.x[3] = thread;
        v.regs.x[4] = cookie >> 32;
        v.regs.x[5] = cookie & 0xffffffffu;
        smccc::dispatch(v, smccc::Conduit::Smc);
        return v;
    }
    // The guest's supplicant answers LOAD_TA's size query in its RPC argument
    // at `rpc_buf`: the loadable TA's size. Returns a0 of the resumption.
    uint64_t answer_size_query(Ipa rpc_buf, uint64_t thread) {
        Msg rpc;
        EXPECT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
        EXPECT_EQ(rpc.h.cmd, op::kRpcCmdLoadTa);
        rpc.h.ret = op::kTeecSuccess;
        rpc.p[1].b = sizeof(optee_model::tas::TaImage);
        EXPECT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
        return resume_with(g, thread).regs.x[0];
    }
    // Parks an "add one after an interrupt" call at `at`; returns its thread.
    uint64_t park(uint32_t session, Ipa at, uint64_t value = 41) {
        Msg m = invoke_msg(session, value);
        m.h.func = optee_model::tas::kIncrementCmdAddOneAfterInterrupt;
        EXPECT_EQ(send(m, at), op::kRpcForeignIntr);
        return g->vcpu(0).regs.x[3];
    }
};

TEST_F(RpcTest, AGuestLoadsATaThroughTheMediatorAndOpteeSeesOnlyShadows) {
    std::vector<std::array<uint64_t, 8>> seen;
    auto inner = machine.secure_world;
    machine.secure_world = [&](const arch::SecureRegs& in) {
        seen.push_back({in.x[0], in.x[1], in.x[2], in.x[3], in.x[4], in.x[5], in.x[6], in.x[7]});
        return inner(in);
    };
    const Ipa rpc_buf = arg + 0x3000, data = arg + 0x5000, list = arg + 0x6000;
    Msg m = open_msg(optee_model::tas::kLoadable);
    ASSERT_EQ(send(m), op::kRpcAlloc) << "the guest is asked for the RPC argument";
    EXPECT_EQ(g->vcpu(0).regs.x[1], op::kRpcArgSize);
    const uint64_t thread = g->vcpu(0).regs.x[3];

    Vcpu& v = resume_with(g, thread, rpc_buf.value(), 0xc0);
    ASSERT_EQ(v.regs.x[0], op::kRpcCmd);
    EXPECT_EQ((v.regs.x[1] << 32) | v.regs.x[2], 0xc0u) << "the guest's cookie";
    const auto& back = seen.back();
    const uint64_t given = (back[1] << 32) | back[2];
    EXPECT_EQ(static_cast<uint32_t>(back[0]), op::kReturnFromRpc);
    EXPECT_NE(given, g->stage2().translate(rpc_buf)->value()) << "OP-TEE got a shadow";
    EXPECT_EQ((back[4] << 32) | back[5], 0xc0u);

    Msg rpc;
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    EXPECT_EQ(rpc.p[0].a, optee_model::tas::kLoadable.a);
    ASSERT_EQ(answer_size_query(rpc_buf, thread), op::kRpcCmd);

    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdShmAlloc);
    EXPECT_EQ(rpc.p[0].b, sizeof(optee_model::tas::TaImage));
    uint64_t entry = data.value();
    ASSERT_TRUE(g->copy_to_guest(list, &entry, sizeof entry));
    rpc.h.ret = op::kTeecSuccess;
    rpc.p[0] = {op::kAttrTmemOutput | op::kAttrNoncontig, list.value() | 0x10, 0x100, 0xd0};
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcCmd);
    EXPECT_EQ(g->pinned_pages(), 1u) << "the buffer OP-TEE now holds";
    EXPECT_EQ(g->tee().in_use.shm_pages, 1u);

    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdLoadTa);
    EXPECT_EQ(rpc.p[1].attr, op::kAttrRmemOutput) << "the buffer by the guest's own cookie";
    EXPECT_EQ(rpc.p[1].a, 0u) << "from its start";
    EXPECT_EQ(rpc.p[1].c, 0xd0u);
    optee_model::tas::TaImage image{optee_model::tas::kTaImageMagic, optee_model::tas::kLoadable.a,
                                    optee_model::tas::kLoadable.b};
    ASSERT_TRUE(g->copy_to_guest(data + 0x10, &image, sizeof image));
    rpc.h.ret = op::kTeecSuccess;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcCmd);

    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdShmFree);
    EXPECT_EQ(rpc.p[0].b, 0xd0u);
    rpc.h.ret = op::kTeecSuccess;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcFree);
    EXPECT_EQ(g->pinned_pages(), 0u) << "SHM_FREE let it go";
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);

    uint64_t free_before = alloc.free_pages();
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kOk);
    EXPECT_EQ(alloc.free_pages(), free_before + 1) << "the RPC argument's shadow went back";
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecSuccess) << "the TA loaded";
    EXPECT_EQ(g->tee().in_use.sessions, 1u);
    Msg inv = invoke_msg(m.h.session, 41);
    ASSERT_EQ(send(inv), op::kOk);
    EXPECT_EQ(inv.p[0].a, 42u);
    EXPECT_EQ(model.suspended_threads(), 0u);
}

// A TA of 1600 pages: OP-TEE's SHM_ALLOC is answered with a list of four list
// pages, translated about 1,024 pages per trap (whole list pages: 1,533 in the
// first); the guest resumes the same thread.
class LongShmAllocTest : public RpcTest {
protected:
    static constexpr uint32_t kPages = 1600;
    Ipa rpc_buf{}, data{}, list{};
    uint64_t thread = 0;

    void SetUp() override {
        RpcTest::SetUp();
        rpc_buf = arg + 0x3000;
        data = arg + 0x5000;
        list = arg + 0x6000;
    }

    // Opens the loadable TA up to OP-TEE's SHM_ALLOC, answers it with a list
    // naming `data` kPages times; returns a0 of that answer.
    uint64_t answer_long_shm_alloc() {
        EXPECT_EQ(tee::set_quotas(*g, {2, 2048}), 0);
        Msg m = open_msg(optee_model::tas::kLoadable);
        EXPECT_EQ(send(m), op::kRpcAlloc);
        thread = g->vcpu(0).regs.x[3];
        EXPECT_EQ(resume_with(g, thread, rpc_buf.value(), 0xc0).regs.x[0], op::kRpcCmd);
        Msg rpc;
        EXPECT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
        rpc.h.ret = op::kTeecSuccess;
        rpc.p[1].b = uint64_t{kPages} * kPageSize;
        EXPECT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
        EXPECT_EQ(resume_with(g, thread).regs.x[0], op::kRpcCmd);
        EXPECT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
        EXPECT_EQ(rpc.h.cmd, op::kRpcCmdShmAlloc);
        for (uint64_t lp = 0; lp < 4; ++lp) {
            uint64_t page[512];
            for (auto& e : page) e = data.value();
            page[511] = (list + (lp + 1) * kPageSize).value();
            EXPECT_TRUE(g->copy_to_guest(list + lp * kPageSize, page, sizeof page));
        }
        rpc.p[0] = {op::kAttrTmemOutput | op::kAttrNoncontig, list.value(), rpc.p[0].b, 0xd0};
        EXPECT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
        return resume_with(g, thread).regs.x[0];
    }
};

TEST_F(LongShmAllocTest, AListLongerThanOneTrapIsTranslatedOverSeveralAndTheTaLoads) {
    ASSERT_EQ(answer_long_shm_alloc(), op::kRpcForeignIntr) << "1,024 pages, then the guest";
    EXPECT_EQ(g->vcpu(0).regs.x[3], thread) << "the same OP-TEE thread to resume";
    EXPECT_EQ(g->pinned_pages(), 0u) << "pinned once the list is whole";
    EXPECT_EQ(g->tee().in_use.shm_pages, kPages) << "its place in the quota is held";
    EXPECT_EQ(model.suspended_threads(), 1u);
    // The guest rewrites its answer meanwhile: the first reading counts.
    Msg rpc;
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    rpc.p[0].c = 0xbad;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));

    ASSERT_EQ(resume(g, thread).regs.x[0], op::kRpcCmd) << "the rest, then OP-TEE's LOAD_TA";
    EXPECT_EQ(g->pinned_pages(), kPages);
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdLoadTa);
    EXPECT_EQ(rpc.p[1].attr, op::kAttrRmemOutput);
    EXPECT_EQ(rpc.p[1].a, 0u);
    EXPECT_EQ(rpc.p[1].c, 0xd0u) << "the cookie as first answered";
    optee_model::tas::TaImage image{optee_model::tas::kTaImageMagic, optee_model::tas::kLoadable.a,
                                    optee_model::tas::kLoadable.b};
    ASSERT_TRUE(g->copy_to_guest(data, &image, sizeof image));
    rpc.h.ret = op::kTeecSuccess;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcCmd);
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdShmFree);
    rpc.h.ret = op::kTeecSuccess;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcFree);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kOk);
    Msg m;
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecSuccess) << "the TA loaded";
}

TEST_F(LongShmAllocTest, DisablingMidTranslationGivesEverythingBack) {
    const uint64_t free_before = alloc.free_pages();
    ASSERT_EQ(answer_long_shm_alloc(), op::kRpcForeignIntr);
    EXPECT_LT(alloc.free_pages(), free_before) << "list pages and the RPC shadow in use";
    ASSERT_EQ(tee::disable(*g), 0);
    EXPECT_EQ(model.suspended_threads(), 0u) << "OP-TEE's thread finished";
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    // Back: the list pages, the call's shadow, the RPC argument's shadow (OP-TEE
    // freed it on its way out) and the guest's context, taken before.
    EXPECT_EQ(alloc.free_pages(), free_before + 1);
}

TEST_F(LongShmAllocTest, AHostileEntryInALaterPartIsRefused) {
    // An entry of the fourth list page is moved outside the guest's RAM before
    // the guest resumes: the list was not read that far yet, so the new value
    // counts, and is refused.
    ASSERT_EQ(answer_long_shm_alloc(), op::kRpcForeignIntr);
    uint64_t page[512];
    ASSERT_TRUE(g->copy_from_guest(page, list + 3 * kPageSize, sizeof page));
    page[0] = (g->ram_base() + g->ram_size()).value();
    ASSERT_TRUE(g->copy_to_guest(list + 3 * kPageSize, page, sizeof page));
    ASSERT_EQ(resume(g, thread).regs.x[0], op::kRpcFree) << "OP-TEE gave up loading";
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kOk);
    Msg m;
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecErrorItemNotFound) << "no TA, as when the supplicant has none";
    EXPECT_EQ(model.suspended_threads(), 0u);
}

TEST_F(RpcTest, MemoryReferencesByAddressInAnRpcReachTheGuestAsItsOwnAddressesOrZero) {
    // OP-TEE passes registered (dynamic) shared memory in an RPC by cookie, but
    // reserved shared memory by physical address (TMEM). A secure world that
    // names addresses here: one in this guest's RAM, one in another guest's,
    // one in the hypervisor's. The guest must see its own address for the
    // first and 0 for the others, never a physical address.
    const Ipa rpc_buf = arg + 0x3000;
    const uint64_t mine = g->stage2().translate(arg + 0x5000)->value() + 0x123;
    const uint64_t other = dom[2]->ram_pa().value() + 0x4000;
    const uint64_t hyp = machine.ram_base().value() + 0x10;
    uint64_t rpc_pa = 0;
    bool rewritten = false;
    auto inner = machine.secure_world;
    machine.secure_world = [&](const arch::SecureRegs& in) {
        if (static_cast<uint32_t>(in.x[0]) == op::kReturnFromRpc && !rpc_pa) {
            rpc_pa = (in.x[1] << 32) | (in.x[2] & 0xffffffffu);  // the RPC argument's shadow
        }
        arch::SecureRegs out = inner(in);
        if (static_cast<uint32_t>(out.x[0]) == op::kRpcCmd && rpc_pa && !rewritten) {
            rewritten = true;
            auto* rpc = reinterpret_cast<Msg*>(machine.host(Pa(rpc_pa)));
            rpc->h.num_params = 4;
            rpc->p[1] = {op::kAttrTmemOutput, mine, 0x40, 0x71};
            rpc->p[2] = {op::kAttrTmemInout, other, 0x40, 0x72};
            rpc->p[3] = {op::kAttrTmemInput, hyp, 0x40, 0x73};
        }
        return out;
    };
    Msg m = open_msg(optee_model::tas::kLoadable);
    ASSERT_EQ(send(m), op::kRpcAlloc);
    const uint64_t thread = g->vcpu(0).regs.x[3];
    ASSERT_EQ(resume_with(g, thread, rpc_buf.value(), 0xc0).regs.x[0], op::kRpcCmd);
    ASSERT_TRUE(rewritten);
    Msg rpc;
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.num_params, 4u);
    EXPECT_EQ(rpc.p[1].a, (arg + 0x5000).value() + 0x123) << "its own page, by its own address";
    EXPECT_EQ(rpc.p[2].a, 0u) << "another guest's page is nothing to this one";
    EXPECT_EQ(rpc.p[3].a, 0u) << "the hypervisor's memory is nothing to the guest";
    EXPECT_EQ(rpc.p[1].b, 0x40u);
    EXPECT_EQ(rpc.p[3].c, 0x73u);
    // The guest cannot supply the TA: the call ends, nothing is left held.
    rpc.h.ret = op::kTeecErrorItemNotFound;
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    for (int i = 0; i < 8 && g->vcpu(0).regs.x[0] != op::kOk; ++i) resume(g, thread);
    EXPECT_EQ(model.suspended_threads(), 0u);
    EXPECT_EQ(g->pinned_pages(), 0u);
}

TEST_F(RpcTest, AGuestCannotRewriteTheRpcArgumentOpteeWorksFrom) {
    const Ipa rpc_buf = arg + 0x3000;
    std::vector<Pa> shadows;
    auto inner = machine.secure_world;
    machine.secure_world = [&](const arch::SecureRegs& in) {
        if (static_cast<uint32_t>(in.x[0]) == op::kReturnFromRpc && in.x[1] | in.x[2]) {
            shadows.push_back(Pa((in.x[1] << 32) | in.x[2]));
        }
        return inner(in);
    };
    Msg m = open_msg(optee_model::tas::kLoadable);
    ASSERT_EQ(send(m), op::kRpcAlloc);
    const uint64_t thread = g->vcpu(0).regs.x[3];
    ASSERT_EQ(resume_with(g, thread, rpc_buf.value(), 0xc0).regs.x[0], op::kRpcCmd);
    ASSERT_EQ(shadows.size(), 1u);
    // The guest answers the size query, and also rewrites what it may not: the
    // command, the parameter count and types, an input value.
    Msg rpc;
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    rpc.h.ret = op::kTeecSuccess;
    rpc.h.cmd = op::kRpcCmdShmFree;
    rpc.h.num_params = 4;
    rpc.p[0] = {op::kAttrValueOutput, 1, 2, 3};
    rpc.p[1].attr = op::kAttrTmemOutput | op::kAttrNoncontig;
    rpc.p[1].a = 0x0e000000;
    rpc.p[1].b = sizeof(optee_model::tas::TaImage);
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcCmd);
    Msg seen;
    std::memcpy(&seen, machine.host(shadows[0]), sizeof seen);
    EXPECT_EQ(seen.h.cmd, op::kRpcCmdShmAlloc) << "OP-TEE's next request, in its own copy";
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    EXPECT_EQ(rpc.h.cmd, op::kRpcCmdShmAlloc) << "and the guest sees it, not its own writes";
    EXPECT_EQ(rpc.h.num_params, 1u);
    EXPECT_EQ(g->pinned_pages(), 0u);
}

TEST_F(RpcTest, AnRpcArgumentOutsideTheGuestsRamOrMisalignedIsNoBuffer) {
    Msg m = open_msg(optee_model::tas::kNotInstalled);
    ASSERT_EQ(send(m), op::kRpcAlloc);
    const uint64_t thread = g->vcpu(0).regs.x[3];
    uint64_t free_before = alloc.free_pages();
    Ipa outside = g->ram_base() + g->ram_size();
    ASSERT_EQ(resume_with(g, thread, outside.value(), 1).regs.x[0], op::kOk);
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecErrorOutOfMemory) << "OP-TEE had no buffer";
    EXPECT_EQ(alloc.free_pages(), free_before);
    EXPECT_EQ(model.suspended_threads(), 0u);

    // Nor one the hypervisor could only read unaligned (found by the fuzzer).
    m = open_msg(optee_model::tas::kNotInstalled);
    ASSERT_EQ(send(m), op::kRpcAlloc);
    ASSERT_EQ(resume_with(g, g->vcpu(0).regs.x[3], (arg + 0x3003).value(), 1).regs.x[0], op::kOk);
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecErrorOutOfMemory);
}

TEST_F(RpcTest, ASupplicantCannotHandOpteeMemoryThatIsNotItsOwn) {
    const Ipa rpc_buf = arg + 0x3000;
    Msg m = open_msg(optee_model::tas::kLoadable);
    ASSERT_EQ(send(m), op::kRpcAlloc);
    const uint64_t thread = g->vcpu(0).regs.x[3];
    ASSERT_EQ(resume_with(g, thread, rpc_buf.value(), 0xc0).regs.x[0], op::kRpcCmd);
    ASSERT_EQ(answer_size_query(rpc_buf, thread), op::kRpcCmd);
    // SHM_ALLOC answered with a contiguous buffer in the secure world's memory.
    Msg rpc;
    ASSERT_TRUE(g->copy_from_guest(&rpc, rpc_buf, sizeof rpc));
    ASSERT_EQ(rpc.h.cmd, op::kRpcCmdShmAlloc);
    rpc.h.ret = op::kTeecSuccess;
    rpc.p[0] = {op::kAttrTmemOutput, 0x0e000000, 0x100, 0xd0};
    ASSERT_TRUE(g->copy_to_guest(rpc_buf, &rpc, sizeof rpc));
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kRpcFree) << "OP-TEE gave up loading";
    EXPECT_EQ(g->pinned_pages(), 0u);
    ASSERT_EQ(resume_with(g, thread).regs.x[0], op::kOk);
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecErrorItemNotFound);
    EXPECT_EQ(g->tee().in_use.sessions, 0u);
}

TEST_F(RpcTest, AForeignInterruptGoesToTheGuestWhichResumesItsOwnCallOnce) {
    uint32_t s = open();
    uint64_t thread = park(s, arg);
    Msg inside;
    ASSERT_TRUE(g->copy_from_guest(&inside, arg, sizeof inside));
    EXPECT_EQ(inside.p[0].a, 41u) << "nothing written back while suspended";
    EXPECT_EQ(model.suspended_threads_of(g->tee().client.value), 1u);

    EXPECT_EQ(resume(g, thread + 1).regs.x[0], op::kEResume) << "not a thread of mine";
    Domain* other = dom[2];
    ASSERT_EQ(tee::enable(*other, abi::kTeeOptee), 0);
    uint64_t other_calls = model.calls_from(other->tee().client.value);
    EXPECT_EQ(resume(other, thread).regs.x[0], op::kEResume) << "another guest's call";
    EXPECT_EQ(model.calls_from(other->tee().client.value), other_calls)
        << "refused by the mediator";

    EXPECT_EQ(resume(g, thread).regs.x[0], op::kOk);
    ASSERT_TRUE(g->copy_from_guest(&inside, arg, sizeof inside));
    EXPECT_EQ(inside.h.ret, op::kTeecSuccess);
    EXPECT_EQ(inside.p[0].a, 42u);
    EXPECT_EQ(resume(g, thread).regs.x[0], op::kEResume) << "the same call resumed twice";
    EXPECT_EQ(model.suspended_threads(), 0u);
}

TEST_F(RpcTest, AGuestCannotHoldEveryThread) {
    uint32_t s = open();
    uint64_t thread = park(s, arg);
    Msg second = invoke_msg(s, 1);
    second.h.func = optee_model::tas::kIncrementCmdAddOneAfterInterrupt;
    uint64_t before = model.calls_from(g->tee().client.value);
    EXPECT_EQ(send(second, arg + kPageSize), op::kEThreadLimit) << "one of OP-TEE's two threads";
    EXPECT_EQ(model.calls_from(g->tee().client.value), before) << "answered by the mediator";

    // Another guest still gets the other thread.
    Domain* other = dom[2];
    ASSERT_EQ(tee::enable(*other, abi::kTeeOptee), 0);
    std::swap(g, other);
    uint32_t theirs = open();
    Msg inv = invoke_msg(theirs, 9);
    ASSERT_EQ(send(inv), op::kOk);
    EXPECT_EQ(inv.p[0].a, 10u);
    std::swap(g, other);
    EXPECT_EQ(resume(g, thread).regs.x[0], op::kOk);
    EXPECT_EQ(send(second, arg + kPageSize), op::kRpcForeignIntr) << "free again";
}

TEST_F(RpcTest, EachGuestHoldsItsShareOfOpteesThreads) {
    // OP-TEE with six threads and room for three guests.
    ASSERT_EQ(tee::disable(*g), 0);
    tee::reset();
    with_optee(3, 6);
    ASSERT_EQ(tee::enable(*g, abi::kTeeOptee, {8, 8}), 0);
    uint32_t s = open();
    std::vector<uint64_t> held;
    auto park_at = [&](unsigned page) {
        Msg m = invoke_msg(s, 1);
        m.h.func = optee_model::tas::kIncrementCmdAddOneAfterInterrupt;
        uint64_t rc = send(m, arg + page * kPageSize);
        if (rc == op::kRpcForeignIntr) held.push_back(g->vcpu(0).regs.x[3]);
        return rc;
    };
    // Alone, a guest may hold all but one: five.
    for (unsigned i = 1; i <= 5; ++i) EXPECT_EQ(park_at(i), op::kRpcForeignIntr) << i;
    EXPECT_EQ(park_at(6), op::kEThreadLimit);
    EXPECT_EQ(model.suspended_threads(), 5u);
    // With three guests registered its share is two: what it holds stays held,
    // and once it is down to one it may take one more, not two.
    ASSERT_EQ(tee::enable(*dom[2], abi::kTeeOptee), 0);
    ASSERT_EQ(tee::enable(*dom[3], abi::kTeeOptee), 0);
    EXPECT_EQ(park_at(6), op::kEThreadLimit);
    for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(resume(g, held[i]).regs.x[0], op::kOk);
    EXPECT_EQ(park_at(1), op::kRpcForeignIntr);
    const uint64_t calls = model.calls_from(g->tee().client.value);
    EXPECT_EQ(park_at(2), op::kEThreadLimit) << "two of six threads, with three guests";
    EXPECT_EQ(model.calls_from(g->tee().client.value), calls) << "answered by the mediator";
    EXPECT_EQ(model.suspended_threads(), 2u) << "four threads free for the others";
}

TEST_F(RpcTest, DisableFinishesTheCallsTheGuestLeftSuspended) {
    uint32_t s = open();
    park(s, arg);
    uint64_t free_before = alloc.free_pages();
    ASSERT_EQ(tee::disable(*g), 0);
    EXPECT_EQ(model.suspended_threads(), 0u) << "OP-TEE's thread is free for other guests";
    EXPECT_EQ(model.partitions(), 0u);
    EXPECT_EQ(alloc.free_pages(), free_before + 2) << "shadow and context back";
}

TEST_F(RpcTest, DestroyFinishesTheCallsTheGuestLeftSuspended) {
    uint32_t s = open();
    park(s, arg);
    domains.destroy(*g);
    EXPECT_EQ(model.suspended_threads(), 0u);
    EXPECT_EQ(model.partitions(), 0u);
}

TEST_F(RpcTest, LongRpcChainsAreCutIntoBoundedTraps) {
    // A secure world that asks for 40 RPCs before finishing a call.
    unsigned rpcs = 0;
    machine.secure_world = [&](const arch::SecureRegs& in) {
        auto fn = static_cast<uint32_t>(in.x[0]);
        arch::SecureRegs out{};
        if (fn == op::kCallWithArg || fn == op::kReturnFromRpc) {
            out.x[0] = ++rpcs <= 40 ? op::kRpcFree : op::kOk;
            out.x[3] = 1;
        }
        return out;
    };
    Msg m = invoke_msg(1, 0);
    unsigned traps = 1;
    uint64_t rc = send(m);
    while (rc == op::kRpcForeignIntr && traps < 10) {
        rc = resume(g, g->vcpu(0).regs.x[3]).regs.x[0];
        ++traps;
    }
    EXPECT_EQ(rc, op::kOk);
    EXPECT_EQ(rpcs, 41u);
    EXPECT_EQ(traps, 3u) << "16 OP-TEE calls per trap at most";
}

// ---- Shared memory: page lists, registrations, pins ----

class ShmTest : public RpcTest {
protected:
    static constexpr uint64_t kListAt = 0x20000;  // list pages, in the guest's RAM
    static constexpr uint64_t kDataAt = 0x40000;  // data pages
    uint32_t buffers = 0;                         // a session with the buffers TA

    void SetUp() override {
        RpcTest::SetUp();
        Msg m = open_msg(optee_model::tas::kBuffers);
        ASSERT_EQ(send(m), op::kOk);
        ASSERT_EQ(m.h.ret, op::kTeecSuccess);
        buffers = m.h.session;
    }
    Ipa data(unsigned i) const { return g->ram_base() + kDataAt + i * kPageSize; }
    // Writes a page list naming `pages` (guest IPAs) at kListAt (+ `at`), list
    // page after list page; returns its buf_ptr with `offset`.
    uint64_t write_list(const std::vector<uint64_t>& pages, uint64_t offset = 0, uint64_t at = 0) {
        Ipa list = g->ram_base() + kListAt + at;
        for (size_t i = 0; i < pages.size(); i += 511) {
            uint64_t entries[512] = {};
            for (size_t k = 0; k < 511 && i + k < pages.size(); ++k) entries[k] = pages[i + k];
            Ipa next = list + kPageSize;
            entries[511] = next.value();
            EXPECT_TRUE(g->copy_to_guest(list + 0, entries, sizeof entries));
            list = next;
        }
        return (g->ram_base() + kListAt + at).value() | offset;
    }
    std::vector<uint64_t> data_pages(unsigned n, unsigned distinct = ~0u) {
        std::vector<uint64_t> v;
        for (unsigned i = 0; i < n; ++i) v.push_back(data(i % distinct).value());
        return v;
    }
    Msg register_msg(uint64_t buf_ptr, uint64_t size, uint64_t cookie) {
        Msg m;
        m.h.cmd = op::kMsgCmdRegisterShm;
        m.h.num_params = 1;
        m.p[0] = {op::kAttrTmemOutput | op::kAttrNoncontig, buf_ptr, size, cookie};
        return m;
    }
    uint32_t register_shm(uint64_t buf_ptr, uint64_t size, uint64_t cookie) {
        Msg m = register_msg(buf_ptr, size, cookie);
        EXPECT_EQ(send(m), op::kOk);
        return m.h.ret;
    }
    uint32_t unregister_shm(uint64_t cookie) {
        Msg m;
        m.h.cmd = op::kMsgCmdUnregisterShm;
        m.h.num_params = 1;
        m.p[0] = {op::kAttrRmemInput, 0, 0, cookie};
        EXPECT_EQ(send(m), op::kOk);
        return m.h.ret;
    }
    // The buffers TA's command on a memory reference `ref`; returns the message.
    Msg buffers_msg(uint32_t cmd, op::MsgParam ref, uint64_t seed = 0) {
        Msg m;
        m.h.cmd = op::kMsgCmdInvokeCommand;
        m.h.func = cmd;
        m.h.session = buffers;
        m.h.num_params = 2;
        m.p[0] = ref;
        m.p[1] = {cmd == optee_model::tas::kBuffersCmdChecksum ? op::kAttrValueOutput
                                                               : op::kAttrValueInput,
                  seed, 0, 0};
        return m;
    }
    // The FNV-1a hash of `size` bytes of the guest's pages, from `offset` in the first.
    uint64_t guest_hash(const std::vector<uint64_t>& pages, uint64_t offset, uint64_t size) {
        uint64_t h = optee_model::tas::kFnvOffset;
        for (uint64_t at = 0; at < size;) {
            uint64_t pos = offset + at, in_page = pos % kPageSize;
            uint64_t n = std::min(size - at, kPageSize - in_page);
            std::vector<uint8_t> b(n);
            EXPECT_TRUE(g->copy_from_guest(b.data(), Ipa(pages[pos / kPageSize] + in_page), n));
            h = optee_model::tas::fnv1a(h, b.data(), n);
            at += n;
        }
        return h;
    }
    void fill_guest(unsigned pages) {
        for (unsigned i = 0; i < pages; ++i) {
            std::vector<uint8_t> b(kPageSize);
            for (uint64_t k = 0; k < kPageSize; ++k) b[k] = static_cast<uint8_t>(i * 31 + k * 13);
            ASSERT_TRUE(g->copy_to_guest(data(i), b.data(), b.size()));
        }
    }
};

TEST_F(ShmTest, RegisterTranslatesEveryPageAndPinsItUntilUnregister) {
    fill_guest(3);
    std::vector<uint64_t> pages = {data(2).value(), data(0).value(), data(1).value()};
    const uint64_t size = 3 * kPageSize - 0x30;
    ASSERT_EQ(register_shm(write_list(pages, 0x10), size, 0xc00c1e), op::kTeecSuccess);
    EXPECT_EQ(g->pinned_pages(), 3u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 3u);
    uint32_t n = 0;
    const uint64_t* taken = model.registered_pages(g->tee().client.value, 0xc00c1e, n);
    ASSERT_EQ(n, 3u);
    for (unsigned i = 0; i < 3; ++i) {
        auto pa = g->stage2().translate(Ipa(pages[i]));
        ASSERT_TRUE(pa.has_value());
        EXPECT_EQ(taken[i], pa->value()) << "page " << i << ": the guest's page, by its PA";
    }

    // The TA reads the guest's bytes and writes back into them, by registration.
    Msg sum = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                          {op::kAttrRmemInput, 0x100, size - 0x200, 0xc00c1e});
    ASSERT_EQ(send(sum), op::kOk);
    ASSERT_EQ(sum.h.ret, op::kTeecSuccess);
    EXPECT_EQ(sum.p[1].a, guest_hash(pages, 0x110, size - 0x200));
    Msg fill =
        buffers_msg(optee_model::tas::kBuffersCmdFill, {op::kAttrRmemOutput, 0, size, 0xc00c1e}, 5);
    ASSERT_EQ(send(fill), op::kOk);
    ASSERT_EQ(fill.h.ret, op::kTeecSuccess);
    for (uint64_t i : {uint64_t{0}, uint64_t{4095}, size - 1}) {
        uint8_t b;
        uint64_t pos = 0x10 + i;
        ASSERT_TRUE(g->copy_from_guest(&b, Ipa(pages[pos / kPageSize] + pos % kPageSize), 1));
        EXPECT_EQ(b, optee_model::tas::fill_byte(5, i)) << "byte " << i;
    }

    EXPECT_EQ(unregister_shm(0xc00c1e), op::kTeecSuccess);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    EXPECT_EQ(model.registrations_of(g->tee().client.value), 0u);
    EXPECT_EQ(unregister_shm(0xc00c1e), op::kTeecErrorItemNotFound);
}

TEST_F(ShmTest, TemporaryReferencesAreTranslatedAndPinnedForTheCallOnly) {
    fill_guest(2);
    std::vector<uint64_t> pages = {data(1).value(), data(0).value()};
    op::MsgParam ref = {op::kAttrTmemInput | op::kAttrNoncontig, write_list(pages, 0x800),
                        kPageSize, 0x77};
    Msg warm = buffers_msg(optee_model::tas::kBuffersCmdChecksum, ref);
    ASSERT_EQ(send(warm), op::kOk);  // takes the call's shadow page
    uint64_t free_before = alloc.free_pages();
    Msg sum = buffers_msg(optee_model::tas::kBuffersCmdChecksum, ref);
    ASSERT_EQ(send(sum), op::kOk);
    ASSERT_EQ(sum.h.ret, op::kTeecSuccess);
    EXPECT_EQ(sum.p[1].a, guest_hash(pages, 0x800, kPageSize));
    EXPECT_EQ(sum.p[1].b, kPageSize);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    EXPECT_EQ(alloc.free_pages(), free_before) << "the call's list pages went back";
    Msg back;
    ASSERT_TRUE(g->copy_from_guest(&back, arg, sizeof back));
    EXPECT_EQ(back.p[0].a, ref.a) << "the guest's own buf_ptr, not the hypervisor's list";
}

TEST_F(ShmTest, ListsSpanningListPagesAreFollowed) {
    ASSERT_EQ(tee::set_quotas(*g, {2, 2048}), 0);
    fill_guest(5);
    std::vector<uint64_t> pages = data_pages(1100, 5);  // 3 list pages; pages repeat
    ASSERT_EQ(register_shm(write_list(pages), 1100 * kPageSize, 1), op::kTeecSuccess);
    uint32_t n = 0;
    const uint64_t* taken = model.registered_pages(g->tee().client.value, 1, n);
    ASSERT_EQ(n, 1100u);
    for (unsigned i : {0u, 510u, 511u, 1021u, 1022u, 1099u}) {
        EXPECT_EQ(taken[i], g->stage2().translate(Ipa(pages[i]))->value()) << "page " << i;
    }
    EXPECT_EQ(g->pinned_pages(), 1100u);
    Msg sum = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                          {op::kAttrRmemInput, 0, 1100 * kPageSize, 1});
    ASSERT_EQ(send(sum), op::kOk);
    EXPECT_EQ(sum.p[1].a, guest_hash(pages, 0, 1100 * kPageSize));
}

TEST_F(ShmTest, LongListsAreTranslatedInBoundedTrapsTheGuestResumes) {
    ASSERT_EQ(tee::set_quotas(*g, {2, 4096}), 0);
    fill_guest(3);
    std::vector<uint64_t> pages = data_pages(3000, 3);  // 6 list pages
    Msg m = register_msg(write_list(pages), 3000 * kPageSize, 9);
    const uint64_t calls_before = model.calls_from(g->tee().client.value);
    ASSERT_EQ(send(m), op::kRpcForeignIntr) << "1,533 pages in the first trap";
    const uint64_t thread = g->vcpu(0).regs.x[3];
    EXPECT_EQ(model.calls_from(g->tee().client.value), calls_before) << "not in OP-TEE yet";
    EXPECT_EQ(g->tee().in_use.shm_pages, 3000u) << "the quota is taken at the start";
    EXPECT_EQ(g->pinned_pages(), 0u) << "pinned once the list is whole";

    Domain* other = dom[2];
    ASSERT_EQ(tee::enable(*other, abi::kTeeOptee), 0);
    EXPECT_EQ(resume(other, thread).regs.x[0], op::kEResume) << "not another guest's to go on with";

    ASSERT_EQ(resume(g, thread).regs.x[0], op::kOk) << "the rest, then OP-TEE";
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecSuccess);
    EXPECT_EQ(g->pinned_pages(), 3000u);
    uint32_t n = 0;
    const uint64_t* taken = model.registered_pages(g->tee().client.value, 9, n);
    ASSERT_EQ(n, 3000u);
    for (unsigned i : {0u, 1532u, 1533u, 2999u}) {
        EXPECT_EQ(taken[i], g->stage2().translate(Ipa(pages[i]))->value()) << "page " << i;
    }
    EXPECT_EQ(resume(g, thread).regs.x[0], op::kEResume) << "done: nothing to go on with";
}

TEST_F(ShmTest, ANextListPageThatIsNotAWholePageIsRefused) {
    // Found in review: the next list page's address was used unchecked, and a
    // misaligned one would have been read with an unaligned load at EL2.
    ASSERT_EQ(tee::set_quotas(*g, {2, 2048}), 0);
    uint64_t entries[512];
    for (unsigned i = 0; i < 511; ++i) entries[i] = data(i % 3).value();
    Ipa first = g->ram_base() + kListAt;
    entries[511] = (first + kPageSize).value() + 4;
    ASSERT_TRUE(g->copy_to_guest(first, entries, sizeof entries));
    // Three list pages' worth, so that the misaligned one's own next pointer
    // would be read.
    Msg m = register_msg(first.value(), 1100 * kPageSize, 1);
    ASSERT_EQ(send(m), op::kOk);
    EXPECT_EQ(m.h.ret, op::kTeecErrorBadParameters);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
}

TEST_F(ShmTest, OpensBeingTranslatedHoldTheirPlaceInTheSessionQuota) {
    // Found in review: an OPEN still being translated held no place, so such
    // opens could add up past the quota.
    ASSERT_EQ(tee::set_quotas(*g, {2, 4096}), 0);
    Msg m = open_msg();
    m.h.num_params = 3;
    m.p[2] = {op::kAttrTmemInput | op::kAttrNoncontig, write_list(data_pages(2000, 3)),
              2000 * kPageSize, 0};
    ASSERT_EQ(send(m), op::kRpcForeignIntr);
    EXPECT_EQ(g->tee().in_use.sessions, 2u) << "the buffers session and this open's place";
    EXPECT_EQ(tee::set_quotas(*g, {1, 4096}), -abi::err::kBusy);
    ASSERT_EQ(resume(g, g->vcpu(0).regs.x[3]).regs.x[0], op::kOk);
    ASSERT_TRUE(g->copy_from_guest(&m, arg, sizeof m));
    EXPECT_EQ(m.h.ret, op::kTeecSuccess);
    EXPECT_EQ(g->tee().in_use.sessions, 2u);
    EXPECT_EQ(model.sessions_of(g->tee().client.value), 2u);
}

TEST_F(ShmTest, AGuestDestroyedMidTranslationHoldsNothing) {
    ASSERT_EQ(tee::set_quotas(*g, {2, 4096}), 0);
    Msg m = register_msg(write_list(data_pages(3000, 3)), 3000 * kPageSize, 9);
    ASSERT_EQ(send(m), op::kRpcForeignIntr);
    EXPECT_EQ(tee::disable(*g), 0);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(g->tee().in_use.shm_pages, 0u);
    EXPECT_EQ(model.registrations_of(2), 0u);
}

TEST_F(ShmTest, AQuotaRefusalIsExplainedToTheOperatorAFewTimesPerGuest) {
    // The guest's default quota is 8 pages here; libteec in the guest sees only
    // a generic error, so the hypervisor's log says what was refused and why.
    auto count = [&] {
        size_t n = 0;
        for (size_t at = 0;
             (at = machine.console.find("shared memory refused", at)) != std::string::npos; ++at) {
            ++n;
        }
        return n;
    };
    for (int i = 0; i < 10; ++i) {
        Msg m = register_msg(write_list(data_pages(9, 2)), 9 * kPageSize, 1);
        ASSERT_EQ(send(m), op::kOk);
        EXPECT_EQ(m.h.ret, op::kTeecErrorOutOfMemory);
    }
    EXPECT_NE(machine.console.find("tee: client 2: 9 page(s) of shared memory refused: quota 8 "
                                   "page(s), 0 held (raise it: tee_shm_pages"),
              std::string::npos)
        << machine.console;
    EXPECT_EQ(count(), 4u) << "a guest cannot flood the log";
}

TEST_F(ShmTest, HostileListsAreRefusedHoldingNothingAndOpteeNeverSeesThem) {
    fill_guest(2);
    const uint64_t ram_end = (g->ram_base() + g->ram_size()).value();
    std::vector<uint64_t> good = {data(0).value(), data(1).value()};
    uint64_t free_before = 0;
    uint64_t calls_before = 0;
    auto expect_refused = [&](Msg m, uint32_t ret, const char* what) {
        ASSERT_EQ(send(m), op::kOk) << what;
        EXPECT_EQ(m.h.ret, ret) << what;
        EXPECT_EQ(m.h.ret_origin, op::kOriginComms) << what;
        EXPECT_EQ(g->pinned_pages(), 0u) << what;
        EXPECT_EQ(g->tee().in_use.shm_pages, 0u) << what;
        EXPECT_EQ(alloc.free_pages(), free_before) << what << ": list pages leaked";
        EXPECT_EQ(model.calls_from(g->tee().client.value), calls_before) << what;
    };
    Msg warm = register_msg(write_list(good), 2 * kPageSize, 99);
    ASSERT_EQ(send(warm), op::kOk);
    ASSERT_EQ(unregister_shm(99), op::kTeecSuccess);
    free_before = alloc.free_pages();
    calls_before = model.calls_from(g->tee().client.value);

    expect_refused(register_msg(ram_end, kPageSize, 1), op::kTeecErrorBadParameters,
                   "a list page outside the guest's RAM");
    expect_refused(register_msg(write_list({data(0).value(), ram_end}), 2 * kPageSize, 1),
                   op::kTeecErrorBadParameters, "a page past the guest's RAM");
    expect_refused(register_msg(write_list({data(0).value(), 0x0}), 2 * kPageSize, 1),
                   op::kTeecErrorBadParameters, "page 0 (not RAM)");
    expect_refused(register_msg(write_list({dom[2]->ram_pa().value() + (4u << 20)}), kPageSize, 1),
                   op::kTeecErrorBadParameters, "another guest's physical page as an address");
    expect_refused(register_msg(write_list({data(0).value() | 8}), kPageSize, 1),
                   op::kTeecErrorBadParameters, "a misaligned page");
    expect_refused(register_msg(write_list(good), 0, 1), op::kTeecErrorBadParameters,
                   "zero length");
    expect_refused(register_msg(write_list(good, 0xfff), ~uint64_t{0}, 1),
                   op::kTeecErrorOutOfMemory, "offset + size overflows");
    expect_refused(register_msg(write_list(data_pages(9, 2)), 9 * kPageSize, 1),
                   op::kTeecErrorOutOfMemory, "past the guest's quota of 8 pages");
    {
        // A list page whose next pointer is itself: a cycle.
        ASSERT_EQ(tee::set_quotas(*g, {2, 1024}), 0);
        uint64_t entries[512];
        for (auto& e : entries) e = data(0).value();
        Ipa self = g->ram_base() + kListAt;
        entries[511] = self.value();
        ASSERT_TRUE(g->copy_to_guest(self, entries, sizeof entries));
        expect_refused(register_msg(self.value(), 600 * kPageSize, 1), op::kTeecErrorBadParameters,
                       "a cyclic list");
        ASSERT_EQ(tee::set_quotas(*g, {2, 8}), 0);
    }
    Msg contiguous = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                                 {op::kAttrTmemInput, data(0).value(), kPageSize, 0});
    expect_refused(contiguous, op::kTeecErrorBadParameters, "a contiguous buffer");
    Msg noncontig_rmem = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                                     {op::kAttrRmemInput | op::kAttrNoncontig, 0, 1, 99});
    expect_refused(noncontig_rmem, op::kTeecErrorBadParameters, "NONCONTIG on a registered ref");
    Msg unknown = buffers_msg(optee_model::tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 1, 5});
    expect_refused(unknown, op::kTeecErrorBadParameters, "an unregistered cookie");
    Msg reserved = buffers_msg(optee_model::tas::kBuffersCmdChecksum, {4, 0, 0, 0});
    expect_refused(reserved, op::kTeecErrorBadParameters, "a reserved attribute type");
    Msg unreg;
    unreg.h.cmd = op::kMsgCmdUnregisterShm;
    unreg.h.num_params = 1;
    unreg.p[0] = {op::kAttrRmemInput, 0, 0, 12345};
    expect_refused(unreg, op::kTeecErrorItemNotFound, "unregistering what is not registered");

    // Registered references stay within their registration.
    ASSERT_EQ(register_shm(write_list(good), 2 * kPageSize - 8, 42), op::kTeecSuccess);
    free_before = alloc.free_pages();
    calls_before = model.calls_from(g->tee().client.value);
    auto pinned = g->pinned_pages();
    Msg beyond = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                             {op::kAttrRmemInput, 8, 2 * kPageSize - 8, 42});
    ASSERT_EQ(send(beyond), op::kOk);
    EXPECT_EQ(beyond.h.ret, op::kTeecErrorBadParameters) << "past the registration's end";
    Msg wrap = buffers_msg(optee_model::tas::kBuffersCmdChecksum,
                           {op::kAttrRmemInput, ~uint64_t{0}, 2, 42});
    ASSERT_EQ(send(wrap), op::kOk);
    EXPECT_EQ(wrap.h.ret, op::kTeecErrorBadParameters) << "offs + size wraps";
    EXPECT_EQ(register_shm(write_list(good), kPageSize, 42), op::kTeecErrorBadParameters)
        << "the same cookie twice";
    EXPECT_EQ(g->pinned_pages(), pinned);
    EXPECT_EQ(model.calls_from(g->tee().client.value), calls_before);
}

TEST_F(ShmTest, RegistrationsAreTheGuestsOwn) {
    fill_guest(1);
    ASSERT_EQ(register_shm(write_list({data(0).value()}), kPageSize, 7), op::kTeecSuccess);
    Domain* other = dom[2];
    ASSERT_EQ(tee::enable(*other, abi::kTeeOptee), 0);
    std::swap(g, other);
    Msg m = open_msg(optee_model::tas::kBuffers);
    ASSERT_EQ(send(m), op::kOk);
    buffers = m.h.session;
    Msg steal = buffers_msg(optee_model::tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 16, 7});
    ASSERT_EQ(send(steal), op::kOk);
    EXPECT_EQ(steal.h.ret, op::kTeecErrorBadParameters) << "another guest's cookie";
    EXPECT_EQ(unregister_shm(7), op::kTeecErrorItemNotFound);
    std::swap(g, other);
    EXPECT_EQ(model.registrations_of(g->tee().client.value), 1u);
    EXPECT_EQ(unregister_shm(7), op::kTeecSuccess);
}

TEST_F(ShmTest, QuotaExhaustionIsOutOfMemoryAndARaisedQuotaLetsTheSameCallThrough) {
    ASSERT_EQ(tee::set_quotas(*g, {2, 4}), 0);
    ASSERT_EQ(register_shm(write_list(data_pages(3)), 3 * kPageSize, 1), op::kTeecSuccess);
    Msg more = register_msg(write_list(data_pages(2), 0, 0x4000), 2 * kPageSize, 2);
    ASSERT_EQ(send(more), op::kOk);
    EXPECT_EQ(more.h.ret, op::kTeecErrorOutOfMemory);
    EXPECT_EQ(more.h.ret_origin, op::kOriginComms);
    EXPECT_EQ(tee::set_quotas(*g, {2, 2}), -abi::err::kBusy) << "3 pages are held";
    ASSERT_EQ(tee::set_quotas(*g, {2, 8}), 0);
    Msg again = register_msg(write_list(data_pages(2), 0, 0x4000), 2 * kPageSize, 2);
    ASSERT_EQ(send(again), op::kOk);
    EXPECT_EQ(again.h.ret, op::kTeecSuccess);
    EXPECT_EQ(g->tee().in_use.shm_pages, 5u);
}

TEST_F(ShmTest, DisableReleasesPinsAndRegistrations) {
    ASSERT_EQ(register_shm(write_list(data_pages(3)), 3 * kPageSize, 1), op::kTeecSuccess);
    ASSERT_EQ(tee::disable(*g), 0);
    EXPECT_EQ(g->pinned_pages(), 0u);
    EXPECT_EQ(model.registrations_of(2), 0u);
}

TEST_F(ShmTest, PinsOutliveACallOpteeNeverFinishesAndKeepTheRamOutOfUse) {
    ASSERT_EQ(register_shm(write_list(data_pages(3), 0, 0x4000), 3 * kPageSize, 1),
              op::kTeecSuccess);
    // A secure world that keeps every call suspended in RPCs.
    auto inner = machine.secure_world;
    Pa shadow{}, list{};
    machine.secure_world = [&](const arch::SecureRegs& in) {
        auto fn = static_cast<uint32_t>(in.x[0]);
        if (fn == op::kCallWithArg) {
            shadow = Pa((in.x[1] << 32) | in.x[2]);
            Msg m;
            std::memcpy(&m, machine.host(shadow), sizeof m);
            list = Pa(m.p[0].a & ~(kPageSize - 1));
        }
        if (fn == op::kCallWithArg || fn == op::kReturnFromRpc) {
            return arch::SecureRegs{{op::kRpcFree, 0, 0, 1, 0, 0, 0, 0}};
        }
        return inner(in);
    };
    Msg sum = buffers_msg(
        optee_model::tas::kBuffersCmdChecksum,
        {op::kAttrTmemInput | op::kAttrNoncontig, write_list(data_pages(2)), 2 * kPageSize, 0});
    ASSERT_EQ(send(sum), op::kRpcForeignIntr);
    EXPECT_EQ(g->pinned_pages(), 5u);
    uint64_t free_before = alloc.free_pages();
    uint64_t ram_pages = g->ram_size() / kPageSize;
    domains.destroy(*g);
    EXPECT_NE(machine.console.find("still held by the secure world"), std::string::npos)
        << machine.console;
    EXPECT_LT(alloc.free_pages(), free_before + ram_pages) << "the guest's RAM is not reused";
    EXPECT_EQ(g->pinned_pages(), 5u) << "the stuck call may use the registration too";
    EXPECT_FALSE(alloc.is_free(shadow)) << "OP-TEE may still read the call's shadow";
    EXPECT_FALSE(alloc.is_free(list)) << "and its page list";
}

}  // namespace
}  // namespace warden
