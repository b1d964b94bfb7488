// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: guests throwing arbitrary register values at the SMCCC
// dispatcher and the OP-TEE mediator, with the firmware's OP-TEE model behind it.
// Checks on every call what no guest may ever achieve: crashing the hypervisor
// (sanitizers), creating or destroying TEE partitions, acting as another client,
// reaching the secure world without TEE enabled, seeing VIRTUALIZATION, having
// registers other than x0..x3 changed, or opening sessions the mediator does not
// count (its count must equal OP-TEE's, within the quota), holding more OP-TEE
// threads than its share, or leaving a thread suspended or a page behind once
// its TEE is disabled. Standard calls get messages the input writes into the
// guest's RAM; RETURN_FROM_RPC names threads calls were suspended in.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/domain.h"
#include "core/smccc.h"
#include "core/tee/tee.h"
#include "firmware/optee/model.h"
#include "firmware/optee/test_tas.h"
#include "unit/fake_machine.h"
#include "unit/optee_world.h"
#include "warden/optee.h"

namespace {

using namespace warden;
namespace op = abi::optee;

// IDs worth hitting more often than chance would.
constexpr uint32_t kInteresting[] = {op::kCallsCount,
                                     op::kCallsUid,
                                     op::kCallsRevision,
                                     op::kGetOsUuid,
                                     op::kGetOsRevision,
                                     op::kReturnFromRpc,
                                     op::kCallWithArg,
                                     op::kGetShmConfig,
                                     op::kL2ccMutex,
                                     op::kExchangeCapabilities,
                                     op::kDisableShmCache,
                                     op::kEnableShmCache,
                                     op::kBootSecondary,
                                     op::kVmCreated,
                                     op::kVmDestroyed,
                                     op::kGetThreadCount,
                                     op::kEnableAsyncNotif,
                                     op::kGetAsyncNotifValue,
                                     op::kCallWithRpcArg,
                                     op::kCallWithRegdArg,
                                     0xF2000001,
                                     0xB0000000,
                                     0x30000000,
                                     0xBF00FF02};

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // One fake machine, page allocator and three guests for the whole run (they
    // are costly to set up: creating and destroying them took 60% of each
    // input). Each input starts from zeroed guest RAM and fresh registers; a
    // guest an input stopped (PSCI) is built again. Every page the mediator
    // takes must be back after each input.
    static test::FakeMachine& machine = *new test::FakeMachine(16 * 1024 * 1024);
    static PageAllocator& alloc = *[] {
        auto* a = new PageAllocator;
        a->init(machine.ram_base(), machine.ram_size(), machine.ram_base());
        return a;
    }();
    static DomainTable& domains = *new DomainTable(alloc);
    static Domain* dom[3] = {};
    for (auto& d : dom) {
        if (d && d->alive()) continue;
        if (d) domains.destroy(*d);
        DomainConfig cfg;
        cfg.ram_size = 32 * 1024;
        if (domains.create(cfg, &d) != 0) std::abort();
    }
    for (Domain* d : dom) {
        __builtin_memset(d->ram_ptr(d->ram_base(), d->ram_size()), 0, d->ram_size());
        d->vcpu(0).regs = GuestRegs{};
    }
    machine.console.clear();
    static test::FakeMachineMemory& memory = *new test::FakeMachineMemory(machine);
    static uint64_t page_store[4096];
    optee_model::Config mc;
    mc.memory = &memory;
    mc.page_store = page_store;
    mc.page_store_size = 4096;
    static optee_model::Model& model = *new optee_model::Model(mc);
    model = optee_model::Model(mc);
    test::use_optee_model(machine, model);
    tee::set_pages(&alloc);
    tee::reset();
    tee::init();
    const uint64_t free_before = alloc.free_pages();
    check(tee::enable(*dom[1], abi::kTeeOptee, {3, 8}) == 0, "enable d1");
    check(tee::enable(*dom[2], abi::kTeeOptee, {16, 2048}) == 0, "enable d2");

