// SPDX-License-Identifier: Apache-2.0
// A guest whose OP-TEE calls get suspended in RPCs, over the conduit its device
// tree names.
// bootargs:
//   mode=rpc   opens a session with a TA OP-TEE does not have (OP-TEE asks for an
//              RPC argument to load it with; the mediator answers that itself),
//              then makes a call that OP-TEE suspends with FOREIGN_INTR and
//              resumes it: not with a thread that is not its own, once with its
//              own, not twice.
//   mode=hold  keeps one call suspended (holding one of OP-TEE's threads), finds
//              that a second is refused with ETHREAD_LIMIT, yields to the other
//              guests for a while, then resumes the held call.
#include <cstring>

#include "guest/guest.h"
#include "optee_msg.h"
#include "warden/optee.h"

extern "C" {
#include <libfdt.h>
}

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
uint64_t start_interrupted(optee_msg::MessagePage& m, uint32_t session, uint64_t value) {
    optee_msg::invoke_add_one(m, session, value);
    m.h.func = tas::kIncrementCmdAddOneAfterInterrupt;
    auto r = guest::call(g_smc, {{op::kCallWithArg, reinterpret_cast<uint64_t>(&m) >> 32,
                                  reinterpret_cast<uint64_t>(&m) & 0xffffffffu, 0, 0, 0, 0, 0}});
    GUEST_CHECK(r.x[0] == op::kRpcForeignIntr);
    return r.x[3];
}

int rpc_mode() {
    optee_msg::open_session(g_msg);
    g_msg.p[0].a = tas::kNotInstalled.a;
    g_msg.p[0].b = tas::kNotInstalled.b;
    GUEST_CHECK(optee_msg::send(g_smc, g_msg) == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecErrorOutOfMemory);
    GUEST_CHECK(g_msg.h.ret_origin == op::kOriginTee);
    guest::print("optee_rpc: a TA OP-TEE must load: its RPCs answered for me, ret 0x%x origin %u",
                 g_msg.h.ret, g_msg.h.ret_origin);

    uint32_t session = open_session();
    uint64_t thread = start_interrupted(g_msg, session, 41);
    guest::print("optee_rpc: call suspended in OP-TEE thread %lu (FOREIGN_INTR)", thread);
    GUEST_CHECK(resume(thread + 1).x[0] == op::kEResume);
    auto r = resume(thread);
    GUEST_CHECK(r.x[0] == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess && g_msg.p[0].a == 42);
    guest::print("optee_rpc: resumed: 41 + 1 = %lu; another thread number: ERESUME", g_msg.p[0].a);
    GUEST_CHECK(resume(thread).x[0] == op::kEResume);
    guest::print("optee_rpc: resuming the finished call again: ERESUME");
    return 0;
}

int hold_mode() {
    uint32_t session = open_session();
    uint64_t thread = start_interrupted(g_msg, session, 41);
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
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node < 0) guest::fail("no /firmware/optee node in my device tree");
    const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
    g_smc = !method || std::strcmp(method, "hvc") != 0;
    char mode[8] = "rpc";
    guest::bootarg("mode", mode, sizeof mode);
    int rc = std::strcmp(mode, "hold") == 0 ? hold_mode() : rpc_mode();
    guest::print("optee_rpc: done");
    return rc;
}
