// SPDX-License-Identifier: Apache-2.0
// The OP-TEE mediator. OP-TEE must be built with virtualization support: every
// call carries a client ID in w7, the hypervisor creates and destroys guests with
// VM_CREATED / VM_DESTROYED, and OP-TEE keeps one partition per guest.
//
// What a guest may do (fast calls only, for now):
//   CALLS_COUNT                 emulated (the calls a guest may make)
//   CALLS_UID, CALLS_REVISION,
//   GET_OS_UUID, GET_OS_REVISION,
//   GET_THREAD_COUNT            forwarded with the guest's client ID
//   EXCHANGE_CAPABILITIES       forwarded, and the answer filtered to what the
//                               mediator supports (never VIRTUALIZATION, never
//                               the reserved shared memory, which is not the guest's)
//   GET_SHM_CONFIG              ENOTAVAIL: there is no static SHM for guests
//   ENABLE/DISABLE_SHM_CACHE    emulated: OP-TEE never caches guest memory
//   yielding calls              ENOTAVAIL: they pass guest memory to OP-TEE and are
//                               not mediated yet; nothing is forwarded
//   VM_CREATED, VM_DESTROYED, BOOT_SECONDARY, L2CC_MUTEX, async notifications,
//   anything else               UNKNOWN_FUNCTION; SMC64 IDs NOT_SUPPORTED (-1, 64-bit)
// A guest's own w7 is ignored: forwarded calls carry its client ID, so it can
// never act as another guest.
#include "warden/optee.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/tee/mediator.h"
#include "warden/errno.h"

