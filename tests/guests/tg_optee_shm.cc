// SPDX-License-Identifier: Apache-2.0
// A guest that shares its memory with OP-TEE through the mediator: page lists
// (non-contiguous buffers), REGISTER_SHM / UNREGISTER_SHM and the model's
// "buffers" TA, which checksums and fills memory references.
// bootargs:
//   mode=large     registers a 16 MiB buffer whose pages are listed out of order,
//                  has the TA checksum it (compared with the guest's own hash)
//                  and fill it (checked), unregisters it, then does the same
//                  with a 1 MiB temporary reference. Needs mem=48M and
//                  warden.tee_shm_pages >= 4097.
//   mode=hostile   hands the mediator page lists that point outside its RAM,
//                  at devices and secure memory, misaligned, cyclic, too long,
//                  zero-sized; a contiguous buffer; unknown cookies. Every one
//                  is refused, and then a good registration still works.
//   mode=owner     registers cookie 7, holds a call suspended in an OP-TEE
//                  thread, yields to the other guests for a while, then checks
//                  that its registration, session and call are intact.
//   mode=intruder  tries to use cookie 7, every small session ID and every
//                  OP-TEE thread as if they were its own.
//   mode=quota     (warden.tee_shm_pages=4) registers 3 pages, is refused 2
//                  more, and retries the same call until the control domain
//                  has raised its quota.
//   mode=inflight  registers 2 pages, holds a call suspended in OP-TEE and
//                  waits to be destroyed.
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
constexpr uint64_t kPage = 4096;
constexpr unsigned kEntries = 511;
bool g_smc = true;
uint64_t g_ram = 0, g_ram_size = 0;
optee_msg::MessagePage g_msg;
optee_msg::MessagePage g_held;

uint64_t send(optee_msg::MessagePage& m = g_msg) {
    return optee_msg::send(g_smc, m);
}

// Where things go in RAM (the image and its stack sit in the first MiB).
uint64_t data_base() {
    return g_ram + (4u << 20);
}
uint64_t list_base() {
    return g_ram + g_ram_size - (1u << 20);
}

// Page i of an n-page buffer: the data pages in a scrambled order.
uint64_t buffer_page(uint64_t i, uint64_t n) {
    return data_base() + ((i * 1031) % n) * kPage;
}

// Writes the page list of an n-page buffer at `list`; returns the list's address.
uint64_t write_list(uint64_t list, uint64_t n) {
    auto* e = reinterpret_cast<uint64_t*>(list);
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t lp = i / kEntries, k = i % kEntries;
        e[lp * 512 + k] = buffer_page(i, n);
        if (k == 0) e[lp * 512 + kEntries] = list + (lp + 1) * kPage;
    }
    return list;
}

uint8_t& byte_at(uint64_t offset_in_buffer, uint64_t first_offset, uint64_t n) {
    uint64_t pos = first_offset + offset_in_buffer;
    return *reinterpret_cast<uint8_t*>(buffer_page(pos / kPage, n) + pos % kPage);
}

uint32_t open_buffers() {
    optee_msg::open_session(g_msg);
    g_msg.p[0].a = tas::kBuffers.a;
    g_msg.p[0].b = tas::kBuffers.b;
    GUEST_CHECK(send() == op::kOk && g_msg.h.ret == op::kTeecSuccess);
    return g_msg.h.session;
}

uint32_t register_shm(uint64_t buf_ptr, uint64_t size, uint64_t cookie, uint64_t attr = 0) {
    g_msg = optee_msg::MessagePage{};
    g_msg.h.cmd = op::kMsgCmdRegisterShm;
    g_msg.h.num_params = 1;
    g_msg.p[0] = {attr ? attr : op::kAttrTmemInout | op::kAttrNoncontig, buf_ptr, size, cookie};
    GUEST_CHECK(send() == op::kOk);
    return g_msg.h.ret;
}

uint32_t unregister_shm(uint64_t cookie) {
    g_msg = optee_msg::MessagePage{};
    g_msg.h.cmd = op::kMsgCmdUnregisterShm;
    g_msg.h.num_params = 1;
    g_msg.p[0] = {op::kAttrRmemInput, 0, 0, cookie};
    GUEST_CHECK(send() == op::kOk);
    return g_msg.h.ret;
}