    // A record: a selector, x0..x7, 96 bytes of message (a header and two
    // parameters) written into the guest before a CALL_WITH_ARG, and 8 page-list
    // entries written into one of its pages (a list page its memory references
    // may name).
    constexpr size_t kMessage = 96;
    constexpr size_t kList = 64;
    constexpr size_t kRecord = 1 + 8 * 8 + kMessage + kList;
    uint64_t last_thread = 0;  // the last thread a guest was told to resume
    for (size_t off = 0; off + kRecord <= size; off += kRecord) {
        uint8_t sel = data[off];
        uint64_t x[8];
        std::memcpy(x, data + off + 1, sizeof x);
        Domain& d = *dom[sel % 3];
        if (sel & 0x08) x[0] = kInteresting[(x[0] >> 8) % (sizeof kInteresting / 4)];
        auto conduit = (sel & 0x04) ? smccc::Conduit::Hvc : smccc::Conduit::Smc;
        if (sel & 0x10) {
            // A message in one of the guest's pages, mostly well-formed.
            x[0] = op::kCallWithArg;
            const uint64_t guest_pages = d.ram_size() / kPageSize;
            Ipa at = d.ram_base() + ((x[3] & 0xff) % guest_pages) * kPageSize;
            Ipa list = d.ram_base() + ((x[4] & 0xff) % guest_pages) * kPageSize;
            uint8_t msg[kMessage];
            std::memcpy(msg, data + off + 1 + 64, kMessage);
            uint64_t entries[kList / 8];
            std::memcpy(entries, data + off + 1 + 64 + kMessage, kList);
            if (sel & 0x20) {
                auto* h = reinterpret_cast<op::MsgArg*>(msg);
                h->cmd %= 6;
                h->func %= 2;  // the TAs' commands (the increment TA's 1 suspends)
                h->num_params %= 3;
                auto* p = reinterpret_cast<op::MsgParam*>(msg + sizeof(op::MsgArg));
                for (int i = 0; i < 2; ++i) {
                    // Often a non-contiguous memory reference, else any type.
                    p[i].attr = ((p[i].attr >> 10) & 1) ? op::kAttrTmemInout | op::kAttrNoncontig
                                                        : p[i].attr & 0x3ff;
                    // Memory references name the list page, at some offset, and
                    // a size of a few pages; cookies are small numbers.
                    p[i].a = list.value() | (p[i].a & 0xfff);
                    // Mostly a few pages; sometimes more than one list page.
                    p[i].b %= ((x[5] >> 9) & 1 ? 1200 : 6) * kPageSize;
                    p[i].c &= 3;
                }
                if (h->cmd == op::kMsgCmdOpenSession && h->num_params == 2) {
                    const optee_model::tas::Uuid uuids[] = {
                        optee_model::tas::kIncrement, optee_model::tas::kBuffers,
                        optee_model::tas::kNotInstalled, optee_model::tas::kLoadable};
                    const auto& u = uuids[(p[0].a >> 12) % 4];
                    p[0] = {op::kAttrMeta | op::kAttrValueInput, u.a, u.b, 0};
                    p[1] = {op::kAttrMeta | op::kAttrValueInput, 0, 0, op::kLoginPublic};
                }
                // Entries are mostly the guest's own pages; the last (a next
                // list page, below) sometimes any address in its RAM.
                const uint64_t raw_next = entries[7];
                for (auto& e : entries) {
                    if (!(e >> 63)) e = (d.ram_base() + (e % guest_pages) * kPageSize).value();
                }
                if ((raw_next >> 62) == 1)
                    entries[7] = d.ram_base().value() + raw_next % d.ram_size();
            }
            if ((x[5] >> 8) & 1) {
                // A whole list page: the entries given, over and over, and the
                // last one (as the input has it) as the next list page.
                uint64_t page[512];
                for (unsigned i = 0; i < 511; ++i) page[i] = entries[i % 7];
                page[511] = entries[7];
                d.copy_to_guest(list, page, sizeof page);
            } else {
                d.copy_to_guest(list, entries, sizeof entries);
            }
            d.copy_to_guest(at, msg, kMessage);
            x[1] = at.value() >> 32;
            x[2] = at.value() & 0xffffffffu;
        } else if (sel & 0x40) {
            x[0] = op::kReturnFromRpc;
            if (sel & 0x80) {
                // The thread it was told about, and (for ALLOC) a buffer in its RAM.
                x[3] = last_thread;
                Ipa buf = d.ram_base() + (x[2] % d.ram_size());
                x[1] = (x[1] & 1) ? buf.value() >> 32 : x[1];
                x[2] = buf.value() & 0xffffffffu;
            }
        }

        Vcpu& v = d.vcpu(0);
        for (unsigned i = 0; i < 31; ++i) v.regs.x[i] = 0x1000 + i;
        std::memcpy(v.regs.x, x, sizeof x);
        GuestRegs before = v.regs;
        uint64_t total_before = model.total_calls();
        uint64_t from[4];
        for (uint16_t c = 0; c < 4; ++c) from[c] = model.calls_from(c);

        // As the trap path does it: the mediator's fast path, then the dispatcher.
        if (!tee::answer_fast(v)) smccc::dispatch(v, conduit);
        if (op::is_rpc(static_cast<uint32_t>(v.regs.x[0]))) {
            const auto rpc = static_cast<uint32_t>(v.regs.x[0]);
            check(rpc == op::kRpcForeignIntr || rpc == op::kRpcAlloc || rpc == op::kRpcCmd ||
                      rpc == op::kRpcFree,
                  "only the RPCs a guest serves reach it");
            last_thread = v.regs.x[3];
        }

        for (unsigned i = 4; i < 31; ++i) check(v.regs.x[i] == before.x[i], "x4..x30 preserved");
        check(model.partitions() == 2 && model.partitions_of(2) == 1 && model.partitions_of(3) == 1,
              "guests cannot create or destroy partitions");
        if (!d.tee().enabled()) {
            check(model.total_calls() == total_before, "no TEE: secure world untouched");
        }
        for (uint16_t c = 0; c < 4; ++c) {
            if (c != d.tee().client.value)
                check(model.calls_from(c) == from[c], "acts as itself only");
        }
        for (Domain* g : {dom[1], dom[2]}) {
            const auto& t = g->tee();
            // An OPEN in flight holds its place in the quota before OP-TEE has
            // the session.
            check(t.in_use.sessions == model.sessions_of(t.client.value) ||
                      (model.suspended_threads_of(t.client.value) &&
                       t.in_use.sessions == model.sessions_of(t.client.value) + 1),
                  "the mediator counts the sessions OP-TEE holds");
            check(t.in_use.sessions <= t.quotas.sessions, "sessions within the quota");
            check(model.suspended_threads_of(t.client.value) <= 1,
                  "a guest holds one of OP-TEE's two threads at most");
            if (!model.suspended_threads_of(t.client.value)) {
                check(g->pinned_pages() == model.registered_pages_of(t.client.value),
                      "pinned: exactly the pages OP-TEE holds");
                check(t.in_use.shm_pages == g->pinned_pages(), "shared pages counted");
            }
            check(t.in_use.shm_pages <= t.quotas.shm_pages, "shared pages within the quota");
        }
        if (static_cast<uint32_t>(before.x[0]) == op::kExchangeCapabilities &&
            v.regs.x[0] == op::kOk && d.tee().enabled()) {
            check((v.regs.x[1] & op::kCapVirtualization) == 0, "VIRTUALIZATION never shown");
        }
    }
    for (Domain* g : {dom[1], dom[2]}) {
        if (g->tee().enabled()) check(tee::disable(*g) == 0, "disable");
    }
    check(model.suspended_threads() == 0, "no OP-TEE thread left suspended");
    check(dom[1]->pinned_pages() == 0 && dom[2]->pinned_pages() == 0, "no page left pinned");
    check(alloc.free_pages() == free_before, "every page the mediator took came back");
    tee::reset();
    tee::set_pages(nullptr);
    return 0;
}
