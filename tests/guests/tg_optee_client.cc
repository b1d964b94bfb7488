// SPDX-License-Identifier: Apache-2.0
// A guest that looks for OP-TEE the way Linux does: in its device tree
// (/firmware/optee, compatible "linaro,optee-tz"), over the conduit the node names.
// With OP-TEE it then does what a TEE client does: shares a buffer with the
// model's "buffers" TA (registered from a page list, checksummed and filled by
// the TA, unregistered), opens a session with the "increment" TA, invokes it
// with a value parameter, checks that no other session ID is its to use, and
// closes the session.
// bootargs: expect=optee|none (what it must find), forge=N (also call with w7 = N,
// another guest's client ID, and a marker in a1 that the secure world's trace shows),
// hold=1 (keep the session open at the end).
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

guest::Regs tee(uint64_t fn, uint64_t a1 = 0, uint64_t a7 = 0) {
    return guest::call(g_smc, {{fn, a1, 0, 0, 0, 0, 0, a7}});
}

// "smc", "hvc", or nullptr when the device tree has no OP-TEE node.
const char* optee_method() {
    const void* fdt = guest::device_tree();
    if (!fdt) return nullptr;
    int node = fdt_path_offset(fdt, "/firmware/optee");
    if (node < 0 || fdt_node_check_compatible(fdt, node, "linaro,optee-tz") != 0) return nullptr;
    return static_cast<const char*>(fdt_getprop(fdt, node, "method", nullptr));
}

int check_optee() {
    auto uid = tee(op::kCallsUid);
    for (int i = 0; i < 4; ++i) GUEST_CHECK(uid.x[i] == op::kApiUid[i]);
    auto rev = tee(op::kCallsRevision);
    GUEST_CHECK(rev.x[0] == op::kApiRevisionMajor);
    auto os_uuid = tee(op::kGetOsUuid);
    for (int i = 0; i < 4; ++i) GUEST_CHECK(os_uuid.x[i] == op::kOsUuid[i]);
    auto os = tee(op::kGetOsRevision);
    auto caps = tee(op::kExchangeCapabilities, op::kNsecCapUniprocessor);
    GUEST_CHECK(caps.x[0] == op::kOk);
    GUEST_CHECK((caps.x[1] & op::kCapVirtualization) == 0);
    GUEST_CHECK((caps.x[1] & op::kCapDynamicShm) != 0);
    auto threads = tee(op::kGetThreadCount);
    GUEST_CHECK(threads.x[0] == op::kOk);
    guest::print("optee: found over %s: OP-TEE %lu.%lu, capabilities 0x%lx, %lu threads",
                 g_smc ? "smc" : "hvc", os.x[0], os.x[1], caps.x[1], threads.x[1]);

    // What a guest must not be able to do.
    GUEST_CHECK(tee(op::kVmCreated, 9).x[0] == op::kUnknownFunction);
    GUEST_CHECK(tee(op::kVmDestroyed, 2).x[0] == op::kUnknownFunction);
    GUEST_CHECK(tee(op::kGetShmConfig).x[0] == op::kENotAvail);
    GUEST_CHECK(tee(op::kCallWithArg, 0x40000000).x[0] == op::kEBadAddr);  // not my memory
    guest::print("optee: lifecycle calls refused, a message outside my RAM refused");

    char forge[8];
    if (guest::bootarg("forge", forge, sizeof forge)) {
        uint64_t other = forge[0] - '0';
        auto r = tee(op::kGetOsRevision, 0xf04ced, other);
        GUEST_CHECK(r.x[0] == os.x[0]);
        guest::print("optee: call with forged client ID %lu answered", other);
    }
    return 0;
}

uint64_t send() {
    return optee_msg::send(g_smc, g_msg);
}

void invoke_msg(uint32_t session, uint64_t value) {
    g_msg = optee_msg::MessagePage{};
    optee_msg::invoke_add_one(g_msg, session, value);
}

// Two pages of the guest's memory, shared with the TA through a page list
// that names them in reverse order (MMU off: addresses are IPAs).
alignas(4096) uint8_t g_shared[2][4096];
alignas(4096) uint64_t g_list[512];

// Byte i of the buffer as the list orders its pages.
uint8_t& shared_byte(uint64_t i) {
    return g_shared[1 - i / 4096][i & 4095];
}

uint64_t hash_shared(uint64_t size) {
    uint64_t h = tas::kFnvOffset;
    for (uint64_t i = 0; i < size; ++i) h = tas::fnv1a(h, &shared_byte(i), 1);
    return h;
}

