// SPDX-License-Identifier: Apache-2.0
#include "model.h"

#include "test_tas.h"
#include "warden/optee.h"

namespace warden::optee_model {
namespace {

namespace op = abi::optee;

constexpr uint32_t kCallsCount = 14;
constexpr uint32_t kOsMajor = 4;
constexpr uint32_t kOsMinor = 10;
constexpr uint64_t kBuildHash = 0x6f70'7465'6534'3130;  // a 64-bit build ID, as real OP-TEE
constexpr uint32_t kSecureCaps = op::kCapHaveReservedShm | op::kCapDynamicShm |
                                 op::kCapVirtualization | op::kCapMemrefNull | op::kCapAsyncNotif |
                                 op::kCapRpcArg | op::kCapRpmbProbe;
constexpr uint32_t kMaxNotifValue = 0x42;
constexpr uint32_t kRpcParams = 4;

Regs result(uint64_t a0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
    return Regs{{a0, a1, a2, a3, 0, 0, 0, 0}};
}

// Errors that leave a1..a3 as the caller passed them.
Regs echo(uint32_t code, const Regs& in) {
    return result(code, in.x[1], in.x[2], in.x[3]);
}

}  // namespace

Model::Partition* Model::find(uint16_t guest) {
    for (auto& p : parts_) {
        if (p.used && p.guest == guest) return &p;
    }
    return nullptr;
}

uint32_t Model::partitions_of(uint16_t guest) const {
    uint32_t n = 0;
    for (const auto& p : parts_) n += (p.used && p.guest == guest) ? 1 : 0;
    return n;
}

uint64_t Model::calls_from(uint16_t client) const {
    if (client == op::kHypervisorClientId) return hyp_calls_;
    uint64_t n = 0;
    for (const auto& p : parts_) n += (p.used && p.guest == client) ? p.calls : 0;
    return n;
}

Regs Model::vm_created(const Regs& in) {
    if (used_ >= cfg_.guest_limit) return echo(op::kENotAvail, in);
    for (auto& p : parts_) {
        if (!p.used) {
            // No duplicate check, as in OP-TEE: a live ID gets a second partition.
            p = Partition{true, static_cast<uint16_t>(in.x[1]), 0};
            ++used_;
            return result(op::kOk, in.x[1]);  // x1 echoes the guest ID, as OP-TEE does
        }
    }
    return echo(op::kENotAvail, in);
}

Regs Model::vm_destroyed(const Regs& in) {
    auto guest = static_cast<uint16_t>(in.x[1]);
    if (Partition* p = find(guest)) {
        *p = Partition{};
        --used_;
        if (!find(guest)) {
            for (auto& s : sessions_) {
                if (s.used && s.client == guest) s = Session{};  // the guest's sessions go too
            }
        }
    }
    return result(op::kOk);  // also for unknown or already-destroyed IDs
}

Regs Model::fast_call(const Regs& in, uint16_t client) {
    auto fn = static_cast<uint32_t>(in.x[0]);
    bool from_hyp = client == op::kHypervisorClientId;
    switch (fn) {
    case op::kCallsCount:
        return result(kCallsCount);
    case op::kCallsUid:
        return result(op::kApiUid[0], op::kApiUid[1], op::kApiUid[2], op::kApiUid[3]);
    case op::kCallsRevision:
        return result(op::kApiRevisionMajor, op::kApiRevisionMinor);
    case op::kGetOsUuid:
        return result(op::kOsUuid[0], op::kOsUuid[1], op::kOsUuid[2], op::kOsUuid[3]);
    case op::kGetOsRevision:
        return result(kOsMajor, kOsMinor, kBuildHash);
    case op::kExchangeCapabilities:
        if (in.x[1] & ~uint64_t{op::kNsecCapUniprocessor}) return echo(op::kENotAvail, in);
        return result(op::kOk, kSecureCaps, kMaxNotifValue, kRpcParams);
    case op::kGetThreadCount:
        return result(op::kOk, cfg_.threads);
    case op::kGetShmConfig:
    case op::kDisableShmCache:
        return echo(op::kENotAvail, in);
    case op::kEnableShmCache:
        return result(op::kOk);
    case op::kEnableAsyncNotif:
        return result(op::kOk);
    case op::kGetAsyncNotifValue:
        return result(op::kOk, 0, 0);
    case op::kVmCreated:
        return from_hyp ? vm_created(in) : result(op::kUnknownFunction);
    case op::kVmDestroyed:
        return from_hyp ? vm_destroyed(in) : result(op::kUnknownFunction);
    default:
        return result(op::kUnknownFunction);
    }
}

Regs Model::standard_call(const Regs& in, uint16_t client) {
    if (client == op::kHypervisorClientId || !find(client)) {
        // Undefined a1..a3: whatever the registers last held.
        leftover_ = leftover_ * 6364136223846793005ull + 1442695040888963407ull;
        return result(op::kENotAvail, leftover_, leftover_ >> 7, leftover_ >> 13);
    }
    switch (static_cast<uint32_t>(in.x[0])) {
    case op::kReturnFromRpc:
        return return_from_rpc(in, client);
    case op::kCallWithArg:
        return call_with_arg(in, client);
    default:
        return result(op::kEBadCmd);
    }
}

uint32_t Model::sessions_of(uint16_t client) const {
    uint32_t n = 0;
    for (const auto& s : sessions_) n += (s.used && s.client == client) ? 1 : 0;
    return n;
}

uint32_t Model::suspended_threads_of(uint16_t client) const {
    uint32_t n = 0;
    for (const auto& t : threads_) n += (t.busy && t.client == client) ? 1 : 0;
    return n;
}

uint32_t Model::suspended_threads() const {
    uint32_t n = 0;
    for (const auto& t : threads_) n += t.busy ? 1 : 0;
    return n;
}

namespace {

// The built-in TAs' commands. Returns a TEEC result; origin is the TA's.
uint32_t run_increment(Message& m) {
    if (m.h.num_params < 1 || m.type(0) != op::kAttrValueInout) return op::kTeecErrorBadParameters;
    for (unsigned i = 1; i < m.h.num_params; ++i) {
        if (m.type(i) != op::kAttrNone) return op::kTeecErrorBadParameters;
    }
    m.p[0].a += 1;
    return op::kTeecSuccess;
}

}  // namespace

Regs Model::call_with_arg(const Regs& in, uint16_t client) {
    // OP-TEE takes a thread before it looks at the message.
    const uint32_t threads = cfg_.threads < kMaxThreads ? cfg_.threads : kMaxThreads;
    uint32_t idx = threads;
    for (uint32_t i = 0; i < threads; ++i) {
        if (!threads_[i].busy) {
            idx = i;
            break;
        }
    }
    if (idx == threads) return result(op::kEThreadLimit);
    uint64_t pa = (in.x[1] << 32) | (in.x[2] & 0xffffffffu);
    bool in_secure = pa >= cfg_.secure_base && pa - cfg_.secure_base < cfg_.secure_size;
    Message m{};
    if (!cfg_.memory || (pa & 0xfff) || in_secure || !cfg_.memory->read(pa, &m.h, sizeof m.h)) {
        return result(op::kEBadAddr);
    }
    if (m.h.num_params > kMaxMsgParams) {
        m.fail(op::kTeecErrorBadParameters, op::kOriginComms);
        cfg_.memory->write(pa, &m.h, sizeof m.h);
        return result(op::kOk);
    }
    uint64_t params = sizeof(op::MsgParam) * m.h.num_params;
    if (params && !cfg_.memory->read(pa + sizeof m.h, m.p, params)) return result(op::kEBadAddr);
    m.h.ret = op::kTeecSuccess;
    m.h.ret_origin = op::kOriginTee;
    Thread& t = threads_[idx];
    t = Thread{};
    t.busy = true;
    t.client = client;
    t.arg_pa = pa;
    t.m = m;
    return run(idx);
}

Regs Model::run(uint32_t idx) {
    Thread& t = threads_[idx];
    switch (t.m.h.cmd) {
    case op::kMsgCmdOpenSession: {
        const uint64_t meta_in = op::kAttrMeta | op::kAttrValueInput;
        Message& m = t.m;
        if (m.h.num_params < 2 || m.p[0].attr != meta_in || m.p[1].attr != meta_in) {
            m.fail(op::kTeecErrorBadParameters, op::kOriginTee);
            break;
        }
        if (m.p[0].a != tas::kIncrement.a || m.p[0].b != tas::kIncrement.b) {
            // Not a TA OP-TEE has: ask the normal world for an RPC argument to
            // load it with.
            return suspend(idx, Step::kLoadAlloc, op::kRpcAlloc, op::kRpcArgSize);
        }
        open_session(t);
        break;
    }
    case op::kMsgCmdInvokeCommand:
    case op::kMsgCmdCloseSession: {
        Session* found = nullptr;
        for (auto& s : sessions_) {
            if (s.used && s.client == t.client && s.id == t.m.h.session) found = &s;
        }
        if (!found) {  // another client's session is as unknown as a closed one
            t.m.fail(op::kTeecErrorBadParameters, op::kOriginTee);
            break;
        }
        if (t.m.h.cmd == op::kMsgCmdCloseSession) {
            *found = Session{};
            break;
        }
        switch (t.m.h.func) {
        case tas::kIncrementCmdAddOne:
            t.m.fail(run_increment(t.m), op::kOriginTrustedApp);
            break;
        case tas::kIncrementCmdAddOneAfterInterrupt:
            return suspend(idx, Step::kInterrupted, op::kRpcForeignIntr);
        default:
            t.m.fail(op::kTeecErrorBadParameters, op::kOriginTrustedApp);
            break;
        }
        break;
    }
    default:
        t.m.fail(op::kTeecErrorNotSupported, op::kOriginTee);
        break;
    }
    return finish(idx);
}

void Model::open_session(Thread& t) {
    for (auto& s : sessions_) {
        if (!s.used) {
            s = Session{true, t.client, next_session_++};
            t.m.h.session = s.id;
            return;
        }
    }
    t.m.fail(op::kTeecErrorOutOfMemory, op::kOriginTee);
}

Regs Model::suspend(uint32_t idx, Step step, uint32_t rpc, uint64_t a1, uint64_t a2) {
    threads_[idx].step = step;
    return result(rpc, a1, a2, idx);
}

Regs Model::finish(uint32_t idx) {
    Thread& t = threads_[idx];
    uint64_t params = sizeof(op::MsgParam) * t.m.h.num_params;
    bool ok = cfg_.memory->write(t.arg_pa, &t.m.h, sizeof t.m.h) &&
              (!params || cfg_.memory->write(t.arg_pa + sizeof t.m.h, t.m.p, params));
    t = Thread{};
    return result(ok ? op::kOk : op::kEBadAddr);
}

Regs Model::return_from_rpc(const Regs& in, uint16_t client) {
    auto idx = static_cast<uint32_t>(in.x[3]);
    const uint32_t threads = cfg_.threads < kMaxThreads ? cfg_.threads : kMaxThreads;
    // Only the client whose call suspended the thread may resume it.
    if (idx >= threads || !threads_[idx].busy || threads_[idx].client != client) {
        return result(op::kEResume);
    }
    Thread& t = threads_[idx];
    const uint64_t cookie_hi = t.rpc_cookie >> 32, cookie_lo = t.rpc_cookie & 0xffffffffu;
    switch (t.step) {
    case Step::kLoadAlloc: {
        uint64_t pa = (in.x[1] << 32) | (in.x[2] & 0xffffffffu);
        bool in_secure = pa >= cfg_.secure_base && pa - cfg_.secure_base < cfg_.secure_size;
        Message rpc{};
        rpc.h.cmd = op::kRpcCmdLoadTa;
        rpc.h.num_params = 2;
        rpc.p[0] = {op::kAttrValueInput, t.m.p[0].a, t.m.p[0].b, 0};
        rpc.p[1] = {op::kAttrTmemOutput, 0, 0, 0};  // asks the TA's size first
        const uint64_t bytes = sizeof rpc.h + 2 * sizeof(op::MsgParam);
        if (!pa || in_secure || !cfg_.memory->write(pa, &rpc, bytes)) {
            // No memory for the RPC argument: the TA cannot be loaded.
            t.m.fail(op::kTeecErrorOutOfMemory, op::kOriginTee);
            return finish(idx);
        }
        t.rpc_pa = pa;
        t.rpc_cookie = (in.x[4] << 32) | (in.x[5] & 0xffffffffu);
        return suspend(idx, Step::kLoadCmd, op::kRpcCmd, t.rpc_cookie >> 32,
                       t.rpc_cookie & 0xffffffffu);
    }
    case Step::kLoadCmd: {
        op::MsgArg h{};
        t.load_ret = cfg_.memory->read(t.rpc_pa, &h, sizeof h) ? h.ret : op::kTeecErrorBadFormat;
        return suspend(idx, Step::kLoadFree, op::kRpcFree, cookie_hi, cookie_lo);
    }
    case Step::kLoadFree:
        // The model has no TA binaries to load, whatever LOAD_TA answered.
        t.m.fail(op::kTeecErrorItemNotFound, op::kOriginTee);
        return finish(idx);
    case Step::kInterrupted:
        t.m.fail(run_increment(t.m), op::kOriginTrustedApp);
        return finish(idx);
    }
    return result(op::kEResume);
}

Regs Model::call(const Regs& in) {
    ++total_calls_;
    auto fn = static_cast<uint32_t>(in.x[0]);
    auto client = static_cast<uint16_t>(in.x[7] & 0xffff);
    bool fast = fn & 0x80000000u;
    if (fn & 0x40000000u) return result(op::kUnknownFunction);  // SMC64 forms are not served
    Partition* part = nullptr;
    if (client != op::kHypervisorClientId) {
        part = find(client);
        if (!part) {
            return fast ? echo(op::kENotAvail, in) : standard_call(in, client);
        }
        ++part->calls;
    } else {
        ++hyp_calls_;
    }
    return fast ? fast_call(in, client) : standard_call(in, client);
}

}  // namespace warden::optee_model
