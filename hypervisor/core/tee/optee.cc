// SPDX-License-Identifier: Apache-2.0
// The OP-TEE mediator. OP-TEE must be built with virtualization support: every
// call carries a client ID in w7, the hypervisor creates and destroys guests with
// VM_CREATED / VM_DESTROYED, and OP-TEE keeps one partition per guest.
//
// What a guest may do:
//   CALLS_COUNT                 emulated (the calls a guest may make)
//   CALLS_UID, CALLS_REVISION,
//   GET_OS_UUID, GET_OS_REVISION,
//   GET_THREAD_COUNT            forwarded with the guest's client ID
//   EXCHANGE_CAPABILITIES       forwarded, and the answer filtered to what the
//                               mediator supports (never VIRTUALIZATION, never
//                               the reserved shared memory, which is not the guest's)
//   GET_SHM_CONFIG              ENOTAVAIL: there is no static SHM for guests
//   ENABLE/DISABLE_SHM_CACHE    emulated: OP-TEE never caches guest memory
//   CALL_WITH_ARG               the message is copied from the guest into a shadow
//                               page the hypervisor owns, checked, and forwarded
//                               with the shadow's address: OP-TEE never sees guest
//                               memory, and the guest cannot change the message
//                               after the check. Only output fields go back.
//                               OPEN_SESSION, INVOKE_COMMAND, CLOSE_SESSION,
//                               CANCEL, REGISTER_SHM and UNREGISTER_SHM; value
//                               parameters, null memory references, temporary
//                               memory references with non-contiguous page
//                               lists (translated: see "Guest page lists"),
//                               registered memory references checked against
//                               the guest's own registrations. Contiguous
//                               temporary references are refused (BAD_PARAMETERS,
//                               origin COMMS). Open sessions and shared pages
//                               count against the guest's quotas.
//                               A call OP-TEE suspends in an RPC is tracked by
//                               its OP-TEE thread, per guest (see "Calls in
//                               flight" below).
//   RETURN_FROM_RPC             resumes one of the guest's own suspended calls;
//                               ERESUME for any other thread, as OP-TEE answers
//   other yielding calls        ENOTAVAIL
//   VM_CREATED, VM_DESTROYED, BOOT_SECONDARY, L2CC_MUTEX, async notifications,
//   anything else               UNKNOWN_FUNCTION; SMC64 IDs NOT_SUPPORTED (-1, 64-bit)
// A guest's own w7 is ignored: forwarded calls carry its client ID, so it can
// never act as another guest.
#include "warden/optee.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/log.h"
#include "core/phys.h"
#include "core/tee/mediator.h"
#include "core/tee/tee.h"
#include "warden/errno.h"

