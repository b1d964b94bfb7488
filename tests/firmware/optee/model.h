// SPDX-License-Identifier: Apache-2.0
// A model of OP-TEE's SMC interface as seen by the normal world, built with
// virtualization support (CFG_NS_VIRTUALIZATION): the behaviour observed from real
// OP-TEE 4.10 (see docs/optee-model.md), including the surprising parts. It is
// plain register-in, register-out logic with no hardware access, so the same code
// runs inside the secure-world firmware on QEMU and in host unit tests as the
// fake secure world behind the OP-TEE mediator.
//
// Standard calls: CALL_WITH_ARG takes one of `Config::threads` threads
// (ETHREAD_LIMIT when none is free), reads the message (warden/optee.h MsgArg)
// from normal-world memory through `Config::memory` and serves OPEN_SESSION,
// INVOKE_COMMAND and CLOSE_SESSION for the built-in trusted applications
// (test_tas.h), with sessions per client. A call may suspend its thread with an
// RPC request (an unknown UUID: RPC_ALLOC, RPC_CMD LOAD_TA, RPC_FREE; the
// increment TA's command 1: FOREIGN_INTR) and goes on when its client resumes
// that thread with RETURN_FROM_RPC. Shared memory: REGISTER/UNREGISTER_SHM,
// registered and non-contiguous temporary references (page lists copied into
// `Config::page_store`). What is simplified is said in docs/optee-model.md.
// GET_SHM_CONFIG answers ENOTAVAIL (no reserved SHM region is modelled).
#pragma once

#include <cstdint>

#include "warden/optee.h"

namespace warden::optee_model {

struct Regs {
    uint64_t x[8];
};

// Normal-world memory as the secure world reaches it, by physical address.
class Memory {
public:
    virtual bool read(uint64_t pa, void* dst, uint64_t size) = 0;
    virtual bool write(uint64_t pa, const void* src, uint64_t size) = 0;

protected:
    ~Memory() = default;
};

struct Config {
    uint32_t guest_limit = 2;  // CFG_VIRT_GUEST_COUNT
    uint32_t threads = 2;
    Memory* memory = nullptr;  // none: every message address is EBADADDR
    // The secure world's own RAM: a message there is EBADADDR.
    uint64_t secure_base = 0;
    uint64_t secure_size = 0;
    // Where the model keeps the page addresses of shared memory (registered
    // buffers, and temporary ones while a call runs), as OP-TEE copies a page
    // list when it gets one. None: every memory reference is refused.
    uint64_t* page_store = nullptr;
    uint32_t page_store_size = 0;  // entries
};

inline constexpr unsigned kMaxPartitions = 16;
inline constexpr unsigned kMaxSessions = 64;  // across clients
inline constexpr unsigned kTaParams = 4;      // what a TA takes (TEE_NUM_PARAMS)
inline constexpr unsigned kMaxMsgParams = 6;  // OP-TEE's 4 TA params + 2 META
inline constexpr unsigned kMaxThreads = 8;
inline constexpr unsigned kMaxRegistrations = 64;  // across clients
// Entries of a non-contiguous page list page: 511 pages, then the next list page.
inline constexpr unsigned kListEntries = 511;

// A message as a thread holds it.
struct Message {
    abi::optee::MsgArg h;
    abi::optee::MsgParam p[kMaxMsgParams];

    uint64_t type(unsigned i) const { return p[i].attr & abi::optee::kAttrTypeMask; }
    void fail(uint32_t ret, uint32_t origin) {
        h.ret = ret;
        h.ret_origin = origin;
    }
};

class Model {
public:
    explicit Model(const Config& cfg = Config{}) : cfg_(cfg) {}

    // One SMC: x0 = function ID, x1..x6 arguments, w7 = client ID.
    Regs call(const Regs& in);