int use_a_shared_buffer() {
    constexpr uint64_t kSize = 2 * 4096, kCookie = 0x5eed;
    for (uint64_t i = 0; i < kSize; ++i) shared_byte(i) = static_cast<uint8_t>(i * 3);
    g_list[0] = reinterpret_cast<uint64_t>(g_shared[1]);
    g_list[1] = reinterpret_cast<uint64_t>(g_shared[0]);
    optee_msg::open_session(g_msg);
    g_msg.p[0].a = tas::kBuffers.a;
    g_msg.p[0].b = tas::kBuffers.b;
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    const uint32_t session = g_msg.h.session;

    g_msg = optee_msg::MessagePage{};
    g_msg.h.cmd = op::kMsgCmdRegisterShm;
    g_msg.h.num_params = 1;
    g_msg.p[0] = {op::kAttrTmemInout | op::kAttrNoncontig, reinterpret_cast<uint64_t>(g_list),
                  kSize, kCookie};
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);

    auto invoke = [&](uint32_t cmd, uint64_t attr, uint64_t value_attr, uint64_t seed) {
        g_msg = optee_msg::MessagePage{};
        g_msg.h.cmd = op::kMsgCmdInvokeCommand;
        g_msg.h.func = cmd;
        g_msg.h.session = session;
        g_msg.h.num_params = 2;
        g_msg.p[0] = {attr, 0, kSize, kCookie};
        g_msg.p[1] = {value_attr, seed, 0, 0};
        GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    };
    invoke(tas::kBuffersCmdChecksum, op::kAttrRmemInput, op::kAttrValueOutput, 0);
    const uint64_t mine = hash_shared(kSize);
    guest::print("optee: the buffers TA checksummed my 8 KiB shared buffer: 0x%lx (mine: 0x%lx)",
                 g_msg.p[1].a, mine);
    GUEST_CHECK(g_msg.p[1].a == mine);
    invoke(tas::kBuffersCmdFill, op::kAttrRmemOutput, op::kAttrValueInput, 7);
    for (uint64_t i = 0; i < kSize; ++i) {
        GUEST_CHECK(shared_byte(i) == tas::fill_byte(7, i));
    }
    guest::print("optee: the buffers TA filled it: all %lu bytes as expected", kSize);

    g_msg = optee_msg::MessagePage{};
    g_msg.h.cmd = op::kMsgCmdUnregisterShm;
    g_msg.h.num_params = 1;
    g_msg.p[0] = {op::kAttrRmemInput, 0, 0, kCookie};
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    optee_msg::close_session(g_msg, session);
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    return 0;
}

int use_a_session() {
    optee_msg::open_session(g_msg);
    GUEST_CHECK(send() == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess);
    const uint32_t session = g_msg.h.session;

    invoke_msg(session, 41);
    GUEST_CHECK(send() == op::kOk);
    GUEST_CHECK(g_msg.h.ret == op::kTeecSuccess);
    GUEST_CHECK(g_msg.h.ret_origin == op::kOriginTrustedApp);
    guest::print("optee: session %u: the increment TA answered 41 + 1 = %lu", session,
                 g_msg.p[0].a);
    GUEST_CHECK(g_msg.p[0].a == 42);

    // Every other session ID belongs to someone else, or to no one.
    for (uint32_t other = 1; other <= 8; ++other) {
        if (other == session) continue;
        invoke_msg(other, 1);
        GUEST_CHECK(send() == op::kOk);
        GUEST_CHECK(g_msg.h.ret != op::kTeecSuccess);
    }
    guest::print("optee: no other session is mine to use");

    char hold[4];
    if (guest::bootarg("hold", hold, sizeof hold)) return 0;
    optee_msg::close_session(g_msg, session);
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    invoke_msg(session, 1);
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret != op::kTeecSuccess);
    guest::print("optee: session %u closed", session);
    return 0;
}

int check_none() {
    const bool conduits[] = {false, true};
    for (bool smc : conduits) {
        g_smc = smc;
        GUEST_CHECK(tee(op::kCallsUid).x[0] == 0xffffffffu);
        GUEST_CHECK(tee(op::kGetOsRevision).x[0] == 0xffffffffu);
        GUEST_CHECK(tee(op::kCallWithArg, 0x40000000).x[0] == 0xffffffffu);
    }
    guest::print("optee: no TEE node; calls over hvc and smc get NOT_SUPPORTED");
    return 0;
}

}  // namespace

int guest_main() {
    char expect[16] = "optee";
    guest::bootarg("expect", expect, sizeof expect);
    const char* method = optee_method();
    int rc;
    if (std::strcmp(expect, "none") == 0) {
        GUEST_CHECK(method == nullptr);
        rc = check_none();
    } else {
        if (!method) guest::fail("no /firmware/optee node in my device tree");
        g_smc = std::strcmp(method, "hvc") != 0;
        rc = check_optee();
        if (rc == 0) rc = use_a_shared_buffer();
        if (rc == 0) rc = use_a_session();
    }
    guest::print("optee_client: done");
    return rc;
}
