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
constexpr uint64_t kMaxTaImage = 8u << 20;      // larger images are BAD_FORMAT
constexpr uint64_t kRpcShmTypeApplication = 0;  // OPTEE_RPC_SHM_TYPE_APPL

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
            for (auto& r : regs_) {
                if (r.used && r.client == guest) r = Registration{};  // and its shared memory
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

// The device-enumeration pseudo-TA, as OP-TEE answers it with no TEE-bus
// devices to list: GET_DEVICES and GET_DEVICES_SUPP fill param 0 (a memory
// reference for UUIDs) with nothing, size 0, success.
uint32_t run_device_enum(Message& m) {
    if (m.h.func != tas::kDeviceEnumCmdGetDevices &&
        m.h.func != tas::kDeviceEnumCmdGetDevicesSupp) {
        return op::kTeecErrorNotSupported;
    }
    const uint64_t t0 = m.h.num_params ? m.type(0) : op::kAttrNone;
    if (t0 != op::kAttrTmemOutput && t0 != op::kAttrRmemOutput) return op::kTeecErrorBadParameters;
    for (unsigned i = 1; i < m.h.num_params; ++i) {
        if (m.type(i) != op::kAttrNone) return op::kTeecErrorBadParameters;
    }
    m.p[0].b = 0;
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
    last_list_pages_ = 0;
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
        uint8_t ta;
        if (m.p[0].a == tas::kIncrement.a && m.p[0].b == tas::kIncrement.b) {
            ta = 0;
        } else if (m.p[0].a == tas::kBuffers.a && m.p[0].b == tas::kBuffers.b) {
            ta = 1;
        } else if (m.p[0].a == tas::kDeviceEnum.a && m.p[0].b == tas::kDeviceEnum.b) {
            ta = 2;
        } else {
            // Not a TA OP-TEE has: ask the normal world for an RPC argument to
            // load it with.
            return suspend(idx, Step::kLoadAlloc, op::kRpcAlloc, op::kRpcArgSize);
        }
        open_session(t, ta);
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
        if (t.m.h.cmd == op::kMsgCmdInvokeCommand && t.m.h.num_params > kTaParams) {
            t.m.fail(op::kTeecErrorBadParameters, op::kOriginTee);  // a TA takes four
            break;
        }
        if (t.m.h.cmd == op::kMsgCmdCloseSession) {
            *found = Session{};
            break;
        }
        if (found->ta == 2) {
            t.m.fail(run_device_enum(t.m), op::kOriginTrustedApp);
            break;
        }
        if (found->ta == 1) {
            uint32_t ret = take_temporaries(t);
            if (ret != op::kTeecSuccess) {
                t.m.fail(ret, op::kOriginTee);
            } else {
                t.m.fail(run_buffers(t), op::kOriginTrustedApp);
            }
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
    case op::kMsgCmdRegisterShm:
        t.m.fail(register_shm(t), op::kOriginTee);
        break;
    case op::kMsgCmdUnregisterShm:
        t.m.fail(unregister_shm(t), op::kOriginTee);
        break;
    default:
        t.m.fail(op::kTeecErrorNotSupported, op::kOriginTee);
        break;
    }
    return finish(idx);
}

void Model::open_session(Thread& t, uint8_t ta) {
    for (auto& s : sessions_) {
        if (!s.used) {
            s = Session{true, t.client, next_session_++, ta};
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
    // Writes an RPC command into the RPC argument and asks the normal world to
    // serve it.
    auto command = [&](Step next, uint32_t cmd, const op::MsgParam& p0,
                       const op::MsgParam* p1 = nullptr) {
        Message rpc{};
        rpc.h.cmd = cmd;
        rpc.h.num_params = p1 ? 2 : 1;
        rpc.p[0] = p0;
        if (p1) rpc.p[1] = *p1;
        const uint64_t bytes = sizeof rpc.h + rpc.h.num_params * sizeof(op::MsgParam);
        if (!cfg_.memory->write(t.rpc_pa, &rpc, bytes)) {
            t.load_ret = op::kTeecErrorOutOfMemory;
            return suspend(idx, Step::kLoadFree, op::kRpcFree, t.rpc_cookie >> 32,
                           t.rpc_cookie & 0xffffffffu);
        }
        return suspend(idx, next, op::kRpcCmd, t.rpc_cookie >> 32, t.rpc_cookie & 0xffffffffu);
    };
    auto free_arg = [&]() {
        return suspend(idx, Step::kLoadFree, op::kRpcFree, t.rpc_cookie >> 32,
                       t.rpc_cookie & 0xffffffffu);
    };
    // The normal world's answer to the last command (ret, and its parameters).
    auto answer = [&](Message& rpc) {
        if (!cfg_.memory->read(t.rpc_pa, &rpc, sizeof rpc.h + 2 * sizeof(op::MsgParam))) {
            rpc.h.ret = op::kTeecErrorBadFormat;
        }
        return rpc.h.ret;
    };
    const op::MsgParam uuid = {op::kAttrValueInput, t.m.p[0].a, t.m.p[0].b, 0};
    switch (t.step) {
    case Step::kLoadAlloc: {
        uint64_t pa = (in.x[1] << 32) | (in.x[2] & 0xffffffffu);
        bool in_secure = pa >= cfg_.secure_base && pa - cfg_.secure_base < cfg_.secure_size;
        Message probe{};
        if (!pa || in_secure || !cfg_.memory->read(pa, &probe, op::kRpcArgSize)) {
            // No memory for the RPC argument: the TA cannot be loaded.
            t.m.fail(op::kTeecErrorOutOfMemory, op::kOriginTee);
            return finish(idx);
        }
        t.rpc_pa = pa;
        t.rpc_cookie = (in.x[4] << 32) | (in.x[5] & 0xffffffffu);
        const op::MsgParam size_query = {op::kAttrTmemOutput, 0, 0, 0};
        return command(Step::kLoadSize, op::kRpcCmdLoadTa, uuid, &size_query);
    }
    case Step::kLoadSize: {
        // The supplicant's answer: the TA's size, or that it has none.
        Message rpc;
        t.load_ret = answer(rpc);
        const uint64_t size = rpc.p[1].b;
        if (t.load_ret != op::kTeecSuccess || !size || size > kMaxTaImage) {
            if (t.load_ret == op::kTeecSuccess) t.load_ret = op::kTeecErrorBadFormat;
            return free_arg();
        }
        t.image_size = size;
        const op::MsgParam alloc = {op::kAttrValueInput, kRpcShmTypeApplication, size, 0};
        return command(Step::kShmAlloc, op::kRpcCmdShmAlloc, alloc);
    }
    case Step::kShmAlloc: {
        // A buffer for the TA: a non-contiguous one, as OP-TEE's dynamic shared
        // memory expects, copied into the page store as OP-TEE copies it.
        Message rpc;
        t.load_ret = answer(rpc);
        const op::MsgParam& p = rpc.p[0];
        if (t.load_ret == op::kTeecSuccess &&
            (p.attr != (op::kAttrTmemOutput | op::kAttrNoncontig) || p.b < t.image_size ||
             read_list(p.a, p.b, t.image) != op::kTeecSuccess)) {
            t.load_ret = op::kTeecErrorOutOfMemory;
        }
        if (t.load_ret != op::kTeecSuccess) {
            t.image = Pages{};
            return free_arg();
        }
        t.image_cookie = p.c;
        // The buffer goes back as OP-TEE passes dynamic shared memory in an RPC:
        // a registered reference (offset, size, the normal world's cookie), not
        // by physical address.
        const op::MsgParam into = {op::kAttrRmemOutput, 0, t.image_size, t.image_cookie};
        return command(Step::kLoadData, op::kRpcCmdLoadTa, uuid, &into);
    }
    case Step::kLoadData: {
        Message rpc;
        t.load_ret = answer(rpc);
        tas::TaImage image{};
        if (t.load_ret == op::kTeecSuccess &&
            (t.image_size < sizeof image || !access(t.image, 0, &image, sizeof image, false) ||
             image.magic != tas::kTaImageMagic || image.uuid_a != t.m.p[0].a ||
             image.uuid_b != t.m.p[0].b)) {
            t.load_ret = op::kTeecErrorBadFormat;  // not the TA asked for
        }
        const op::MsgParam release = {op::kAttrValueInput, kRpcShmTypeApplication, t.image_cookie,
                                      0};
        return command(Step::kShmFree, op::kRpcCmdShmFree, release);
    }
    case Step::kShmFree:
        t.image = Pages{};
        return free_arg();
    case Step::kLoadFree:
        if (t.load_ret == op::kTeecSuccess) {
            open_session(t, 0);  // a loaded TA behaves as the increment TA
        } else {
            // What a TA that cannot be loaded gets: not found.
            t.m.fail(op::kTeecErrorItemNotFound, op::kOriginTee);
        }
        return finish(idx);
    case Step::kInterrupted:
        t.m.fail(run_increment(t.m), op::kOriginTrustedApp);
        return finish(idx);
    }
    return result(op::kEResume);
}

// ---- Shared memory ----

uint32_t Model::registrations_of(uint16_t client) const {
    uint32_t n = 0;
    for (const auto& r : regs_) n += (r.used && r.client == client) ? 1 : 0;
    return n;
}

uint64_t Model::registered_pages_of(uint16_t client) const {
    uint64_t n = 0;
    for (const auto& r : regs_) n += (r.used && r.client == client) ? r.pages.count : 0;
    return n;
}

const uint64_t* Model::registered_pages(uint16_t client, uint64_t cookie, uint32_t& pages) const {
    for (const auto& r : regs_) {
        if (r.used && r.client == client && r.cookie == cookie) {
            pages = r.pages.count;
            return cfg_.page_store + r.pages.first;
        }
    }
    pages = 0;
    return nullptr;
}

// Non-secure RAM OP-TEE may map as shared memory: page-aligned, outside the
// secure world's RAM, present.
bool Model::normal_page(uint64_t pa) const {
    uint64_t probe;
    bool in_secure = pa + 0x1000 > cfg_.secure_base && pa < cfg_.secure_base + cfg_.secure_size;
    return !(pa & 0xfff) && !in_secure && cfg_.memory->read(pa, &probe, sizeof probe);
}

// A free run of `count` entries in the page store (first fit).
bool Model::store_take(uint32_t count, uint32_t& first) const {
    auto overlaps = [&](uint32_t at) {
        auto hit = [&](const Pages& p) {
            return p.count && at < p.first + p.count && p.first < at + count;
        };
        for (const auto& r : regs_) {
            if (r.used && hit(r.pages)) return true;
        }
        for (const auto& t : threads_) {
            if (!t.busy) continue;
            for (const auto& p : t.temp) {
                if (hit(p)) return true;
            }
        }
        return false;
    };
    auto fits = [&](uint32_t at) {
        return at <= cfg_.page_store_size && count <= cfg_.page_store_size - at && !overlaps(at);
    };
    if (fits(0)) {
        first = 0;
        return true;
    }
    auto try_after = [&](const Pages& p) {
        if (p.count && fits(p.first + p.count)) {
            first = p.first + p.count;
            return true;
        }
        return false;
    };
    for (const auto& r : regs_) {
        if (r.used && try_after(r.pages)) return true;
    }
    for (const auto& t : threads_) {
        if (!t.busy) continue;
        for (const auto& p : t.temp) {
            if (try_after(p)) return true;
        }
    }
    return false;
}

// Copies a non-contiguous page list (buf_ptr: the first list page, with the
// buffer's offset in its low 12 bits) into the page store, as OP-TEE does when
// it registers or maps one: every list page and every page must be non-secure
// RAM, page-aligned.
uint32_t Model::read_list(uint64_t buf_ptr, uint64_t size, Pages& out) {
    const uint64_t offset = buf_ptr & 0xfff;
    uint64_t list = buf_ptr & ~uint64_t{0xfff};
    if (!size) return op::kTeecErrorBadParameters;
    if (size > uint64_t{cfg_.page_store_size} << 12) return op::kTeecErrorOutOfMemory;
    const auto count = static_cast<uint32_t>((offset + size + 0xfff) >> 12);
    uint32_t first = 0;
    if (!store_take(count, first)) return op::kTeecErrorOutOfMemory;
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t entry = i % kListEntries;
        if (entry == 0 && i && !cfg_.memory->read(list + 8 * kListEntries, &list, sizeof list)) {
            return op::kTeecErrorBadParameters;
        }
        uint64_t page;
        if (!normal_page(list) || !cfg_.memory->read(list + 8 * entry, &page, sizeof page) ||
            !normal_page(page)) {
            return op::kTeecErrorBadParameters;
        }
        cfg_.page_store[first + i] = page;
    }
    out = Pages{first, count, offset, size};
    last_list_pages_ += count;
    return op::kTeecSuccess;
}

uint32_t Model::register_shm(Thread& t) {
    const op::MsgParam& p = t.m.p[0];
    const uint64_t type = t.m.type(0);
    if (t.m.h.num_params != 1 || type < op::kAttrTmemInput || type > op::kAttrTmemInout ||
        !(p.attr & op::kAttrNoncontig)) {
        return op::kTeecErrorBadParameters;
    }
    Registration* slot = nullptr;
    for (auto& r : regs_) {
        if (r.used && r.client == t.client && r.cookie == p.c) return op::kTeecErrorBadParameters;
        if (!r.used && !slot) slot = &r;
    }
    if (!slot) return op::kTeecErrorOutOfMemory;
    Pages pages;
    uint32_t ret = read_list(p.a, p.b, pages);
    if (ret != op::kTeecSuccess) return ret;
    *slot = Registration{true, t.client, p.c, pages};
    return op::kTeecSuccess;
}

uint32_t Model::unregister_shm(Thread& t) {
    const uint64_t type = t.m.type(0);
    if (t.m.h.num_params != 1 || type < op::kAttrRmemInput || type > op::kAttrRmemInout) {
        return op::kTeecErrorBadParameters;
    }
    for (auto& r : regs_) {
        if (r.used && r.client == t.client && r.cookie == t.m.p[0].c) {
            r = Registration{};
            return op::kTeecSuccess;
        }
    }
    return op::kTeecErrorItemNotFound;
}

// Temporary memory references: non-contiguous ones are copied into the page
// store for the call; a contiguous one is only accepted as a null reference
// (buf_ptr 0), since the model has no static shared-memory region.
uint32_t Model::take_temporaries(Thread& t) {
    for (unsigned i = 0; i < t.m.h.num_params; ++i) {
        const uint64_t type = t.m.type(i);
        if (type < op::kAttrTmemInput || type > op::kAttrTmemInout) continue;
        const op::MsgParam& p = t.m.p[i];
        if (!(p.attr & op::kAttrNoncontig)) {
            if (p.a) return op::kTeecErrorBadParameters;
            continue;
        }
        uint32_t ret = read_list(p.a, p.b, t.temp[i]);
        if (ret != op::kTeecSuccess) return ret;
    }
    return op::kTeecSuccess;
}

// The buffer a memory-reference parameter names, checked against what the
// client registered.
uint32_t Model::resolve(const Thread& t, unsigned i, Pages& out) const {
    const op::MsgParam& p = t.m.p[i];
    const uint64_t type = t.m.type(i);
    if (type >= op::kAttrTmemInput && type <= op::kAttrTmemInout) {
        out = t.temp[i];
        if (!out.count) out.size = 0;  // a null reference
        return op::kTeecSuccess;
    }
    if (type < op::kAttrRmemInput || type > op::kAttrRmemInout) return op::kTeecErrorBadParameters;
    for (const auto& r : regs_) {
        if (!r.used || r.client != t.client || r.cookie != p.c) continue;
        if (p.a > r.pages.size || p.b > r.pages.size - p.a) return op::kTeecErrorBadParameters;
        out = r.pages;
        out.offset += p.a;
        out.size = p.b;
        return op::kTeecSuccess;
    }
    return op::kTeecErrorBadParameters;  // not a registration of this client's
}

bool Model::access(const Pages& p, uint64_t at, void* buf, uint64_t n, bool write) {
    auto* b = static_cast<uint8_t*>(buf);
    while (n) {
        const uint64_t pos = p.offset + at;
        const uint64_t in_page = pos & 0xfff;
        const uint64_t chunk = n < 0x1000 - in_page ? n : 0x1000 - in_page;
        const uint64_t pa = cfg_.page_store[p.first + (pos >> 12)] + in_page;
        if (!(write ? cfg_.memory->write(pa, b, chunk) : cfg_.memory->read(pa, b, chunk))) {
            return false;
        }
        b += chunk;
        at += chunk;
        n -= chunk;
    }
    return true;
}

// The "buffers" TA (test_tas.h).
uint32_t Model::run_buffers(Thread& t) {
    Message& m = t.m;
    // The TA's two parameters; a client sends four (the GlobalPlatform client
    // API always does), the others unused.
    if (m.h.num_params < 2) return op::kTeecErrorBadParameters;
    for (unsigned i = 2; i < m.h.num_params; ++i) {
        if (m.type(i) != op::kAttrNone) return op::kTeecErrorBadParameters;
    }
    const uint64_t t0 = m.type(0), t1 = m.type(1);
    const bool reads = t0 == op::kAttrRmemInput || t0 == op::kAttrRmemInout ||
                       t0 == op::kAttrTmemInput || t0 == op::kAttrTmemInout;
    const bool writes = t0 == op::kAttrRmemOutput || t0 == op::kAttrRmemInout ||
                        t0 == op::kAttrTmemOutput || t0 == op::kAttrTmemInout;
    Pages buf;
    if (resolve(t, 0, buf) != op::kTeecSuccess || !buf.count) return op::kTeecErrorBadParameters;
    uint8_t chunk[256];
    switch (m.h.func) {
    case tas::kBuffersCmdChecksum: {
        if (!reads || (t1 != op::kAttrValueOutput && t1 != op::kAttrValueInout)) {
            return op::kTeecErrorBadParameters;
        }
        uint64_t hash = tas::kFnvOffset;
        for (uint64_t at = 0; at < buf.size; at += sizeof chunk) {
            uint64_t n = buf.size - at < sizeof chunk ? buf.size - at : sizeof chunk;
            if (!access(buf, at, chunk, n, false)) return op::kTeecErrorBadParameters;
            hash = tas::fnv1a(hash, chunk, n);
        }
        m.p[1].a = hash;
        m.p[1].b = buf.size;
        return op::kTeecSuccess;
    }
    case tas::kBuffersCmdFill: {
        if (!writes || (t1 != op::kAttrValueInput && t1 != op::kAttrValueInout)) {
            return op::kTeecErrorBadParameters;
        }
        const uint64_t seed = m.p[1].a;
        for (uint64_t at = 0; at < buf.size; at += sizeof chunk) {
            uint64_t n = buf.size - at < sizeof chunk ? buf.size - at : sizeof chunk;
            for (uint64_t i = 0; i < n; ++i) chunk[i] = tas::fill_byte(seed, at + i);
            if (!access(buf, at, chunk, n, true)) return op::kTeecErrorBadParameters;
        }
        return op::kTeecSuccess;
    }
    default:
        return op::kTeecErrorBadParameters;
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