namespace warden::tee {
namespace {

namespace op = abi::optee;
using arch::SecureRegs;
using smccc::Result;

// Capabilities a guest may see: what the mediator supports.
constexpr uint32_t kGuestCaps = op::kCapUnregisteredShm | op::kCapDynamicShm | op::kCapMemrefNull;
// Functions a guest can use (answered by CALLS_COUNT).
constexpr uint32_t kGuestCallCount = 11;
constexpr unsigned kMaxClients = kMaxDomains + 1;

struct State {
    uint32_t secure_caps = 0;
    uint32_t threads = 0;
    uint32_t os_major = 0;
    uint32_t os_minor = 0;
    uint32_t observed_limit = 0;  // guests in use when OP-TEE last said ENOTAVAIL
    bool live[kMaxClients] = {};  // client IDs this mediator has created
    uint32_t live_count = 0;
};
State g_state;

SecureRegs call_as_hypervisor(uint32_t fn, uint64_t a1 = 0) {
    SecureRegs r{{fn, a1, 0, 0, 0, 0, 0, op::kHypervisorClientId}};
    arch::secure_call(r);
    return r;
}

Result value32(uint32_t a0, uint32_t a1 = 0, uint32_t a2 = 0, uint32_t a3 = 0) {
    return Result::value(a0, a1, a2, a3);
}

bool probe() {
    g_state = State{};
    SecureRegs uid = call_as_hypervisor(op::kCallsUid);
    for (unsigned i = 0; i < 4; ++i) {
        if (static_cast<uint32_t>(uid.x[i]) != op::kApiUid[i]) return false;
    }
    SecureRegs rev = call_as_hypervisor(op::kCallsRevision);
    if (static_cast<uint32_t>(rev.x[0]) != op::kApiRevisionMajor) {
        WARDEN_LOG_INFO("tee: OP-TEE API %u.%u not supported", static_cast<uint32_t>(rev.x[0]),
                        static_cast<uint32_t>(rev.x[1]));
        return false;
    }
    SecureRegs caps = call_as_hypervisor(op::kExchangeCapabilities, 0);
    if (static_cast<uint32_t>(caps.x[0]) != op::kOk) return false;
    auto secure_caps = static_cast<uint32_t>(caps.x[1]);
    if (!(secure_caps & op::kCapVirtualization)) {
        WARDEN_LOG_INFO("tee: OP-TEE found, but built without virtualization: not mediated");
        return false;
    }
    g_state.secure_caps = secure_caps;
    SecureRegs threads = call_as_hypervisor(op::kGetThreadCount);
    g_state.threads =
        static_cast<uint32_t>(threads.x[0]) == op::kOk ? static_cast<uint32_t>(threads.x[1]) : 0;
    // The secure world's own cost for a fast call, as a yardstick for what
    // mediation adds (under QEMU -icount, counter ticks are instructions).
    constexpr unsigned kRounds = 8;
    uint64_t t0 = arch::counter();
    SecureRegs os{};
    for (unsigned i = 0; i < kRounds; ++i) os = call_as_hypervisor(op::kGetOsRevision);
    uint64_t per_call = (arch::counter() - t0) / kRounds;
    g_state.os_major = static_cast<uint32_t>(os.x[0]);
    g_state.os_minor = static_cast<uint32_t>(os.x[1]);
    WARDEN_LOG_INFO(
        "tee: OP-TEE %u.%u, capabilities 0x%x, %u threads, fast call from EL2: %lu "
        "ticks",
        static_cast<uint32_t>(os.x[0]), static_cast<uint32_t>(os.x[1]), secure_caps,
        g_state.threads, per_call);
    return true;
}

uint16_t client_id_of(const Domain& d) {
    return static_cast<uint16_t>(d.id().value + 1);
}

int domain_create(Domain& d, DomainTee& state) {
    uint16_t client = client_id_of(d);
    if (client >= kMaxClients) return -abi::err::kInval;
    // OP-TEE does not check for duplicates: creating a live ID twice would give
    // one guest two partitions. The hypervisor never does.
    if (g_state.live[client]) return -abi::err::kExist;
    SecureRegs r = call_as_hypervisor(op::kVmCreated, client);
    switch (static_cast<uint32_t>(r.x[0])) {
    case op::kOk:
        break;
    case op::kENotAvail:
        g_state.observed_limit = g_state.live_count;
        WARDEN_LOG_WARN("tee: OP-TEE has no room for d%u (client ID %u): %u guest(s) in use",
                        d.id().value, client, g_state.live_count);
        return -abi::err::kNoSpc;
    default:
        WARDEN_LOG_ERROR("tee: VM_CREATED for client %u failed: 0x%lx", client, r.x[0]);
        return -abi::err::kIo;
    }
    g_state.live[client] = true;
    ++g_state.live_count;
    state.client = ClientId{client};
    return 0;
}

void domain_destroy(Domain& d, DomainTee& state) {
    uint16_t client = state.client.value;
    SecureRegs r = call_as_hypervisor(op::kVmDestroyed, client);
    if (static_cast<uint32_t>(r.x[0]) != op::kOk) {
        // OP-TEE answers OK even for unknown IDs; anything else is worth a log,
        // but the ID is released either way: the guest is gone.
        WARDEN_LOG_ERROR("tee: VM_DESTROYED for client %u (d%u) returned 0x%lx", client,
                         d.id().value, r.x[0]);
    }
    if (client < kMaxClients && g_state.live[client]) {
        g_state.live[client] = false;
        --g_state.live_count;
    }
}

// Forwards a fast call and returns the first `results` registers the call defines;
// the others are zeroed, so whatever the secure world left there never reaches
// the guest. Fast calls return 32-bit values, except the OS revision's build ID.
Result forward(DomainTee& state, const smccc::Call& call, unsigned results) {
    // a1..a6 as the guest gave them; w7 is always the guest's client ID.
    uint64_t out[4];
    arch::secure_forward(call.x, state.client.value, out);
    ++state.calls_forwarded;
    Result r;
    r.full_width = true;
    r.x[0] = out[0] & 0xffffffffu;
    r.x[1] = results > 1 ? out[1] & 0xffffffffu : 0;
    r.x[2] = results > 2 ? out[2] & 0xffffffffu : 0;
    r.x[3] = results > 3 ? out[3] & 0xffffffffu : 0;
    if (call.id == op::kGetOsRevision) r.x[2] = out[2];
    return r;
}

Result refuse(DomainTee& state, uint32_t code) {
    ++state.calls_refused;
    return value32(code);
}

Result exchange_capabilities(DomainTee& state, const smccc::Call& call) {
    if (call.arg(1) & ~uint64_t{op::kNsecCapUniprocessor}) {
        return refuse(state, op::kENotAvail);  // what OP-TEE says to unknown bits
    }
    Result r = forward(state, call, 4);
    if (static_cast<uint32_t>(r.x[0]) != op::kOk) {
        r.x[1] = r.x[2] = r.x[3] = 0;
        return r;
    }
    r.x[1] &= kGuestCaps;
    // x2/x3 describe async notifications and RPC arguments, both filtered out.
    r.x[2] = 0;
    r.x[3] = 0;
    return r;
}

Result fast_call(DomainTee& state, const smccc::Call& call) {
    // OP-TEE's fast calls are 0xB2000000 | n: one jump table on n.
    switch (call.id) {
    case op::kGetOsUuid:
        return forward(state, call, 4);
    case op::kGetOsRevision:
        return forward(state, call, 3);
    case op::kGetThreadCount:
        return forward(state, call, 2);
    case op::kExchangeCapabilities:
        return exchange_capabilities(state, call);
    case op::kGetShmConfig:
        return refuse(state, op::kENotAvail);
    case op::kEnableShmCache:
        return value32(op::kOk);
    case op::kDisableShmCache:
        return value32(op::kENotAvail);  // the cache is empty: nothing to hand back
    default:
        // VM_CREATED/VM_DESTROYED/BOOT_SECONDARY/L2CC, async notifications, unknown.
        return refuse(state, op::kUnknownFunction);
    }
}

Result handle_call(Vcpu&, DomainTee& state, const smccc::Call& call, smccc::Conduit) {
    if ((call.id & 0xffffff00u) == 0xb2000000u) return fast_call(state, call);
    if (call.smc64()) {
        // OP-TEE serves no SMC64 IDs; SMCCC's UNKNOWN is -1 at full width.
        ++state.calls_refused;
        return Result::not_supported();
    }
    switch (call.id) {
    case op::kCallsCount:
        return value32(kGuestCallCount);  // emulated: neither forwarded nor refused
    case op::kCallsUid:
        return forward(state, call, 4);
    case op::kCallsRevision:
        return forward(state, call, 2);
    case op::kReturnFromRpc:
    case op::kCallWithArg:
    case op::kCallWithRpcArg:
    case op::kCallWithRegdArg:
        return refuse(state, op::kENotAvail);
    default:
        return refuse(state, op::kUnknownFunction);
    }
}

uint32_t guest_limit() {
    return g_state.observed_limit;
}

void describe(uint32_t& os_major, uint32_t& os_minor, uint32_t& threads) {
    os_major = g_state.os_major;
    os_minor = g_state.os_minor;
    threads = g_state.threads;
}

const Mediator kOptee = {
    .name = "OP-TEE",
    .type = abi::kTeeOptee,
    .probe = probe,
    .domain_create = domain_create,
    .domain_destroy = domain_destroy,
    .handle_call = handle_call,
    .guest_limit = guest_limit,
    .describe = describe,
};
WARDEN_REGISTER_TEE_MEDIATOR(kOptee);

}  // namespace
}  // namespace warden::tee