// The buffers TA's command on memory reference `ref`; returns the TEEC result.
uint32_t buffers(uint32_t session, uint32_t cmd, op::MsgParam ref, uint64_t seed = 0) {
    g_msg = optee_msg::MessagePage{};
    g_msg.h.cmd = op::kMsgCmdInvokeCommand;
    g_msg.h.func = cmd;
    g_msg.h.session = session;
    g_msg.h.num_params = 2;
    g_msg.p[0] = ref;
    g_msg.p[1] = {cmd == tas::kBuffersCmdChecksum ? op::kAttrValueOutput : op::kAttrValueInput,
                  seed, 0, 0};
    GUEST_CHECK(send() == op::kOk);
    return g_msg.h.ret;
}

uint64_t guest_hash(uint64_t size, uint64_t first_offset, uint64_t n) {
    uint64_t h = tas::kFnvOffset;
    for (uint64_t i = 0; i < size; ++i) {
        uint8_t b = byte_at(i, first_offset, n);
        h = tas::fnv1a(h, &b, 1);
    }
    return h;
}

void fill_data(uint64_t pages) {
    auto* w = reinterpret_cast<uint64_t*>(data_base());
    for (uint64_t i = 0; i < pages * kPage / 8; ++i) w[i] = i * 0x9e3779b97f4a7c15ull;
}

int large() {
    constexpr uint64_t kSize = 16u << 20, kOffset = 0x100;
    constexpr uint64_t kPages = (kOffset + kSize + kPage - 1) / kPage;  // 4097
    GUEST_CHECK(g_ram_size >= (4u << 20) + kPages * kPage + (1u << 20));
    uint32_t session = open_buffers();
    fill_data(kPages);
    uint64_t list = write_list(list_base(), kPages);
    GUEST_CHECK(register_shm(list | kOffset, kSize, 1) == op::kTeecSuccess);
    guest::print("optee_shm: registered %lu MiB in %lu pages listed out of order", kSize >> 20,
                 kPages);

    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, kSize, 1}) ==
                op::kTeecSuccess);
    uint64_t theirs = g_msg.p[1].a, mine = guest_hash(kSize, kOffset, kPages);
    GUEST_CHECK(theirs == mine && g_msg.p[1].b == kSize);
    guest::print("optee_shm: the TA's checksum of the 16 MiB equals mine: 0x%lx", mine);

    GUEST_CHECK(buffers(session, tas::kBuffersCmdFill, {op::kAttrRmemOutput, 0, kSize, 1}, 9) ==
                op::kTeecSuccess);
    for (uint64_t i = 0; i < kSize; i += 4093) {
        GUEST_CHECK(byte_at(i, kOffset, kPages) == tas::fill_byte(9, i));
    }
    GUEST_CHECK(byte_at(kSize - 1, kOffset, kPages) == tas::fill_byte(9, kSize - 1));
    guest::print("optee_shm: the TA filled the 16 MiB: every sampled byte is right");

    GUEST_CHECK(unregister_shm(1) == op::kTeecSuccess);
    GUEST_CHECK(unregister_shm(1) == op::kTeecErrorItemNotFound);
    guest::print("optee_shm: unregistered, a second unregister: ITEM_NOT_FOUND");

    constexpr uint64_t kTemp = 1u << 20, kTempPages = kTemp / kPage;
    fill_data(kTempPages);
    list = write_list(list_base(), kTempPages);
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum,
                        {op::kAttrTmemInput | op::kAttrNoncontig, list, kTemp, 0}) ==
                op::kTeecSuccess);
    GUEST_CHECK(g_msg.p[1].a == guest_hash(kTemp, 0, kTempPages));
    guest::print("optee_shm: a 1 MiB temporary reference: checksums agree");
    return 0;
}

