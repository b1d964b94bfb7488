// SPDX-License-Identifier: Apache-2.0
// OP-TEE messages from a test guest: the conduit its device tree names, a
// page-aligned message (MMU off: its address is its IPA), CALL_WITH_ARG, and the
// messages that drive the OP-TEE model's "increment" TA (test_tas.h).
#pragma once

#include <cstdint>

#include "guest/guest.h"
#include "test_tas.h"
#include "warden/optee.h"

extern "C" {
#include <libfdt.h>
}

namespace optee_msg {

namespace op = warden::abi::optee;
namespace tas = warden::optee_model::tas;

struct alignas(4096) MessagePage {
    op::MsgArg h;
    op::MsgParam p[6];
};

// The conduit /firmware/optee names: true for SMC (the default), false for HVC.
// A guest without the node fails.
inline bool smc_from_device_tree() {
    const void* fdt = guest::device_tree();
    int node = fdt ? fdt_path_offset(fdt, "/firmware/optee") : -1;
    if (node < 0) guest::fail("no /firmware/optee node in my device tree");
    const char* method = static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
    return !method || __builtin_strcmp(method, "hvc") != 0;
}

// One CALL_WITH_ARG with `m`, whatever comes back (RPC requests included).
inline guest::Regs call_with_arg(bool smc, const MessagePage& m) {
    auto at = reinterpret_cast<uint64_t>(&m);
    return guest::call(smc, {{op::kCallWithArg, at >> 32, at & 0xffffffffu, 0, 0, 0, 0, 0}});
}

// One CALL_WITH_ARG with `m`, over SMC or HVC; returns a0. A call suspended
// for an interrupt (FOREIGN_INTR: also how the mediator splits long work) is
// resumed, as Linux's driver does.
inline uint64_t send(bool smc, const MessagePage& m) {
    guest::Regs r = call_with_arg(smc, m);
    while (r.x[0] == op::kRpcForeignIntr) {
        r = guest::call(smc, {{op::kReturnFromRpc, 0, 0, r.x[3], 0, 0, 0, 0}});
    }
    return r.x[0];
}

// OPEN_SESSION with the increment TA, public login.
inline void open_session(MessagePage& m) {
    m = MessagePage{};
    m.h.cmd = op::kMsgCmdOpenSession;
    m.h.num_params = 2;
    m.p[0] = {op::kAttrMeta | op::kAttrValueInput, tas::kIncrement.a, tas::kIncrement.b, 0};
    m.p[1] = {op::kAttrMeta | op::kAttrValueInput, 0, 0, op::kLoginPublic};
}

// INVOKE_COMMAND "add one" with `value` as its VALUE_INOUT parameter. Only the
// header and that parameter are written (the benchmark calls this in its loop).
inline void invoke_add_one(MessagePage& m, uint32_t session, uint64_t value) {
    m.h = op::MsgArg{};
    m.h.cmd = op::kMsgCmdInvokeCommand;
    m.h.func = tas::kIncrementCmdAddOne;
    m.h.session = session;
    m.h.num_params = 1;
    m.p[0] = {op::kAttrValueInout, value, 0, 0};
}

// The increment TA's "add one after an interrupt" on `value`: OP-TEE suspends
// it with FOREIGN_INTR. Returns the thread the call is held in.
inline uint64_t start_interrupted(bool smc, MessagePage& m, uint32_t session, uint64_t value) {
    invoke_add_one(m, session, value);
    m.h.func = tas::kIncrementCmdAddOneAfterInterrupt;
    guest::Regs r = call_with_arg(smc, m);
    GUEST_CHECK(r.x[0] == op::kRpcForeignIntr);
    return r.x[3];
}

inline void close_session(MessagePage& m, uint32_t session) {
    m = MessagePage{};
    m.h.cmd = op::kMsgCmdCloseSession;
    m.h.session = session;
}

}  // namespace optee_msg
