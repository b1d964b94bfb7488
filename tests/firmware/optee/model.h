// SPDX-License-Identifier: Apache-2.0
// A model of OP-TEE's SMC interface as seen by the normal world, built with
// virtualization support (CFG_NS_VIRTUALIZATION): the behaviour observed from real
// OP-TEE 4.10 (see docs/optee-model.md), including the surprising parts. It is
// plain register-in, register-out logic with no hardware access, so the same code
// runs inside the secure-world firmware on QEMU and in host unit tests as the
// fake secure world behind the OP-TEE mediator.
//
// Simplified (and said so): standard calls from a valid guest are not modelled
// yet beyond RETURN_FROM_RPC without a suspended thread (ERESUME); others answer
// EBADCMD. GET_SHM_CONFIG answers ENOTAVAIL (no reserved SHM region is modelled).
#pragma once

#include <cstdint>

namespace warden::optee_model {

struct Regs {
    uint64_t x[8];
};

struct Config {
    uint32_t guest_limit = 2;  // CFG_VIRT_GUEST_COUNT
    uint32_t threads = 2;
};

inline constexpr unsigned kMaxPartitions = 16;

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

    Config cfg_;
    Partition parts_[kMaxPartitions];
    uint32_t used_ = 0;
    uint64_t hyp_calls_ = 0;
    uint64_t total_calls_ = 0;
    uint64_t leftover_ = 0x5a5a'0000'dead'0000;  // stands for stale register contents
};

}  // namespace warden::optee_model