int hostile() {
    uint32_t session = open_buffers();
    const uint64_t end = g_ram + g_ram_size;
    auto* e = reinterpret_cast<uint64_t*>(list_base());
    const uint64_t list = list_base();
    struct Case {
        const char* what;
        uint64_t entry;  // the list's first entry
        uint64_t buf_ptr;
        uint64_t size;
        uint32_t expect;
    };
    const Case cases[] = {
        {"a page past my RAM", end, list, kPage, op::kTeecErrorBadParameters},
        {"the secure world's RAM", 0x0e000000, list, kPage, op::kTeecErrorBadParameters},
        {"the UART", 0x09000000, list, kPage, op::kTeecErrorBadParameters},
        {"a page below my RAM", g_ram - kPage, list, kPage, op::kTeecErrorBadParameters},
        {"a misaligned page", data_base() + 8, list, kPage, op::kTeecErrorBadParameters},
        {"a list page past my RAM", data_base(), end, kPage, op::kTeecErrorBadParameters},
        {"zero bytes", data_base(), list, 0, op::kTeecErrorBadParameters},
        {"a size that wraps", data_base(), list | 0xfff, ~uint64_t{0}, op::kTeecErrorOutOfMemory},
        {"more than my quota", data_base(), list, 64u << 20, op::kTeecErrorOutOfMemory},
    };
    for (const Case& c : cases) {
        e[0] = c.entry;
        uint32_t ret = register_shm(c.buf_ptr, c.size, 3);
        if (ret != c.expect || g_msg.h.ret_origin != op::kOriginComms) {
            guest::fail("%s: ret 0x%x origin %u", c.what, ret, g_msg.h.ret_origin);
        }
        guest::print("optee_shm: %s: refused (0x%x)", c.what, ret);
    }
    // A list whose next-list pointer is itself, for a buffer longer than a list.
    for (unsigned i = 0; i < kEntries; ++i) e[i] = data_base();
    e[kEntries] = list;
    GUEST_CHECK(register_shm(list, 600 * kPage, 3) == op::kTeecErrorBadParameters);
    guest::print("optee_shm: a cyclic list: refused");
    GUEST_CHECK(register_shm(data_base(), kPage, 3, op::kAttrTmemInout) ==
                op::kTeecErrorBadParameters);
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum,
                        {op::kAttrTmemInput, 0x40200000, kPage, 0}) == op::kTeecErrorBadParameters);
    guest::print("optee_shm: contiguous buffers: refused");
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 16, 3}) ==
                op::kTeecErrorBadParameters);
    GUEST_CHECK(unregister_shm(3) == op::kTeecErrorItemNotFound);
    guest::print("optee_shm: unknown cookies: refused");

    // The hypervisor's physical address, as an address of mine, is my own page.
    e[0] = 0x40200000;
    e[kEntries] = 0;
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum,
                        {op::kAttrTmemInput | op::kAttrNoncontig, list, kPage, 0}) ==
                op::kTeecSuccess);
    uint64_t own = tas::kFnvOffset;
    own = tas::fnv1a(own, reinterpret_cast<const uint8_t*>(0x40200000), kPage);
    GUEST_CHECK(g_msg.p[1].a == own);
    guest::print("optee_shm: address 0x40200000 (the hypervisor's, physically) is my own page");

    // And still: a good registration works.
    fill_data(2);
    write_list(list, 2);
    GUEST_CHECK(register_shm(list, 2 * kPage, 3) == op::kTeecSuccess);
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 2 * kPage, 3}) ==
                op::kTeecSuccess);
    GUEST_CHECK(g_msg.p[1].a == guest_hash(2 * kPage, 0, 2));
    GUEST_CHECK(unregister_shm(3) == op::kTeecSuccess);
    guest::print("optee_shm: after all that, a good buffer still registers and checksums");
    return 0;
}

int owner() {
    uint32_t session = open_buffers();
    fill_data(2);
    write_list(list_base(), 2);
    GUEST_CHECK(register_shm(list_base(), 2 * kPage, 7) == op::kTeecSuccess);
    uint64_t hash = guest_hash(2 * kPage, 0, 2);
    // Hold a call in an OP-TEE thread: the increment TA's "after an interrupt".
    optee_msg::open_session(g_held);
    GUEST_CHECK(send(g_held) == op::kOk && g_held.h.ret == op::kTeecSuccess);
    const uint64_t thread = optee_msg::start_interrupted(g_smc, g_held, g_held.h.session, 41);
    guest::print("optee_shm: owner: cookie 7 registered, session %u, a call held in thread %lu",
                 session, thread);
    for (int i = 0; i < 300; ++i) guest::yield();
    // (While it holds a thread, a guest makes no other call: one of OP-TEE's two
    // threads is its share.)
    auto done = guest::call(g_smc, {{op::kReturnFromRpc, 0, 0, thread, 0, 0, 0, 0}});
    GUEST_CHECK(done.x[0] == op::kOk && g_held.p[0].a == 42);
    GUEST_CHECK(buffers(session, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 2 * kPage, 7}) ==
                op::kTeecSuccess);
    GUEST_CHECK(g_msg.p[1].a == hash);
    GUEST_CHECK(unregister_shm(7) == op::kTeecSuccess);
    guest::print("optee_shm: owner: registration, session and held call all intact");
    return 0;
}

