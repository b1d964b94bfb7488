// SPDX-License-Identifier: Apache-2.0
#include "model.h"

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
            return result(op::kOk);
        }
    }
    return echo(op::kENotAvail, in);
}

Regs Model::vm_destroyed(const Regs& in) {
    if (Partition* p = find(static_cast<uint16_t>(in.x[1]))) {
        *p = Partition{};
        --used_;
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
    default:
        return result(op::kEBadCmd);
    }
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
