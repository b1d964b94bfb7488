// SPDX-License-Identifier: Apache-2.0
// A guest whose OP-TEE calls get suspended in RPCs, over the conduit its device
// tree names.
// bootargs:
//   mode=rpc   serves OP-TEE's RPCs as Linux's driver and tee-supplicant do:
//              opening a session with a TA OP-TEE does not have makes OP-TEE ask
//              for an RPC argument (ALLOC), for the TA (CMD LOAD_TA: none here),
//              and free the argument (FREE); opening one with a TA the guest
//              supplies adds a buffer for it (CMD SHM_ALLOC, answered with a
//              page list), the TA loaded into it (LOAD_TA) and the buffer freed
//              (SHM_FREE), and the session opens. An RPC argument outside its
//              RAM is no buffer at all. Then it makes a call that OP-TEE
//              suspends with FOREIGN_INTR and resumes it: not with a thread that
//              is not its own, once with its own, not twice.
//   mode=hold  keeps one call suspended (holding one of OP-TEE's threads), finds
//              that a second is refused with ETHREAD_LIMIT, yields to the other
//              guests for a while, then resumes the held call.
#include <cstring>

#include "guest/guest.h"
#include "optee_msg.h"
#include "warden/optee.h"

namespace {

namespace op = warden::abi::optee;
namespace tas = warden::optee_model::tas;
bool g_smc = true;
optee_msg::MessagePage g_msg;
optee_msg::MessagePage g_second;

guest::Regs resume(uint64_t thread) {
    return guest::call(g_smc, {{op::kReturnFromRpc, 0, 0, thread, 0, 0, 0, 0}});
}

// Opens a session with the increment TA.
uint32_t open_session() {
    optee_msg::open_session(g_msg);
    GUEST_CHECK(optee_msg::send(g_smc, g_msg) == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess);
    return g_msg.h.session;
}

// An "add one after an interrupt" call: OP-TEE suspends it with FOREIGN_INTR.
// Returns the thread it is suspended in.
// What the guest gives OP-TEE through RPCs (MMU off: addresses are IPAs).
optee_msg::MessagePage g_rpc_arg;
alignas(4096) uint8_t g_ta_buffer[4096];
alignas(4096) uint64_t g_ta_list[512];
const char* g_rpc_log[16];
unsigned g_rpc_count = 0;

// Serves one RPC request as Linux's driver and tee-supplicant would; returns the
// registers to resume the thread with. `supply` says whether the TA exists.
guest::Regs serve(const guest::Regs& req, bool supply, uint64_t arg_at) {
    const auto rpc = static_cast<uint32_t>(req.x[0]);
    guest::Regs out{{op::kReturnFromRpc, 0, 0, req.x[3], 0, 0, 0, 0}};
    auto note = [](const char* what) {
        if (g_rpc_count < 16) g_rpc_log[g_rpc_count++] = what;
    };
    switch (rpc) {
    case op::kRpcAlloc:
        note("ALLOC");
        GUEST_CHECK(req.x[1] == op::kRpcArgSize);
        out.x[1] = arg_at >> 32;
        out.x[2] = arg_at & 0xffffffffu;
        out.x[4] = 0;
        out.x[5] = 0xa11c;  // the cookie
        break;
    case op::kRpcCmd: {
        GUEST_CHECK(((req.x[1] << 32) | req.x[2]) == 0xa11c);
        op::MsgArg& h = g_rpc_arg.h;
        op::MsgParam* p = g_rpc_arg.p;
        if (h.cmd == op::kRpcCmdLoadTa && p[1].b == 0) {
            note("LOAD_TA (size)");
            h.ret = supply ? op::kTeecSuccess : op::kTeecErrorItemNotFound;
            p[1].b = sizeof(tas::TaImage);
        } else if (h.cmd == op::kRpcCmdShmAlloc) {
            note("SHM_ALLOC");
            g_ta_list[0] = reinterpret_cast<uint64_t>(g_ta_buffer);
            p[0] = {op::kAttrTmemOutput | op::kAttrNoncontig, reinterpret_cast<uint64_t>(g_ta_list),
                    p[0].b, 0x5b};
            h.ret = op::kTeecSuccess;
        } else if (h.cmd == op::kRpcCmdLoadTa) {
            note("LOAD_TA (data)");
            // The buffer comes back by its cookie, at an offset into it.
            GUEST_CHECK(p[1].attr == op::kAttrRmemOutput && p[1].c == 0x5b &&
                        p[1].a + sizeof(tas::TaImage) <= sizeof g_ta_buffer);
            auto* image = reinterpret_cast<tas::TaImage*>(g_ta_buffer + p[1].a);
            *image = {tas::kTaImageMagic, tas::kLoadable.a, tas::kLoadable.b};
            h.ret = op::kTeecSuccess;
        } else if (h.cmd == op::kRpcCmdShmFree) {
            note("SHM_FREE");
            GUEST_CHECK(p[0].b == 0x5b);
            h.ret = op::kTeecSuccess;
        } else {
            guest::fail("unexpected RPC command %u", h.cmd);
        }
        break;
    }
    case op::kRpcFree:
        note("FREE");
        GUEST_CHECK(((req.x[1] << 32) | req.x[2]) == 0xa11c);
        break;
    default:
        guest::fail("unexpected RPC 0x%x", rpc);
    }
    return out;
}

// Opens a session with `uuid`, serving every RPC on the way; returns a0.
uint64_t open_serving(tas::Uuid uuid, bool supply, uint64_t arg_at) {
    optee_msg::open_session(g_msg);
    g_msg.p[0].a = uuid.a;
    g_msg.p[0].b = uuid.b;
    g_rpc_count = 0;
    guest::Regs r = optee_msg::call_with_arg(g_smc, g_msg);
    for (int i = 0; i < 16 && op::is_rpc(static_cast<uint32_t>(r.x[0])); ++i) {
        r = guest::call(g_smc, serve(r, supply, arg_at));
    }
    return r.x[0];
}

void print_rpcs(const char* what) {
    char line[160];
    unsigned n = 0;
    for (unsigned i = 0; i < g_rpc_count; ++i) {
        for (const char* c = g_rpc_log[i]; *c && n + 2 < sizeof line; ++c) line[n++] = *c;
        if (i + 1 < g_rpc_count && n + 2 < sizeof line) {
            line[n++] = ',';
            line[n++] = ' ';
        }
    }
    line[n] = '\0';
    guest::print("optee_rpc: %s: RPCs served: %s", what, line);
}

int rpc_mode() {
    const auto arg_at = reinterpret_cast<uint64_t>(&g_rpc_arg);
    GUEST_CHECK(open_serving(tas::kNotInstalled, false, arg_at) == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecErrorItemNotFound);
    GUEST_CHECK(g_msg.h.ret_origin == op::kOriginTee);
    print_rpcs("a TA nobody has");
    guest::print("optee_rpc: a TA nobody has: ret 0x%x origin %u", g_msg.h.ret, g_msg.h.ret_origin);

    GUEST_CHECK(open_serving(tas::kLoadable, true, arg_at) == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess);
    print_rpcs("a TA I supply");
    const uint32_t loaded = g_msg.h.session;
    optee_msg::invoke_add_one(g_msg, loaded, 9);
    GUEST_CHECK(optee_msg::send(g_smc, g_msg) == op::kOk && g_msg.p[0].a == 10);
    guest::print("optee_rpc: a TA I supply: loaded, session %u answers 9 + 1 = %lu", loaded,
                 g_msg.p[0].a);
    optee_msg::close_session(g_msg, loaded);
    GUEST_CHECK(optee_msg::send(g_smc, g_msg) == op::kOk && g_msg.h.ret == op::kTeecSuccess);

    // An RPC argument at an address that is not this guest's RAM.
    GUEST_CHECK(open_serving(tas::kNotInstalled, false, 0x0e000000) == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecErrorOutOfMemory);
    guest::print("optee_rpc: an RPC argument outside my RAM: OP-TEE got no buffer (0x%x)",
                 g_msg.h.ret);

    uint32_t session = open_session();
    uint64_t thread = optee_msg::start_interrupted(g_smc, g_msg, session, 41);
    guest::print("optee_rpc: call suspended in OP-TEE thread %lu (FOREIGN_INTR)", thread);
    GUEST_CHECK(resume(thread + 1).x[0] == op::kEResume);
    auto r = resume(thread);
    GUEST_CHECK(r.x[0] == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess && g_msg.p[0].a == 42);
    guest::print("optee_rpc: resumed: 41 + 1 = %lu, another thread number: ERESUME", g_msg.p[0].a);
    GUEST_CHECK(resume(thread).x[0] == op::kEResume);
    guest::print("optee_rpc: resuming the finished call again: ERESUME");
    return 0;
}

int hold_mode() {
    uint32_t session = open_session();
    uint64_t thread = optee_msg::start_interrupted(g_smc, g_msg, session, 41);
    guest::print("optee_rpc: holding OP-TEE thread %lu", thread);
    optee_msg::invoke_add_one(g_second, session, 1);
    g_second.h.func = tas::kIncrementCmdAddOneAfterInterrupt;
    GUEST_CHECK(optee_msg::send(g_smc, g_second) == op::kEThreadLimit);
    guest::print("optee_rpc: a second suspended call: ETHREAD_LIMIT");
    for (int i = 0; i < 200; ++i) guest::yield();
    GUEST_CHECK(resume(thread).x[0] == op::kOk && g_msg.p[0].a == 42);
    guest::print("optee_rpc: held call resumed: 41 + 1 = %lu", g_msg.p[0].a);
    return 0;
}

}  // namespace

int guest_main() {
    g_smc = optee_msg::smc_from_device_tree();
    char mode[8] = "rpc";
    guest::bootarg("mode", mode, sizeof mode);
    int rc = std::strcmp(mode, "hold") == 0 ? hold_mode() : rpc_mode();
    guest::print("optee_rpc: done");
    return rc;
}