int intruder() {
    for (int i = 0; i < 20; ++i) guest::yield();  // the owner goes first
    uint32_t mine = open_buffers();
    GUEST_CHECK(buffers(mine, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 16, 7}) ==
                op::kTeecErrorBadParameters);
    GUEST_CHECK(unregister_shm(7) == op::kTeecErrorItemNotFound);
    guest::print("optee_shm: intruder: cookie 7 is not mine to use or unregister");
    for (uint32_t s = 1; s <= 8; ++s) {
        if (s == mine) continue;
        GUEST_CHECK(buffers(s, tas::kBuffersCmdChecksum, {op::kAttrRmemInput, 0, 16, 7}) !=
                    op::kTeecSuccess);
    }
    guest::print("optee_shm: intruder: no other session is mine");
    for (uint64_t t = 0; t < 4; ++t) {
        GUEST_CHECK(guest::call(g_smc, {{op::kReturnFromRpc, 0, 0, t, 0, 0, 0, 0}}).x[0] ==
                    op::kEResume);
    }
    guest::print("optee_shm: intruder: no OP-TEE thread is mine to resume");
    return 0;
}

int quota() {
    fill_data(5);
    write_list(list_base(), 3);
    GUEST_CHECK(register_shm(list_base(), 3 * kPage, 1) == op::kTeecSuccess);
    write_list(list_base() + 0x4000, 2);
    uint32_t ret = register_shm(list_base() + 0x4000, 2 * kPage, 2);
    GUEST_CHECK(ret == op::kTeecErrorOutOfMemory && g_msg.h.ret_origin == op::kOriginComms);
    guest::print("optee_shm: quota: 2 more pages past my 4: OUT_OF_MEMORY from the mediator");
    int tries = 0;
    while (ret != op::kTeecSuccess && tries++ < 5000) {
        guest::yield();
        ret = register_shm(list_base() + 0x4000, 2 * kPage, 2);
    }
    GUEST_CHECK(ret == op::kTeecSuccess);
    guest::print("optee_shm: quota: the same call, once my quota was raised: success");
    return 0;
}

[[noreturn]] void inflight() {
    fill_data(2);
    write_list(list_base(), 2);
    GUEST_CHECK(register_shm(list_base(), 2 * kPage, 5) == op::kTeecSuccess);
    optee_msg::open_session(g_held);
    GUEST_CHECK(send(g_held) == op::kOk && g_held.h.ret == op::kTeecSuccess);
    const uint64_t thread = optee_msg::start_interrupted(g_smc, g_held, g_held.h.session, 1);
    guest::print("optee_shm: inflight: 2 pages registered, a call held in thread %lu", thread);
    for (;;) guest::yield();
}

}  // namespace

int guest_main() {
    g_smc = optee_msg::smc_from_device_tree();
    const void* fdt = guest::device_tree();
    int mem = fdt_path_offset(fdt, "/memory");
    int len = 0;
    const auto* reg = static_cast<const fdt64_t*>(fdt_getprop(fdt, mem, "reg", &len));
    if (mem < 0 || !reg || len < 16) guest::fail("no /memory in my device tree");
    g_ram = fdt64_to_cpu(reg[0]);
    g_ram_size = fdt64_to_cpu(reg[1]);
    char mode[16] = "large";
    guest::bootarg("mode", mode, sizeof mode);
    int rc;
    if (std::strcmp(mode, "hostile") == 0) {
        rc = hostile();
    } else if (std::strcmp(mode, "owner") == 0) {
        rc = owner();
    } else if (std::strcmp(mode, "intruder") == 0) {
        rc = intruder();
    } else if (std::strcmp(mode, "quota") == 0) {
        rc = quota();
    } else if (std::strcmp(mode, "inflight") == 0) {
        inflight();
    } else {
        rc = large();
    }
    guest::print("optee_shm: done");
    return rc;
}
