// SPDX-License-Identifier: Apache-2.0
// The OP-TEE model on its own: the RPC sequences and thread rules real OP-TEE
// follows (facts recorded in docs/optee-model.md), which the mediator is tested
// against everywhere else.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "firmware/optee/model.h"
#include "firmware/optee/test_tas.h"
#include "warden/optee.h"

namespace warden {
namespace {

namespace op = abi::optee;
namespace tas = optee_model::tas;
using optee_model::Regs;

// A few pages of normal-world memory at 0x40000000.
class Ram final : public optee_model::Memory {
public:
    static constexpr uint64_t kBase = 0x40000000;
    std::vector<uint8_t> bytes = std::vector<uint8_t>(4 * 4096);
    bool read(uint64_t pa, void* dst, uint64_t size) override {
        if (!inside(pa, size)) return false;
        std::memcpy(dst, &bytes[pa - kBase], size);
        return true;
    }
    bool write(uint64_t pa, const void* src, uint64_t size) override {
        if (!inside(pa, size)) return false;
        std::memcpy(&bytes[pa - kBase], src, size);
        return true;
    }
    bool inside(uint64_t pa, uint64_t size) const {
        return pa >= kBase && pa - kBase <= bytes.size() && size <= bytes.size() - (pa - kBase);
    }
    template <typename T>
    T* at(uint64_t pa) {
        return reinterpret_cast<T*>(&bytes[pa - kBase]);
    }
};

class OpteeModelTest : public ::testing::Test {
protected:
    static constexpr uint16_t kClient = 5;
    static constexpr uint64_t kArg = Ram::kBase;
    static constexpr uint64_t kRpcArg = Ram::kBase + 0x2000;
    Ram ram;
    optee_model::Model model;

