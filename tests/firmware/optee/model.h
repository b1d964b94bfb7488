// SPDX-License-Identifier: Apache-2.0
// A model of OP-TEE's SMC interface as seen by the normal world, built with
// virtualization support (CFG_NS_VIRTUALIZATION): the behaviour observed from real
// OP-TEE 4.10 (see docs/optee-model.md), including the surprising parts. It is
// plain register-in, register-out logic with no hardware access, so the same code
// runs inside the secure-world firmware on QEMU and in host unit tests as the
// fake secure world behind the OP-TEE mediator.
//
// Standard calls: CALL_WITH_ARG reads the message (warden/optee.h MsgArg) from
// normal-world memory through `Config::memory` and serves OPEN_SESSION,
// INVOKE_COMMAND and CLOSE_SESSION for the built-in trusted applications
// (test_tas.h), with sessions per client. Simplified (and said so in
// docs/optee-model.md): no RPCs (an unknown UUID is ITEM_NOT_FOUND at once, where
// real OP-TEE first asks the normal world to load the TA), value parameters only,
// REGISTER_SHM and the rest answer NOT_SUPPORTED. GET_SHM_CONFIG answers
// ENOTAVAIL (no reserved SHM region is modelled).
#pragma once

#include <cstdint>

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
};

inline constexpr unsigned kMaxPartitions = 16;
inline constexpr unsigned kMaxSessions = 64;  // across clients
inline constexpr unsigned kMaxMsgParams = 6;  // OP-TEE's 4 TA params + 2 META

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

    struct Session {
        bool used = false;
        uint16_t client = 0;
        uint32_t id = 0;
    };

    Config cfg_;
    Partition parts_[kMaxPartitions];
    uint32_t used_ = 0;
    uint64_t hyp_calls_ = 0;
    uint64_t total_calls_ = 0;
    uint64_t leftover_ = 0x5a5a'0000'dead'0000;  // stands for stale register contents
    Session sessions_[kMaxSessions];
    uint32_t next_session_ = 1;
};

}  // namespace warden::optee_model