namespace warden::tee {
namespace {

namespace op = abi::optee;
using arch::SecureRegs;
using smccc::Result;

// Capabilities a guest may see: what the mediator supports.
constexpr uint32_t kGuestCaps = op::kCapUnregisteredShm | op::kCapDynamicShm | op::kCapMemrefNull;
// Functions a guest can use (answered by CALLS_COUNT).
constexpr uint32_t kGuestCallCount = 13;
constexpr unsigned kMaxClients = kMaxDomains + 1;
// Parameters a message may carry: OP-TEE's four TA parameters and two META.
constexpr uint32_t kMaxParams = 6;

// ---- Calls in flight ----
// OP-TEE may suspend a yielding call to ask the normal world for something (an
// RPC: a0 = the request, a3 = the OP-TEE thread). OP-TEE's threads are shared by
// every guest, so a suspended call must never be left behind:
//  - ALLOC (the RPC argument OP-TEE writes its requests into) goes to the
//    guest, which names a buffer of its RAM and a cookie; OP-TEE gets a shadow
//    page of the hypervisor's instead, with the guest's cookie. CMD goes to the
//    guest as a copy of the shadow in its buffer (memory references turned
//    back into the guest's addresses), and only the results come back: ret,
//    output values and sizes; SHM_ALLOC's answer (a non-contiguous buffer) is
//    translated and pinned like any page list, and SHM_FREE unpins it. FREE
//    goes to the guest and the shadow goes back. OP-TEE never sees guest
//    memory it was not given through a translated list, and never an address
//    the guest can change under it.
//  - FOREIGN_INTR goes to the guest (it has an interrupt to take); so does any
//    call still running after kRoundsPerTrap RPCs (bounded work per trap),
//    disguised as FOREIGN_INTR. The guest resumes it with RETURN_FROM_RPC.
//  - An RPC the mediator does not hand on (a second ALLOC, an unknown cookie,
//    an unknown request) is answered by the mediator: ALLOC with no buffer,
//    CMD with TEEC_ERROR_GENERIC in the shadow, the rest by returning.
//  - A call waiting for its guest is recorded with its thread in the guest's own
//    table: a guest can resume only its own calls, each once per request.
//  - A guest holds at most its share of OP-TEE's threads at once: the threads
//    divided among the guests registered, and never all of them (when OP-TEE
//    has more than one). Past it the mediator answers ETHREAD_LIMIT, as OP-TEE
//    does; calls already held are not taken away when another guest arrives.
//  - Disable and destroy finish every call the guest left suspended before
//    VM_DESTROYED, answering its RPCs as above.
constexpr unsigned kMaxCalls = 8;           // per guest
constexpr unsigned kRoundsPerTrap = 16;     // RPCs answered in one guest call
constexpr unsigned kRoundsToFinish = 1024;  // at teardown, per call

// ---- Guest page lists ----
// A non-contiguous memory reference names its pages through a chain of list
// pages in the guest's memory (511 page addresses, then the next list page).
// The mediator never hands OP-TEE a guest's list: it reads each list page once
// into a page of its own, requires every page named to be the guest's own RAM
// (page-aligned, inside its RAM; a TEE guest's RAM is one linearly mapped
// block, so translation is a bounds check and an offset), and gives OP-TEE its
// own chain of physical addresses. Lists are read only as far as the buffer's
// size needs, and a list page met twice is refused, so cyclic or overlong
// lists cost nothing. The pages named stay pinned while OP-TEE may use them:
// for the call (temporary references) or until UNREGISTER_SHM (registrations).
constexpr unsigned kListEntries = 511;
constexpr unsigned kMaxListPages = (abi::kTeeMaxShmPages + kListEntries - 1) / kListEntries + 1;
constexpr unsigned kMaxShm = 32;    // registrations per guest
constexpr unsigned kMaxRpcShm = 8;  // buffers given to OP-TEE through RPC SHM_ALLOC
constexpr unsigned kMaxRpcParams = 4;
constexpr uint32_t kTranslatePerTrap = 1024;  // pages
// Not a TEEC result: a translation goes on in a next trap.
constexpr uint32_t kMore = 1;
// Where a call's shadow page keeps the guest list pages a translation has met
// (after the message, which OP-TEE reads; nothing else of the page is read).
constexpr uint64_t kSeenOffset = 2048;
static_assert(kSeenOffset + sizeof(Ipa) * kMaxListPages <= kPageSize);
// The "thread" a call being translated is suspended in, as the guest sees it.
constexpr uint32_t kTranslatingThread = 0x80000000;

struct PageList {
    Pa head{};                // the first of the hypervisor's list pages
    uint32_t pages = 0;       // guest pages named (counted against the quota)
    uint32_t pinned = 0;      // of those, pinned (all of them once translated)
    uint32_t list_pages = 0;  // hypervisor pages in the chain
    uint32_t written = 0;     // entries written into them (cleared again when freed)
};

// Where a translation stands between two traps (a long list is translated
// kTranslatePerTrap pages at a time; the guest resumes it as it resumes calls
// OP-TEE suspends).
struct Walk {
    Ipa list{};         // the guest's next list page
    uint32_t done = 0;  // entries translated so far
    Pa tail{};          // the hypervisor's last list page
};

// A buffer the guest gave OP-TEE for an RPC (SHM_ALLOC): pinned until SHM_FREE.
struct RpcShm {
    bool used = false;
    uint64_t cookie = 0;
    uint32_t pages = 0;
};

// A registration (REGISTER_SHM that OP-TEE accepted): its pages stay pinned.
struct Shm {
    bool used = false;
    uint64_t cookie = 0;
    uint64_t size = 0;
    uint32_t pages = 0;
};

// Small fields first, together: a guest's context holds eight of these in a page.
struct Call {
    bool busy = false;             // a message of the guest's is in OP-TEE
    bool with_guest = false;       // suspended: the guest resumes it
    bool translating = false;      // its memory references are not all translated yet
    uint8_t walk_param = 0;        // the parameter being translated
    bool disguised = false;        // the guest sees FOREIGN_INTR; the mediator answers
    bool rpc_translating = false;  // an SHM_ALLOC answer's list is being translated
    bool temps = false;            // temp[] may hold pages (release_temps looks only then)
    uint32_t thread = 0;           // OP-TEE's thread, while suspended
    uint32_t rpc = 0;              // the request it is suspended in
    uint32_t rpc_size = 0;         // the RPC argument's size (RPC_ALLOC)
    Pa shadow{};                   // this slot's page for OP-TEE (kept while the guest lives)
    Ipa arg{};                     // the guest's message
    op::MsgArg h{};                // its header, as checked
    uint64_t cookie = 0;           // REGISTER/UNREGISTER_SHM: the registration's
    uint64_t reg_size = 0;         // REGISTER_SHM: its size
    PageList temp[kMaxParams]{};   // translated temporary memory references
    // Where a translation stands: the call's own references before OP-TEE has
    // it, then an SHM_ALLOC answer while it is suspended (rpc_translating).
    Walk walk{};
    // The RPC request it is suspended in: a1/a2 as OP-TEE gave them.
    uint64_t rpc_a1 = 0, rpc_a2 = 0;
    // The RPC argument (RPC_ALLOC): the guest's buffer, its cookie, and the
    // shadow OP-TEE uses instead.
    Ipa rpc_ipa{};
    uint64_t rpc_cookie = 0;
    Pa rpc_shadow{};
    PageList rpc_list{};        // SHM_ALLOC's translated list, until OP-TEE has read it
    op::MsgParam rpc_answer{};  // SHM_ALLOC's answer, as first read from the guest
};

// The mediator's context for one guest (DomainTee::context points here): a page
// of its own, taken by domain_create and given back by domain_destroy.
struct Guest {
    Pa page{};  // where this context lives
    Call calls[kMaxCalls];
    Shm shm[kMaxShm];
    RpcShm rpc_shm[kMaxRpcShm];
    uint32_t quota_warnings = 0;  // shared memory refused for the quota, logged
};
static_assert(sizeof(Guest) <= kPageSize);
// A guest that keeps asking past its quota is told about only this many times.
constexpr uint32_t kQuotaWarnings = 4;

struct State {
    uint32_t secure_caps = 0;
    uint32_t threads = 0;
    uint32_t call_cap = 1;  // calls one guest may hold, with no other guest
    uint32_t os_major = 0;
    uint32_t os_minor = 0;
    uint32_t observed_limit = 0;  // guests in use when OP-TEE last said ENOTAVAIL
    bool live[kMaxClients]{};     // by client ID: VM_CREATED done, VM_DESTROYED not yet
    uint32_t live_count = 0;
};
State g_state;

Guest& guest_of(DomainTee& state) {
    return *static_cast<Guest*>(state.context);
}

SecureRegs call_as_hypervisor(uint32_t fn, uint64_t a1 = 0) {
    SecureRegs r{{fn, a1, 0, 0, 0, 0, 0, op::kHypervisorClientId}};
    arch::secure_call(r);
    return r;
}

// A 64-bit value the SMC ABI passes as two 32-bit halves (addresses, cookies).
uint64_t join64(uint64_t hi, uint64_t lo) {
    return (hi << 32) | (lo & 0xffffffffu);
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
    g_state.call_cap = g_state.threads > 1 ? g_state.threads - 1 : 1;
    if (g_state.call_cap > kMaxCalls) g_state.call_cap = kMaxCalls;
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
    auto context = pages().alloc_page();
    if (!context) return -abi::err::kNoMem;
    SecureRegs r = call_as_hypervisor(op::kVmCreated, client);
    switch (static_cast<uint32_t>(r.x[0])) {
    case op::kOk:
        break;
    case op::kENotAvail:
        pages().free_page(*context);
        g_state.observed_limit = g_state.live_count;
        WARDEN_LOG_WARN("tee: OP-TEE has no room for d%u (client ID %u): %u guest(s) in use",
                        d.id().value, client, g_state.live_count);
        return -abi::err::kNoSpc;
    default:
        pages().free_page(*context);
        WARDEN_LOG_ERROR("tee: VM_CREATED for client %u failed: 0x%lx", client, r.x[0]);
        return -abi::err::kIo;
    }
    g_state.live[client] = true;
    ++g_state.live_count;
    // The yardstick for what mediating this guest's fast calls adds: the same call
    // from EL2 with its own client ID (OP-TEE switches to the guest's partition,
    // which a7 = 0 skips). Under QEMU -icount, counter ticks are instructions.
    uint64_t best = ~uint64_t{0}, total = 0;
    constexpr unsigned kRounds = 8;
    for (unsigned i = 0; i < kRounds; ++i) {
        SecureRegs rev{{op::kGetOsRevision, 0, 0, 0, 0, 0, 0, client}};
        uint64_t t0 = arch::counter();
        arch::secure_call(rev);
        uint64_t t = arch::counter() - t0;
        total += t;
        if (t < best) best = t;
    }
    WARDEN_LOG_INFO("tee: d%u (client ID %u): fast call from EL2 as the guest: %lu ticks, min %lu",
                    d.id().value, client, total / kRounds, best);
    state.client = ClientId{client};
    Guest* g = phys_ptr<Guest>(*context);
    *g = Guest{};
    g->page = *context;
    state.context = g;
    return 0;
}

bool finish_abandoned(Domain& d, Call& c, DomainTee& state);

void domain_destroy(Domain& d, DomainTee& state) {
    uint16_t client = state.client.value;
    Guest& g = guest_of(state);
    // Calls the guest left suspended hold OP-TEE threads: finish them first.
    uint32_t finished = 0, shared = 0;
    bool stuck = false;
    for (Call& c : g.calls) {
        if (!c.busy) continue;
        ++finished;
        // A call OP-TEE would not finish keeps its shadow: OP-TEE may read it.
        if (!finish_abandoned(d, c, state)) {
            c.shadow = Pa{};
            stuck = true;
        }
    }
    for (const Shm& s : g.shm) shared += s.used ? s.pages : 0;
    for (const RpcShm& s : g.rpc_shm) shared += s.used ? s.pages : 0;
    if (finished || shared) {
        WARDEN_LOG_INFO(
            "tee: d%u (client ID %u): %u suspended call(s) finished, %u registered "
            "page(s) released",
            d.id().value, client, finished, shared);
    }
    SecureRegs r = call_as_hypervisor(op::kVmDestroyed, client);
    if (static_cast<uint32_t>(r.x[0]) != op::kOk) {
        // OP-TEE answers OK even for unknown IDs; anything else is worth a log,
        // but the ID is released either way: the guest is gone.
        WARDEN_LOG_ERROR("tee: VM_DESTROYED for client %u (d%u) returned 0x%lx", client,
                         d.id().value, r.x[0]);
    }
    // OP-TEE dropped the guest's registrations with its partition, unless a
    // call of the guest's is stuck in it: that call may still use any of them,
    // so they all stay pinned (and the guest's RAM out of use).
    for (Shm& s : g.shm) {
        if (s.used && !stuck) d.unpin_pages(s.pages);
    }
    for (RpcShm& s : g.rpc_shm) {
        if (s.used && !stuck) d.unpin_pages(s.pages);
    }
    // OP-TEE has let go of the shadows (no call of the guest's is in flight, and
    // it dropped the guest's sessions): they go back, to be cleared before reuse.
    for (Call& c : g.calls) {
        if (c.shadow.value()) pages().free_page(c.shadow);
    }
    pages().free_page(g.page);
    if (client < kMaxClients && g_state.live[client]) {
        g_state.live[client] = false;
        --g_state.live_count;
    }
    state.in_use = {};
    state.context = nullptr;
}

// Forwards a fast call and returns the first `results` registers the call defines;
// the others are zeroed, so whatever the secure world left there never reaches
// the guest. Fast calls return 32-bit values, except the OS revision's build ID.
// A fast call forwarded as the guest made it (a1..a6 as given; w7 always the
// guest's client ID), its first `results` results into `to` (32 bits each,
// the rest zero: OP-TEE leaves stale values there; GET_OS_REVISION's build
// hash in a2 is 64 bits).
void forward_into(DomainTee& state, const uint64_t* x, unsigned results, uint64_t* to) {
    const auto id = static_cast<uint32_t>(x[0]);  // read first: `to` may be `x`
    uint64_t out[4];
    arch::secure_forward(x, state.client.value, out);
    ++state.calls_forwarded;
    to[0] = out[0] & 0xffffffffu;
    to[1] = results > 1 ? out[1] & 0xffffffffu : 0;
    to[2] = results > 2 ? out[2] & 0xffffffffu : 0;
    to[3] = results > 3 ? out[3] & 0xffffffffu : 0;
    if (id == op::kGetOsRevision) to[2] = out[2];
}

Result forward(DomainTee& state, const smccc::Call& call, unsigned results) {
    Result r;
    r.full_width = true;
    forward_into(state, call.x, results, r.x);
    return r;
}

// Mediator::fast_path: the fast calls that go to OP-TEE as they are, answered
// straight into the guest's registers (the rest go through handle_call).
bool fast_path(Vcpu& vcpu, DomainTee& state) {
    unsigned results;
    switch (static_cast<uint32_t>(vcpu.regs.x[0])) {
    case op::kGetOsRevision:
        results = 3;
        break;
    case op::kGetOsUuid:
        results = 4;
        break;
    case op::kGetThreadCount:
        results = 2;
        break;
    default:
        return false;
    }
    forward_into(state, vcpu.regs.x, results, vcpu.regs.x);
    return true;
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

// ---- CALL_WITH_ARG ----

struct Message {
    op::MsgArg h;
    op::MsgParam p[kMaxParams];
};

uint64_t type_of(const op::MsgParam& p) {
    return p.attr & op::kAttrTypeMask;
}

bool is_value(uint64_t type) {
    return type == op::kAttrValueInput || type == op::kAttrValueOutput ||
           type == op::kAttrValueInout;
}

// Answers a message without OP-TEE: the result goes into the guest's own copy.
Result answer(Domain& d, Ipa at, op::MsgArg h, uint32_t ret, DomainTee& state) {
    h.ret = ret;
    h.ret_origin = op::kOriginComms;
    ++state.calls_refused;
    auto* guest = static_cast<op::MsgArg*>(d.ram_ptr(at, sizeof h));
    if (!guest) return value32(op::kEBadAddr);
    __builtin_memcpy(guest, &h, sizeof h);
    return value32(op::kOk);
}

bool is_tmem(uint64_t type) {
    return type >= op::kAttrTmemInput && type <= op::kAttrTmemInout;
}

bool is_rmem(uint64_t type) {
    return type >= op::kAttrRmemInput && type <= op::kAttrRmemInout;
}

// Parameters whose results go back to the guest: values, and the size of
// memory references (OP-TEE may report the size it needed).
bool has_output(uint64_t type) {
    return type == op::kAttrValueOutput || type == op::kAttrValueInout ||
           type == op::kAttrTmemOutput || type == op::kAttrTmemInout ||
           type == op::kAttrRmemOutput || type == op::kAttrRmemInout;
}

// What the mediator can pass on, parameter by parameter: the TEEC result to
// answer with, or success. Memory references are translated or checked later.
// The message's parts copied field by field: the image is built with
// -mstrict-align, under which every struct copy is a call to memcpy.
void copy_header(op::MsgArg& d, const op::MsgArg& s) {
    d.cmd = s.cmd;
    d.func = s.func;
    d.session = s.session;
    d.cancel_id = s.cancel_id;
    d.pad = s.pad;
    d.ret = s.ret;
    d.ret_origin = s.ret_origin;
    d.num_params = s.num_params;
}

uint32_t check_params(const Message& m, bool& memrefs) {
    memrefs = false;
    for (uint32_t i = 0; i < m.h.num_params; ++i) {
        const op::MsgParam& p = m.p[i];
        uint64_t type = type_of(p);
        uint64_t flags = (m.h.cmd == op::kMsgCmdOpenSession && i < 2) ? op::kAttrMeta : 0;
        if (is_tmem(type)) flags |= op::kAttrNoncontig;
        if (p.attr & ~(op::kAttrTypeMask | flags)) {
            return op::kTeecErrorBadParameters;  // unknown flags, or flags out of place
        }
        if (type != op::kAttrNone && !is_value(type) && !is_tmem(type) && !is_rmem(type)) {
            return op::kTeecErrorBadParameters;  // reserved types
        }
        memrefs |= is_tmem(type) || is_rmem(type);
    }
    return op::kTeecSuccess;
}

Shm* find_shm(Guest& g, uint64_t cookie) {
    for (Shm& s : g.shm) {
        if (s.used && s.cookie == cookie) return &s;
    }
    return nullptr;
}

// The list pages go back clean: only the entries written are cleared, so the
// work stays proportional to the list, and the next list page needs no clearing.
void free_list_pages(PageList& l) {
    Pa at = l.head;
    uint64_t left = l.written;
    for (uint32_t i = 0; i < l.list_pages; ++i) {
        auto* e = phys_ptr<uint64_t>(at);
        Pa next(e[kListEntries]);
        const uint64_t used = left < kListEntries ? left : kListEntries;
        __builtin_memset(e, 0, used * sizeof *e);
        e[kListEntries] = 0;
        left -= used;
        pages().free_zeroed(at, 1);
        at = next;
    }
    l.head = Pa{};
    l.list_pages = 0;
    l.written = 0;
}

// Lets go of a translated list: OP-TEE no longer uses its pages.
void release(Domain& d, DomainTee& state, PageList& l) {
    free_list_pages(l);
    d.unpin_pages(l.pinned);
    state.in_use.shm_pages -= l.pages;
    l.pages = 0;
    l.pinned = 0;
}

// Starts translating a guest's non-contiguous page list (buf_ptr: its first
// list page, with the buffer's offset in the low 12 bits): checks the size and
// takes its pages from the guest's quota. A TEEC result.
uint32_t translate_begin(DomainTee& state, uint64_t buf_ptr, uint64_t size, PageList& out,
                         Walk& w) {
    const uint64_t offset = buf_ptr & (kPageSize - 1);
    const uint64_t room = state.quotas.shm_pages - state.in_use.shm_pages;
    out = PageList{};
    w = Walk{Ipa(buf_ptr & ~(kPageSize - 1)), 0, Pa{}};
    if (!size) return op::kTeecErrorBadParameters;
    const uint64_t count =
        (size >> kPageShift) + ((offset + (size & (kPageSize - 1)) + kPageSize - 1) >> kPageShift);
    if (count > room) {
        // The guest's quota. Its libteec sees only a generic error, so the
        // operator is told why (a few times per guest).
        if (guest_of(state).quota_warnings < kQuotaWarnings) {
            ++guest_of(state).quota_warnings;
            WARDEN_LOG_WARN(
                "tee: client %u: %lu page(s) of shared memory refused: quota %u page(s), %u "
                "held (raise it: tee_shm_pages, `wardenctl tee quota`)",
                state.client.value, count, state.quotas.shm_pages, state.in_use.shm_pages);
        }
        return op::kTeecErrorOutOfMemory;
    }
    out.pages = static_cast<uint32_t>(count);
    state.in_use.shm_pages += out.pages;
    return op::kTeecSuccess;
}

// Goes on translating for at most `budget` pages (whole list pages): the
// hypervisor's own list of physical addresses grows, every page named must be
// the guest's own RAM. kMore when more is left; success once the list is
// complete (its pages then pinned); on a TEEC error nothing is held any more.
uint32_t translate_step(Domain& d, DomainTee& state, PageList& out, Walk& w, Ipa* seen,
                        uint32_t budget) {
    const uint64_t ram_ipa = d.ram_base().value(), ram_end = ram_ipa + d.ram_size();
    const uint64_t ram_pa = d.ram_pa().value();
    uint64_t* mine = w.tail.value() ? phys_ptr<uint64_t>(w.tail) : nullptr;
    uint32_t ret = op::kTeecSuccess;
    uint32_t spent = 0;
    while (w.done < out.pages && ret == op::kTeecSuccess) {
        if (spent >= budget) return kMore;
        for (uint32_t k = 0; k < out.list_pages; ++k) {
            if (seen[k] == w.list) ret = op::kTeecErrorBadParameters;  // a cycle
        }
        if (ret != op::kTeecSuccess) break;
        auto page = pages().alloc_page();
        if (!page) {
            ret = op::kTeecErrorOutOfMemory;
            break;
        }
        if (mine) {
            mine[kListEntries] = page->value();
        } else {
            out.head = *page;
        }
        seen[out.list_pages++] = w.list;
        w.tail = *page;
        mine = phys_ptr<uint64_t>(*page);
        // Only the entries the buffer needs, and the next list page's address
        // when it goes on.
        const uint32_t left = out.pages - w.done;
        const uint32_t here = left < kListEntries ? left : kListEntries;
        out.written += here;
        const auto* theirs = static_cast<const uint64_t*>(d.ram_ptr(w.list, kPageSize));
        if (!theirs) {
            ret = op::kTeecErrorBadParameters;  // a list page outside the guest's RAM
            break;
        }
        __builtin_memcpy(mine, theirs, here * sizeof *mine);
        const uint64_t next = here < left ? theirs[kListEntries] : 0;
        if (next & (kPageSize - 1)) {
            ret = op::kTeecErrorBadParameters;  // list pages are whole pages
            break;
        }
        for (uint32_t i = 0; i < here; ++i) {
            const uint64_t ipa = mine[i];
            if ((ipa & (kPageSize - 1)) || ipa < ram_ipa || ipa >= ram_end) {
                ret = op::kTeecErrorBadParameters;  // not a page of the guest's RAM
                break;
            }
            mine[i] = ram_pa + (ipa - ram_ipa);
        }
        w.list = Ipa(next);
        w.done += here;
        spent += here;
    }
    if (ret != op::kTeecSuccess) {
        free_list_pages(out);
        state.in_use.shm_pages -= out.pages;
        out.pages = 0;
        return ret;
    }
    out.pinned = out.pages;
    d.pin_pages(out.pinned);
    return op::kTeecSuccess;
}

// The list pages a call's translation has met, in its shadow page. A call's
// own references are translated before OP-TEE sees the shadow; an SHM_ALLOC
// answer while OP-TEE holds it, which reads only the message.
Ipa* seen_of(const Call& c) {
    return reinterpret_cast<Ipa*>(phys_ptr<uint8_t>(c.shadow) + kSeenOffset);
}

void release_temps(Domain& d, DomainTee& state, Call& c) {
    if (!c.temps) return;  // take_memrefs never ran for this call: nothing to look at
    for (PageList& l : c.temp) {
        if (l.list_pages || l.pages) release(d, state, l);
    }
    c.temps = false;
}

// Translates the message's temporary memory references into the call's own
// lists (and the shadow's buf_ptr) and checks registered ones against the
// guest's registrations, from parameter c.walk_param on, kTranslatePerTrap
// pages per trap. A TEEC result, or kMore; on failure nothing is held.
uint32_t take_memrefs(Domain& d, DomainTee& state, Guest& g, Call& c, Message& shadow) {
    c.temps = true;
    Ipa* seen = seen_of(c);
    uint32_t budget = kTranslatePerTrap;
    for (uint32_t i = c.walk_param; i < shadow.h.num_params; ++i) {
        op::MsgParam& p = shadow.p[i];
        const uint64_t type = type_of(p);
        uint32_t ret = op::kTeecSuccess;
        if (is_tmem(type)) {
            if (!(p.attr & op::kAttrNoncontig)) {
                // Only a null reference: a contiguous buffer would be guest
                // physical memory OP-TEE cannot be given as it is.
                if (p.a) ret = op::kTeecErrorBadParameters;
            } else {
                if (!c.translating || c.walk_param != i) {
                    ret = translate_begin(state, p.a, p.b, c.temp[i], c.walk);
                }
                if (ret == op::kTeecSuccess) {
                    const uint32_t before = c.walk.done;
                    ret = translate_step(d, state, c.temp[i], c.walk, seen, budget);
                    const uint32_t spent = c.walk.done - before;
                    budget = spent < budget ? budget - spent : 0;
                }
                if (ret == kMore) {
                    c.translating = true;
                    c.walk_param = static_cast<uint8_t>(i);
                    return kMore;
                }
                c.translating = false;
                if (ret == op::kTeecSuccess) p.a = c.temp[i].head.value() | (p.a & (kPageSize - 1));
            }
        } else if (is_rmem(type)) {
            const Shm* shm = find_shm(g, p.c);
            if (!shm || p.a > shm->size || p.b > shm->size - p.a) ret = op::kTeecErrorBadParameters;
        }
        if (ret != op::kTeecSuccess) {
            release_temps(d, state, c);
            c.translating = false;
            c.walk_param = 0;
            return ret;
        }
        c.walk_param = static_cast<uint8_t>(i + 1);
    }
    c.walk_param = 0;
    return op::kTeecSuccess;
}

// An OPEN that did not open gives back the place it held in the session quota.
void release_session_place(DomainTee& state, const op::MsgArg& h) {
    if (h.cmd == op::kMsgCmdOpenSession && state.in_use.sessions) --state.in_use.sessions;
}

// Resumes a suspended call with a1..a5 zero: what FOREIGN_INTR and FREE take,
// and for ALLOC "no buffer".
SecureRegs resume_as(const Call& c, ClientId client) {
    return SecureRegs{{op::kReturnFromRpc, 0, 0, c.thread, 0, 0, 0, client.value}};
}

bool names_rpc_arg(const Call& c) {
    return c.rpc_shadow.value() && join64(c.rpc_a1, c.rpc_a2) == c.rpc_cookie;
}

void drop_rpc_arg(Call& c) {
    pages().free_page(c.rpc_shadow);
    c.rpc_shadow = Pa{};
    c.rpc_cookie = 0;
}

// The mediator's own answer to the RPC a call is suspended in.
void release_rpc_shm(Domain& d, DomainTee& state, uint64_t cookie);

SecureRegs answer_rpc(Domain& d, DomainTee& state, Call& c) {
    if (c.rpc_translating) {
        // An SHM_ALLOC answer half translated: dropped, OP-TEE gets an error.
        release(d, state, c.rpc_list);
        c.rpc_translating = false;
    }
    if (c.rpc == op::kRpcCmd && names_rpc_arg(c)) {
        Message& s = *phys_ptr<Message>(c.rpc_shadow);
        // OP-TEE has let go of a buffer it frees, whoever answers.
        if (s.h.cmd == op::kRpcCmdShmFree && s.h.num_params == 1)
            release_rpc_shm(d, state, s.p[0].b);
        s.h.ret = op::kTeecErrorGeneric;
        s.h.ret_origin = op::kOriginComms;
    } else if (c.rpc == op::kRpcFree && names_rpc_arg(c)) {
        drop_rpc_arg(c);  // OP-TEE is done with it
    }
    return resume_as(c, state.client);
}

// A finished call: results from the shadow into the guest's message, the slot
// free again. rc is OP-TEE's a0.
Result complete(Domain& d, DomainTee& state, Call& c, uint32_t rc) {
    const op::MsgArg& h = c.h;  // not changed below
    const bool memrefs = c.temps;
    const uint64_t timed_from = state.timed_from;
    state.timed_from = 0;
    c.busy = false;
    c.with_guest = false;
    const bool opening = h.cmd == op::kMsgCmdOpenSession;
    if (c.rpc_shadow.value()) {
        // OP-TEE ended the call without freeing its RPC argument: it may still
        // hold the page, so it is left to OP-TEE rather than reused.
        WARDEN_LOG_WARN("tee: client %u: a call ended with its RPC argument still held",
                        state.client.value);
        c.rpc_shadow = Pa{};
    }
    if (rc != op::kOk) {
        release_session_place(state, h);  // an OPEN's place
        release_temps(d, state, c);
        return value32(rc);  // busy, thread limit: the guest retries
    }
    // OP-TEE is done with the shadow: its results are read in place.
    const Message& m = *phys_ptr<const Message>(c.shadow);
    const uint32_t ret = m.h.ret;
    if (opening && ret != op::kTeecSuccess) release_session_place(state, h);
    if (h.cmd == op::kMsgCmdCloseSession && ret == op::kTeecSuccess && state.in_use.sessions) {
        --state.in_use.sessions;
    }
    Guest& g = guest_of(state);
    if (h.cmd == op::kMsgCmdRegisterShm && ret == op::kTeecSuccess) {
        // OP-TEE copied the page list: the pages stay pinned, the list goes.
        for (Shm& s : g.shm) {
            if (!s.used) {
                s = Shm{true, c.cookie, c.reg_size, c.temp[0].pages};
                break;
            }
        }
        free_list_pages(c.temp[0]);
        c.temp[0].pages = 0;
        c.temp[0].pinned = 0;
    } else if (h.cmd == op::kMsgCmdUnregisterShm && ret == op::kTeecSuccess) {
        if (Shm* s = find_shm(g, c.cookie)) {
            d.unpin_pages(s->pages);
            state.in_use.shm_pages -= s->pages;
            *s = Shm{};
        }
    }
    release_temps(d, state, c);
    // Back to the guest: results only, written over its message's own fields
    // (it was in the guest's RAM when the call began, and RAM stays). Which
    // parameters have results is read from the shadow, as OP-TEE left it.
    auto* guest =
        static_cast<Message*>(d.ram_ptr(c.arg, sizeof h + sizeof(op::MsgParam) * h.num_params));
    if (!guest) return value32(op::kEBadAddr);
    guest->h.ret = ret;
    guest->h.ret_origin = m.h.ret_origin;
    if (opening) guest->h.session = m.h.session;
    for (uint32_t i = 0; i < h.num_params; ++i) {
        const uint64_t type = type_of(m.p[i]);
        if (!has_output(type)) continue;
        guest->p[i].b = m.p[i].b;  // a value's b, or a memory reference's size
        if (is_value(type)) {
            guest->p[i].a = m.p[i].a;
            guest->p[i].c = m.p[i].c;
        }
    }
    if (timed_from) {
        // An INVOKE that completed in the trap it began in: what mediating it
        // cost (DomainTee::Cost), OP-TEE's time aside.
        const uint64_t t = arch::counter() - timed_from - state.last_secure_ticks;
        (memrefs ? state.invoke_memrefs : state.invoke_values).add(t, state.last_secure_ticks);
    }
    return value32(op::kOk);
}

RpcShm* find_rpc_shm(Guest& g, uint64_t cookie) {
    for (RpcShm& s : g.rpc_shm) {
        if (s.used && s.cookie == cookie) return &s;
    }
    return nullptr;
}

// OP-TEE freed a buffer it had through SHM_ALLOC: its pins go.
void release_rpc_shm(Domain& d, DomainTee& state, uint64_t cookie) {
    if (RpcShm* r = find_rpc_shm(guest_of(state), cookie)) {
        d.unpin_pages(r->pages);
        state.in_use.shm_pages -= r->pages;
        *r = RpcShm{};
    }
}

// CMD: OP-TEE's request, from the shadow into the guest's buffer. Memory
// references in it carry physical addresses; the guest gets its own addresses
// back (a page of its RAM is one it gave OP-TEE), anything else as 0.
bool export_rpc(Domain& d, const Call& c) {
    const Message& s = *phys_ptr<const Message>(c.rpc_shadow);
    const uint32_t n = s.h.num_params;
    const uint64_t bytes = sizeof s.h + sizeof(op::MsgParam) * n;
    if (n > kMaxRpcParams || bytes > c.rpc_size) return false;
    auto* guest = static_cast<Message*>(d.ram_ptr(c.rpc_ipa, bytes));
    if (!guest) return false;
    __builtin_memcpy(guest, &s, bytes);
    const uint64_t ram_pa = d.ram_pa().value(), ram_ipa = d.ram_base().value();
    for (uint32_t i = 0; i < n; ++i) {
        if (!is_tmem(type_of(s.p[i]))) continue;
        const uint64_t pa = s.p[i].a;
        guest->p[i].a = pa >= ram_pa && pa - ram_pa < d.ram_size() ? pa - ram_pa + ram_ipa : 0;
    }
    return true;
}

// SHM_ALLOC's answer (c.rpc_answer): the guest's buffer translated, at most
// kTranslatePerTrap pages per trap, then pinned until OP-TEE's SHM_FREE.
// kMore while pages are left; otherwise the result is in the shadow.
uint32_t take_rpc_shm(Domain& d, DomainTee& state, Call& c) {
    Guest& g = guest_of(state);
    Message& s = *phys_ptr<Message>(c.rpc_shadow);
    const op::MsgParam& p = c.rpc_answer;
    // A free record and a cookie not in use, checked again at the end: another
    // call of the guest's may have taken them between two traps.
    RpcShm* slot = nullptr;
    for (RpcShm& r : g.rpc_shm) {
        if (!r.used && !slot) slot = &r;
    }
    const bool room = slot && !find_rpc_shm(g, p.c);
    uint32_t ret = op::kTeecErrorOutOfMemory;
    if (!c.rpc_translating && room && p.attr == (op::kAttrTmemOutput | op::kAttrNoncontig) &&
        p.b >= s.p[0].b) {
        ret = translate_begin(state, p.a, p.b, c.rpc_list, c.walk);
    } else if (c.rpc_translating) {
        ret = room ? op::kTeecSuccess : op::kTeecErrorOutOfMemory;
        if (!room) release(d, state, c.rpc_list);
    }
    c.rpc_translating = false;
    if (ret == op::kTeecSuccess) {
        ret = translate_step(d, state, c.rpc_list, c.walk, seen_of(c), kTranslatePerTrap);
        if (ret == kMore) {
            c.rpc_translating = true;
            return kMore;
        }
    }
    if (ret != op::kTeecSuccess) {
        s.h.ret = ret;
        s.h.ret_origin = op::kOriginComms;
        return ret;
    }
    *slot = RpcShm{true, p.c, c.rpc_list.pages};
    c.rpc_list.pages = 0;  // the record holds the pins now
    c.rpc_list.pinned = 0;
    s.p[0] = {p.attr, c.rpc_list.head.value() | (p.a & (kPageSize - 1)), p.b, p.c};
    return op::kTeecSuccess;
}

// The guest's answer to a CMD, into the shadow: the result, output values and
// sizes; SHM_ALLOC's buffer translated (kMore: not all of it yet) and pinned;
// SHM_FREE's unpinned.
uint32_t import_rpc(Domain& d, DomainTee& state, Call& c) {
    if (c.rpc_translating) return take_rpc_shm(d, state, c);
    Message& s = *phys_ptr<Message>(c.rpc_shadow);
    const uint32_t n = s.h.num_params;
    const auto* guest =
        static_cast<const Message*>(d.ram_ptr(c.rpc_ipa, sizeof s.h + sizeof(op::MsgParam) * n));
    if (!guest) {
        s.h.ret = op::kTeecErrorGeneric;
        s.h.ret_origin = op::kOriginComms;
        return s.h.ret;
    }
    s.h.ret = guest->h.ret;
    s.h.ret_origin = guest->h.ret_origin;
    if (s.h.cmd == op::kRpcCmdShmAlloc && n == 1 && s.h.ret == op::kTeecSuccess) {
        c.rpc_answer = guest->p[0];  // read once: the guest may rewrite it meanwhile
        return take_rpc_shm(d, state, c);
    }
    if (s.h.cmd == op::kRpcCmdShmFree && n == 1) {
        release_rpc_shm(d, state, s.p[0].b);  // OP-TEE has let go, whatever the guest answers
        return op::kTeecSuccess;
    }
    for (uint32_t i = 0; i < n; ++i) {
        const uint64_t type = type_of(s.p[i]);
        if (!has_output(type)) continue;
        if (is_value(type)) {
            s.p[i].a = guest->p[i].a;
            s.p[i].c = guest->p[i].c;
        }
        // A value's b, or a memory reference's size: for a size query (a null
        // buffer), the size needed. OP-TEE checks sizes against its buffers.
        s.p[i].b = guest->p[i].b;
    }
    return op::kTeecSuccess;
}

// Runs a call in OP-TEE, from `r`, until it completes or needs its guest.
Result drive(Domain& d, DomainTee& state, Call& c, SecureRegs r) {
    for (unsigned round = 1;; ++round) {
        if (round == 1 && c.h.cmd == op::kMsgCmdInvokeCommand &&
            static_cast<uint32_t>(r.x[0]) == op::kCallWithArg) {
            // Timed: the same call as the guest's, made from EL2.
            const uint64_t t0 = arch::counter();
            arch::secure_call(r);
            const uint64_t t = arch::counter() - t0;
            if (t < state.invoke_from_el2_min) state.invoke_from_el2_min = t;
            state.last_secure_ticks = t;
        } else {
            arch::secure_call(r);
        }
        ++state.calls_forwarded;
        if (c.rpc_list.list_pages) free_list_pages(c.rpc_list);  // OP-TEE has copied it
        const auto rc = static_cast<uint32_t>(r.x[0]);
        if (!op::is_rpc(rc)) return complete(d, state, c, rc);
        state.timed_from = 0;  // not done in one round: not timed
        c.thread = static_cast<uint32_t>(r.x[3]);
        c.rpc = rc;
        c.rpc_a1 = r.x[1];
        c.rpc_a2 = r.x[2];
        c.disguised = false;
        Result to_guest;
        bool hand_on = false;
        switch (rc) {
        case op::kRpcForeignIntr:
            hand_on = true;
            to_guest = value32(rc, 0, 0, c.thread);
            break;
        case op::kRpcAlloc:
            // One RPC argument per call, of a sensible size.
            hand_on =
                !c.rpc_shadow.value() && c.rpc_a1 >= sizeof(op::MsgArg) && c.rpc_a1 <= kPageSize;
            to_guest = value32(rc, static_cast<uint32_t>(c.rpc_a1), 0, c.thread);
            break;
        case op::kRpcFree:
            hand_on = names_rpc_arg(c);
            to_guest = value32(rc, static_cast<uint32_t>(c.rpc_a1), static_cast<uint32_t>(c.rpc_a2),
                               c.thread);
            break;
        case op::kRpcCmd:
            hand_on = names_rpc_arg(c) && export_rpc(d, c);
            to_guest = value32(rc, static_cast<uint32_t>(c.rpc_a1), static_cast<uint32_t>(c.rpc_a2),
                               c.thread);
            break;
        default:
            break;
        }
        if (round == kRoundsPerTrap && !(hand_on && rc == op::kRpcForeignIntr)) {
            // Bounded work per trap: the guest resumes, the mediator answers.
            c.with_guest = true;
            c.disguised = true;
            return value32(op::kRpcForeignIntr, 0, 0, c.thread);
        }
        if (hand_on) {
            c.with_guest = true;
            return to_guest;
        }
        r = answer_rpc(d, state, c);
    }
}

// Teardown: a call its guest will never resume is answered until OP-TEE lets
// its thread go.
bool finish_abandoned(Domain& d, Call& c, DomainTee& state) {
    if (c.translating) {  // never reached OP-TEE
        release_session_place(state, c.h);
        release_temps(d, state, c);
        c.translating = false;
        c.busy = false;
        c.with_guest = false;
        return true;
    }
    bool done = !c.with_guest;  // only suspended calls outlive a trap
    for (unsigned round = 0; !done && round < kRoundsToFinish; ++round) {
        SecureRegs r = answer_rpc(d, state, c);
        arch::secure_call(r);
        ++state.calls_forwarded;
        if (c.rpc_list.list_pages) free_list_pages(c.rpc_list);
        if (!op::is_rpc(static_cast<uint32_t>(r.x[0]))) {
            done = true;
        } else {
            c.thread = static_cast<uint32_t>(r.x[3]);
            c.rpc = static_cast<uint32_t>(r.x[0]);
            c.rpc_a1 = r.x[1];
            c.rpc_a2 = r.x[2];
        }
    }
    if (!done) {
        // OP-TEE may still use the call's pages: they stay pinned, and so the
        // guest's RAM is never reused (see DomainTable::continue_destroy).
        WARDEN_LOG_ERROR("tee: client %u: OP-TEE thread %u still suspended after %u answers",
                         state.client.value, c.thread, kRoundsToFinish);
        c.rpc_shadow = Pa{};  // OP-TEE may still write into it
    } else {
        release_temps(d, state, c);
        if (c.rpc_shadow.value()) c.rpc_shadow = Pa{};  // never freed by OP-TEE: left to it
    }
    c.busy = false;
    c.with_guest = false;
    return done;
}

// Sends a call, its memory references translated, to OP-TEE.
Result start(Domain& d, DomainTee& state, Call& c) {
    return drive(d, state, c,
                 SecureRegs{{op::kCallWithArg, c.shadow.value() >> 32,
                             c.shadow.value() & 0xffffffffu, 0, 0, 0, 0, state.client.value}});
}

// A call whose lists take more than one trap to translate goes back to the
// guest as if OP-TEE had suspended it for an interrupt; RETURN_FROM_RPC goes on.
Result translating(Call& c, uint32_t slot) {
    c.busy = true;
    c.with_guest = true;
    c.disguised = false;
    c.thread = kTranslatingThread | slot;
    c.rpc = op::kRpcForeignIntr;
    return value32(op::kRpcForeignIntr, 0, 0, c.thread);
}

// Calls one guest may hold in OP-TEE at once: its share of the threads.
uint32_t share_of_threads() {
    const uint32_t guests = g_state.live_count ? g_state.live_count : 1;
    const uint32_t share = g_state.threads / guests;
    if (share < 1) return 1;
    return share < g_state.call_cap ? share : g_state.call_cap;
}

Result call_with_arg(Vcpu& vcpu, DomainTee& state, const smccc::Call& call) {
    const uint64_t t_in = arch::counter();  // for the mediator's own cost (DomainTee::Cost)
    Domain& d = *vcpu.domain;
    Guest& g = guest_of(state);
    const uint64_t ipa = join64(call.arg(1), call.arg(2));
    if (ipa & (kPageSize - 1)) return refuse(state, op::kEBadAddr);  // as OP-TEE answers
    Ipa at(ipa);
    // The message is in a page of the guest's RAM (page-aligned, so it fits).
    const auto* guest = static_cast<const Message*>(d.ram_ptr(at, sizeof(Message)));
    if (!guest) return refuse(state, op::kEBadAddr);
    // A slot of the guest's own, within its share of OP-TEE's threads (OP-TEE,
    // too, takes a thread before it reads the message).
    Call* c = nullptr;
    uint32_t held = 0;
    for (Call& each : g.calls) {
        if (each.busy) {
            ++held;
        } else if (!c) {
            c = &each;
        }
    }
    if (!c || held >= share_of_threads()) return refuse(state, op::kEThreadLimit);
    if (!c->shadow.value()) {
        auto page = pages().alloc_page();
        if (!page) return refuse(state, op::kENoMem);
        c->shadow = *page;
    }
    // The message is read once, into the call's shadow: from here on only that
    // copy counts (the guest may rewrite its page at will). Its memory
    // references are translated there before OP-TEE sees it.
    Message& m = *phys_ptr<Message>(c->shadow);
    copy_header(m.h, guest->h);
    if (m.h.num_params > kMaxParams) return answer(d, at, m.h, op::kTeecErrorBadParameters, state);
    for (uint32_t i = 0; i < m.h.num_params; ++i) {
        m.p[i].attr = guest->p[i].attr;
        m.p[i].a = guest->p[i].a;
        m.p[i].b = guest->p[i].b;
        m.p[i].c = guest->p[i].c;
    }
    bool memrefs = false;
    if (uint32_t bad = check_params(m, memrefs); bad != op::kTeecSuccess) {
        return answer(d, at, m.h, bad, state);
    }
    switch (m.h.cmd) {
    case op::kMsgCmdOpenSession:
        if (state.in_use.sessions >= state.quotas.sessions) {
            return answer(d, at, m.h, op::kTeecErrorBusy, state);  // the guest's session quota
        }
        break;
    case op::kMsgCmdInvokeCommand:
    case op::kMsgCmdCloseSession:
    case op::kMsgCmdCancel:
        break;
    case op::kMsgCmdRegisterShm: {
        // One non-contiguous temporary reference, a cookie the guest does not
        // use yet (also not in a registration still in flight), and room.
        if (m.h.num_params != 1 || !is_tmem(type_of(m.p[0])) ||
            !(m.p[0].attr & op::kAttrNoncontig)) {
            return answer(d, at, m.h, op::kTeecErrorBadParameters, state);
        }
        uint32_t free_slots = 0;
        for (const Shm& s : g.shm) free_slots += s.used ? 0 : 1;
        for (const Call& other : g.calls) {
            if (!other.busy || other.h.cmd != op::kMsgCmdRegisterShm) continue;
            if (other.cookie == m.p[0].c) {
                return answer(d, at, m.h, op::kTeecErrorBadParameters, state);
            }
            --free_slots;
        }
        if (find_shm(g, m.p[0].c)) return answer(d, at, m.h, op::kTeecErrorBadParameters, state);
        if (!free_slots) return answer(d, at, m.h, op::kTeecErrorOutOfMemory, state);
        break;
    }
    case op::kMsgCmdUnregisterShm:
        if (m.h.num_params != 1 || !is_rmem(type_of(m.p[0]))) {
            return answer(d, at, m.h, op::kTeecErrorBadParameters, state);
        }
        if (!find_shm(g, m.p[0].c)) return answer(d, at, m.h, op::kTeecErrorItemNotFound, state);
        break;
    default:
        return answer(d, at, m.h, op::kTeecErrorNotSupported, state);
    }
    c->arg = at;
    copy_header(c->h, m.h);
    c->cookie = m.h.num_params ? m.p[0].c : 0;
    c->reg_size = m.h.num_params ? m.p[0].b : 0;
    c->walk_param = 0;
    c->translating = false;
    // An OPEN holds its place in the quota from here on, so that opens still
    // being translated or suspended cannot add up past it.
    if (m.h.cmd == op::kMsgCmdOpenSession) ++state.in_use.sessions;
    const uint32_t ret = memrefs ? take_memrefs(d, state, g, *c, m) : op::kTeecSuccess;
    if (ret == kMore) return translating(*c, static_cast<uint32_t>(c - g.calls));
    if (ret != op::kTeecSuccess) {
        release_session_place(state, c->h);
        return answer(d, at, m.h, ret, state);
    }
    c->busy = true;
    state.timed_from = m.h.cmd == op::kMsgCmdInvokeCommand ? t_in : 0;
    return start(d, state, *c);
}

// RETURN_FROM_RPC: a3 must name a thread one of the guest's own calls is
// suspended in, waiting for it.
Result return_from_rpc(Vcpu& vcpu, DomainTee& state, const smccc::Call& call) {
    Guest& g = guest_of(state);
    const auto thread = static_cast<uint32_t>(call.arg(3));
    for (Call& c : g.calls) {
        if (!c.busy || !c.with_guest || c.thread != thread) continue;
        c.with_guest = false;
        Domain& d = *vcpu.domain;
        if (c.translating) {
            const uint32_t ret = take_memrefs(d, state, g, c, *phys_ptr<Message>(c.shadow));
            if (ret == kMore) return translating(c, static_cast<uint32_t>(&c - g.calls));
            if (ret != op::kTeecSuccess) {
                c.busy = false;
                release_session_place(state, c.h);
                return answer(d, c.arg, c.h, ret, state);
            }
            return start(d, state, c);
        }
        if (c.disguised) return drive(d, state, c, answer_rpc(d, state, c));
        switch (c.rpc) {
        case op::kRpcAlloc: {
            // a1/a2: the guest's buffer (0: none), a4/a5: its cookie. OP-TEE gets
            // a shadow page with the cookie, never the guest's buffer.
            const uint64_t ipa = join64(call.arg(1), call.arg(2));
            c.rpc_size = static_cast<uint32_t>(c.rpc_a1);
            // Word-aligned, inside its RAM (the hypervisor reads it in words,
            // with strict alignment).
            const bool usable = ipa && !(ipa & 7) && d.ram_ptr(Ipa(ipa), c.rpc_size);
            auto page = usable ? pages().alloc_page() : std::optional<Pa>{};
            if (!page) return drive(d, state, c, resume_as(c, state.client));  // no buffer
            c.rpc_shadow = *page;
            c.rpc_ipa = Ipa(ipa);
            c.rpc_cookie = join64(call.arg(4), call.arg(5));
            return drive(d, state, c,
                         SecureRegs{{op::kReturnFromRpc, page->value() >> 32,
                                     page->value() & 0xffffffffu, c.thread, c.rpc_cookie >> 32,
                                     c.rpc_cookie & 0xffffffffu, 0, state.client.value}});
        }
        case op::kRpcCmd:
            if (import_rpc(d, state, c) == kMore) {
                // A long SHM_ALLOC list: the guest resumes the same thread for
                // the next part, as after an interrupt.
                c.with_guest = true;
                return value32(op::kRpcForeignIntr, 0, 0, c.thread);
            }
            return drive(d, state, c, resume_as(c, state.client));
        case op::kRpcFree:
            drop_rpc_arg(c);  // the guest let go of its buffer; OP-TEE of the shadow
            return drive(d, state, c, resume_as(c, state.client));
        default:  // FOREIGN_INTR
            return drive(d, state, c, resume_as(c, state.client));
        }
    }
    return refuse(state, op::kEResume);
}

Result handle_call(Vcpu& vcpu, DomainTee& state, const smccc::Call& call, smccc::Conduit) {
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
    case op::kCallWithArg:
        return call_with_arg(vcpu, state, call);
    case op::kReturnFromRpc:
        return return_from_rpc(vcpu, state, call);
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
    .fast_path = fast_path,
    .guest_limit = guest_limit,
    .describe = describe,
};
WARDEN_REGISTER_TEE_MEDIATOR(kOptee);

}  // namespace
}  // namespace warden::tee