    void SetUp() override {
        optee_model::Config cfg;
        cfg.threads = 2;
        cfg.memory = &ram;
        model = optee_model::Model(cfg);
        ASSERT_EQ(hyp(op::kVmCreated, kClient).x[0], op::kOk);
    }
    Regs hyp(uint32_t fn, uint64_t a1) { return model.call(Regs{{fn, a1, 0, 0, 0, 0, 0, 0}}); }
    Regs call_with_arg(uint16_t client = kClient, uint64_t pa = kArg) {
        return model.call(Regs{{op::kCallWithArg, pa >> 32, pa & 0xffffffff, 0, 0, 0, 0, client}});
    }
    Regs resume(uint64_t thread, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a4 = 0, uint64_t a5 = 0,
                uint16_t client = kClient) {
        return model.call(Regs{{op::kReturnFromRpc, a1, a2, thread, a4, a5, 0, client}});
    }
    op::MsgArg& header(uint64_t pa = kArg) { return *ram.at<op::MsgArg>(pa); }
    op::MsgParam* params(uint64_t pa = kArg) {
        return ram.at<op::MsgParam>(pa + sizeof(op::MsgArg));
    }
    void write_open(tas::Uuid uuid, uint64_t pa = kArg) {
        header(pa) = op::MsgArg{};
        header(pa).cmd = op::kMsgCmdOpenSession;
        header(pa).num_params = 2;
        params(pa)[0] = {op::kAttrMeta | op::kAttrValueInput, uuid.a, uuid.b, 0};
        params(pa)[1] = {op::kAttrMeta | op::kAttrValueInput, 0, 0, op::kLoginPublic};
    }
    uint32_t open(uint64_t pa = kArg) {
        write_open(tas::kIncrement, pa);
        EXPECT_EQ(call_with_arg(kClient, pa).x[0], op::kOk);
        EXPECT_EQ(header(pa).ret, op::kTeecSuccess);
        return header(pa).session;
    }
    void write_invoke(uint32_t session, uint32_t func, uint64_t value, uint64_t pa = kArg) {
        header(pa) = op::MsgArg{};
        header(pa).cmd = op::kMsgCmdInvokeCommand;
        header(pa).func = func;
        header(pa).session = session;
        header(pa).num_params = 1;
        params(pa)[0] = {op::kAttrValueInout, value, 0, 0};
    }
};

TEST_F(OpteeModelTest, TheDeviceEnumerationPseudoTaListsNothing) {
    // Linux's driver opens it at probe and again when tee-supplicant starts:
    // OP-TEE has it built in (no RPC), and with no TEE-bus devices both of its
    // commands answer success with an empty list.
    write_open(tas::kDeviceEnum);
    ASSERT_EQ(call_with_arg().x[0], op::kOk) << "no RPC: a pseudo-TA needs no loading";
    ASSERT_EQ(header().ret, op::kTeecSuccess);
    const uint32_t session = header().session;
    for (uint32_t cmd : {tas::kDeviceEnumCmdGetDevices, tas::kDeviceEnumCmdGetDevicesSupp}) {
        header() = op::MsgArg{};
        header().cmd = op::kMsgCmdInvokeCommand;
        header().func = cmd;
        header().session = session;
        header().num_params = 4;  // as Linux sends them: a null output buffer, then none
        params()[0] = {op::kAttrTmemOutput, 0, 0, 0};
        for (int i = 1; i < 4; ++i) params()[i] = {op::kAttrNone, 0, 0, 0};
        ASSERT_EQ(call_with_arg().x[0], op::kOk);
        EXPECT_EQ(header().ret, op::kTeecSuccess) << "command " << cmd;
        EXPECT_EQ(params()[0].b, 0u) << "nothing to enumerate";
    }
    header().func = 7;
    ASSERT_EQ(call_with_arg().x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecErrorNotSupported);
    EXPECT_EQ(model.suspended_threads(), 0u);
}

TEST_F(OpteeModelTest, ATaIgnoresTheUnusedParametersAClientAlwaysSends) {
    // libteec sends four parameters whatever a command uses.
    const uint32_t session = open();
    write_invoke(session, tas::kIncrementCmdAddOne, 41);
    header().num_params = 4;
    for (int i = 1; i < 4; ++i) params()[i] = {op::kAttrNone, 0, 0, 0};
    ASSERT_EQ(call_with_arg().x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecSuccess);
    EXPECT_EQ(params()[0].a, 42u);
    write_invoke(session, tas::kIncrementCmdAddOne, 41);
    header().num_params = 2;
    params()[1] = {op::kAttrValueInput, 1, 2, 3};  // used where the TA expects none
    ASSERT_EQ(call_with_arg().x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecErrorBadParameters);
    // More than a TA's four, even if unused: refused before the TA, as OP-TEE does.
    write_invoke(session, tas::kIncrementCmdAddOne, 41);
    header().num_params = 5;
    for (int i = 1; i < 5; ++i) params()[i] = {op::kAttrNone, 0, 0, 0};
    ASSERT_EQ(call_with_arg().x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecErrorBadParameters);
    EXPECT_EQ(header().ret_origin, op::kOriginTee);
    EXPECT_EQ(params()[0].a, 41u) << "the TA never ran";
}

TEST_F(OpteeModelTest, AnUnknownTaIsLoadedThroughRpcsAsOpteeDoes) {
    write_open(tas::kNotInstalled);
    Regs r = call_with_arg();
    ASSERT_EQ(r.x[0], op::kRpcAlloc) << "first the RPC argument";
    EXPECT_EQ(r.x[1], op::kRpcArgSize);
    const uint64_t thread = r.x[3];
    EXPECT_EQ(model.suspended_threads_of(kClient), 1u);

    const uint64_t cookie = 0xc00c1e'0000'0042;
    r = resume(thread, kRpcArg >> 32, kRpcArg & 0xffffffff, cookie >> 32, cookie & 0xffffffff);
    ASSERT_EQ(r.x[0], op::kRpcCmd) << "then LOAD_TA in that argument";
    EXPECT_EQ((r.x[1] << 32) | r.x[2], cookie);
    EXPECT_EQ(r.x[3], thread);
    EXPECT_EQ(header(kRpcArg).cmd, op::kRpcCmdLoadTa);
    ASSERT_EQ(header(kRpcArg).num_params, 2u);
    EXPECT_EQ(params(kRpcArg)[0].a, tas::kNotInstalled.a);
    EXPECT_EQ(params(kRpcArg)[0].b, tas::kNotInstalled.b);
    EXPECT_EQ(params(kRpcArg)[1].attr, op::kAttrTmemOutput);

    header(kRpcArg).ret = op::kTeecErrorItemNotFound;  // what the supplicant says
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kRpcFree) << "then the argument is freed";
    EXPECT_EQ((r.x[1] << 32) | r.x[2], cookie);