    // Observability for tests: partitions alive with this guest ID (OP-TEE allows
    // more than one), calls accepted from a client, total partitions.
    uint32_t partitions_of(uint16_t guest) const;
    uint64_t calls_from(uint16_t client) const;
    uint32_t partitions() const { return used_; }
    // Sessions open for a client.
    uint32_t sessions_of(uint16_t client) const;
    // Calls that reached the model at all, from any client (accepted or not).
    uint64_t total_calls() const { return total_calls_; }
    // Threads suspended in an RPC, for one client or for all.
    uint32_t suspended_threads_of(uint16_t client) const;
    uint32_t suspended_threads() const;
    // Page-list entries the last CALL_WITH_ARG read (for the firmware's benchmark).
    uint32_t last_list_pages() const { return last_list_pages_; }
    // Shared-memory registrations a client holds, and their pages.
    uint32_t registrations_of(uint16_t client) const;
    uint64_t registered_pages_of(uint16_t client) const;
    // The physical page addresses OP-TEE took for a client's registration
    // (nullptr if it has none with that cookie); `pages` gets their number.
    const uint64_t* registered_pages(uint16_t client, uint64_t cookie, uint32_t& pages) const;

private:
    struct Partition {
        bool used = false;
        uint16_t guest = 0;
        uint64_t calls = 0;
    };
    Partition* find(uint16_t guest);
    Regs fast_call(const Regs& in, uint16_t client);
    Regs standard_call(const Regs& in, uint16_t client);
    Regs vm_created(const Regs& in);
    Regs vm_destroyed(const Regs& in);
    Regs call_with_arg(const Regs& in, uint16_t client);
    Regs return_from_rpc(const Regs& in, uint16_t client);

    // What a suspended thread waits for, and what it does when resumed.
    enum class Step : uint8_t {
        kLoadAlloc,    // asked for the RPC argument to load a TA with
        kLoadSize,     // asked the normal world for the TA's size (LOAD_TA)
        kShmAlloc,     // asked it for a buffer that size (SHM_ALLOC)
        kLoadData,     // asked it to load the TA into that buffer (LOAD_TA)
        kShmFree,      // asked it to free the buffer (SHM_FREE)
        kLoadFree,     // asked it to free the RPC argument
        kInterrupted,  // returned for a foreign interrupt
    };
    // A run of page addresses in the page store: a buffer of `size` bytes that
    // starts `offset` bytes into the first page.
    struct Pages {
        uint32_t first = 0;
        uint32_t count = 0;  // 0: none (a null memory reference)
        uint64_t offset = 0;
        uint64_t size = 0;
    };
    struct Registration {
        bool used = false;
        uint16_t client = 0;
        uint64_t cookie = 0;
        Pages pages;
    };
    struct Thread {
        bool busy = false;
        uint16_t client = 0;
        Step step{};
        uint64_t arg_pa = 0;  // the caller's message
        uint64_t rpc_pa = 0;  // the RPC argument the normal world gave
        uint64_t rpc_cookie = 0;
        uint32_t load_ret = 0;    // how loading the TA went
        uint64_t image_size = 0;  // the TA's size, as the normal world said
        uint64_t image_cookie = 0;
        Pages image;  // the buffer the normal world gave for it
        Message m{};
        Pages temp[kMaxMsgParams];  // temporary memory references, for the call
    };
    // Runs a thread's message until it completes or suspends.
    Regs run(uint32_t thread);
    Regs suspend(uint32_t thread, Step step, uint32_t rpc, uint64_t a1 = 0, uint64_t a2 = 0);
    Regs finish(uint32_t thread);
    void open_session(Thread& t, uint8_t ta);
    uint32_t register_shm(Thread& t);
    uint32_t unregister_shm(Thread& t);
    // Shared memory: the page store, page lists, buffers.
    bool normal_page(uint64_t pa) const;
    bool store_take(uint32_t count, uint32_t& first) const;
    uint32_t read_list(uint64_t buf_ptr, uint64_t size, Pages& out);
    uint32_t take_temporaries(Thread& t);
    uint32_t resolve(const Thread& t, unsigned param, Pages& out) const;
    bool access(const Pages& p, uint64_t at, void* buf, uint64_t n, bool write);
    uint32_t run_buffers(Thread& t);

    struct Session {
        bool used = false;
        uint16_t client = 0;
        uint32_t id = 0;
        uint8_t ta = 0;  // 0: increment, 1: buffers, 2: device enumeration
    };

    Config cfg_;
    Partition parts_[kMaxPartitions];
    uint32_t used_ = 0;
    uint64_t hyp_calls_ = 0;
    uint64_t total_calls_ = 0;
    uint64_t leftover_ = 0x5a5a'0000'dead'0000;  // stands for stale register contents
    Session sessions_[kMaxSessions];
    uint32_t next_session_ = 1;
    Thread threads_[kMaxThreads];
    Registration regs_[kMaxRegistrations];
    uint32_t last_list_pages_ = 0;
};

}  // namespace warden::optee_model
