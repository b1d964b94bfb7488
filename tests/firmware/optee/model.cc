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
        return result(op::kEResume);
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

namespace {

struct Message {
    op::MsgArg h;
    op::MsgParam p[kMaxMsgParams];

    uint64_t type(unsigned i) const { return p[i].attr & op::kAttrTypeMask; }
    void fail(uint32_t ret, uint32_t origin) {
        h.ret = ret;
        h.ret_origin = origin;
    }
};

// The built-in TAs' commands. Returns a TEEC result; origin is the TA's.
uint32_t run_increment(Message& m) {
    if (m.h.func != tas::kIncrementCmdAddOne || m.h.num_params < 1 ||
        m.type(0) != op::kAttrValueInout) {
        return op::kTeecErrorBadParameters;
    }
    for (unsigned i = 1; i < m.h.num_params; ++i) {
        if (m.type(i) != op::kAttrNone) return op::kTeecErrorBadParameters;
    }
    m.p[0].a += 1;
    return op::kTeecSuccess;
}

}  // namespace

Regs Model::call_with_arg(const Regs& in, uint16_t client) {
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
    switch (m.h.cmd) {
    case op::kMsgCmdOpenSession: {
        const uint64_t meta_in = op::kAttrMeta | op::kAttrValueInput;
        if (m.h.num_params < 2 || m.p[0].attr != meta_in || m.p[1].attr != meta_in) {
            m.fail(op::kTeecErrorBadParameters, op::kOriginTee);
            break;
        }
        if (m.p[0].a != tas::kIncrement.a || m.p[0].b != tas::kIncrement.b) {
            m.fail(op::kTeecErrorItemNotFound, op::kOriginTee);
            break;
        }
        Session* free_slot = nullptr;
        for (auto& s : sessions_) {
            if (!s.used) {
                free_slot = &s;
                break;
            }
        }
        if (!free_slot) {
            m.fail(op::kTeecErrorOutOfMemory, op::kOriginTee);
            break;
        }
        *free_slot = Session{true, client, next_session_++};
        m.h.session = free_slot->id;
        break;
    }
    case op::kMsgCmdInvokeCommand:
    case op::kMsgCmdCloseSession: {
        Session* found = nullptr;
        for (auto& s : sessions_) {
            if (s.used && s.client == client && s.id == m.h.session) found = &s;
        }
        if (!found) {  // another client's session is as unknown as a closed one
            m.fail(op::kTeecErrorBadParameters, op::kOriginTee);
            break;
        }
        if (m.h.cmd == op::kMsgCmdCloseSession) {
            *found = Session{};
            break;
        }
        uint32_t ret = run_increment(m);
        m.fail(ret, op::kOriginTrustedApp);
        break;
    }
    default:
        m.fail(op::kTeecErrorNotSupported, op::kOriginTee);
        break;
    }
    if (!cfg_.memory->write(pa, &m.h, sizeof m.h) ||
        (params && !cfg_.memory->write(pa + sizeof m.h, m.p, params))) {
        return result(op::kEBadAddr);
    }
    return result(op::kOk);
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