    r = resume(thread);
    EXPECT_EQ(r.x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecErrorItemNotFound);
    EXPECT_EQ(header().ret_origin, op::kOriginTee);
    EXPECT_EQ(model.suspended_threads(), 0u);
    EXPECT_EQ(resume(thread).x[0], op::kEResume) << "the call is over";
}

TEST_F(OpteeModelTest, ATaTheNormalWorldSuppliesIsLoadedIntoABufferItAllocates) {
    std::vector<uint64_t> store(64);
    optee_model::Config cfg;
    cfg.memory = &ram;
    cfg.page_store = store.data();
    cfg.page_store_size = 64;
    model = optee_model::Model(cfg);
    ASSERT_EQ(hyp(op::kVmCreated, kClient).x[0], op::kOk);
    write_open(tas::kLoadable);
    Regs r = call_with_arg();
    ASSERT_EQ(r.x[0], op::kRpcAlloc);
    const uint64_t thread = r.x[3];
    r = resume(thread, kRpcArg >> 32, kRpcArg & 0xffffffff, 0, 9);
    ASSERT_EQ(r.x[0], op::kRpcCmd);
    ASSERT_EQ(header(kRpcArg).cmd, op::kRpcCmdLoadTa);
    header(kRpcArg).ret = op::kTeecSuccess;
    params(kRpcArg)[1].b = sizeof(tas::TaImage);  // the supplicant: the TA's size
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kRpcCmd);
    ASSERT_EQ(header(kRpcArg).cmd, op::kRpcCmdShmAlloc);
    EXPECT_EQ(params(kRpcArg)[0].attr, op::kAttrValueInput);
    EXPECT_EQ(params(kRpcArg)[0].b, sizeof(tas::TaImage));
    // A one-page buffer at the third page, listed in the fourth.
    const uint64_t list = Ram::kBase + 0x3000, page = Ram::kBase + 0x1000;
    *ram.at<uint64_t>(list) = page;
    params(kRpcArg)[0] = {op::kAttrTmemOutput | op::kAttrNoncontig, list | 0x40, 0x100, 0xabc};
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kRpcCmd);
    ASSERT_EQ(header(kRpcArg).cmd, op::kRpcCmdLoadTa);
    EXPECT_EQ(params(kRpcArg)[1].attr, op::kAttrRmemOutput) << "the buffer, by its cookie";
    EXPECT_EQ(params(kRpcArg)[1].a, 0u) << "from its start (page + 0x40)";
    EXPECT_EQ(params(kRpcArg)[1].c, 0xabcu);
    *ram.at<tas::TaImage>(page + 0x40) = {tas::kTaImageMagic, tas::kLoadable.a, tas::kLoadable.b};
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kRpcCmd);
    ASSERT_EQ(header(kRpcArg).cmd, op::kRpcCmdShmFree);
    EXPECT_EQ(params(kRpcArg)[0].b, 0xabcu);
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kRpcFree);
    r = resume(thread);
    ASSERT_EQ(r.x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecSuccess) << "the TA loaded";
    EXPECT_EQ(model.sessions_of(kClient), 1u);
}

TEST_F(OpteeModelTest, NoBufferForTheRpcArgumentIsOutOfMemory) {
    write_open(tas::kNotInstalled);
    Regs r = call_with_arg();
    ASSERT_EQ(r.x[0], op::kRpcAlloc);
    r = resume(r.x[3]);  // a1/a2 = 0: no buffer
    EXPECT_EQ(r.x[0], op::kOk);
    EXPECT_EQ(header().ret, op::kTeecErrorOutOfMemory);
    EXPECT_EQ(header().ret_origin, op::kOriginTee);
    EXPECT_EQ(model.suspended_threads(), 0u);
}

TEST_F(OpteeModelTest, ThreadsRunOutAndOnlyTheirClientResumesThem) {
    uint32_t s = open();
    const uint64_t second = kArg + 0x1000;
    write_invoke(s, tas::kIncrementCmdAddOneAfterInterrupt, 41);
    Regs r1 = call_with_arg();
    ASSERT_EQ(r1.x[0], op::kRpcForeignIntr);
    write_invoke(s, tas::kIncrementCmdAddOneAfterInterrupt, 7, second);
    Regs r2 = call_with_arg(kClient, second);
    ASSERT_EQ(r2.x[0], op::kRpcForeignIntr);
    EXPECT_NE(r1.x[3], r2.x[3]);
    EXPECT_EQ(call_with_arg().x[0], op::kEThreadLimit) << "both threads are suspended";

    ASSERT_EQ(hyp(op::kVmCreated, kClient + 1).x[0], op::kOk);
    EXPECT_EQ(resume(r1.x[3], 0, 0, 0, 0, kClient + 1).x[0], op::kEResume)
        << "another client cannot resume the thread";
    EXPECT_EQ(resume(7).x[0], op::kEResume) << "no such thread";

    EXPECT_EQ(resume(r1.x[3]).x[0], op::kOk);
    EXPECT_EQ(params()[0].a, 42u);
    EXPECT_EQ(resume(r2.x[3]).x[0], op::kOk);
    EXPECT_EQ(params(second)[0].a, 8u);
    EXPECT_EQ(model.suspended_threads(), 0u);
}

TEST_F(OpteeModelTest, VmDestroyedLeavesSuspendedThreadsSuspended) {
    uint32_t s = open();
    write_invoke(s, tas::kIncrementCmdAddOneAfterInterrupt, 1);
    ASSERT_EQ(call_with_arg().x[0], op::kRpcForeignIntr);
    ASSERT_EQ(hyp(op::kVmDestroyed, kClient).x[0], op::kOk);
    EXPECT_EQ(model.suspended_threads(), 1u) << "a hypervisor must finish calls before";
}

}  // namespace
}  // namespace warden
