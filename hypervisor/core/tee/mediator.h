// SPDX-License-Identifier: Apache-2.0
// What a TEE mediator provides to the TEE framework. Mediators register
// themselves like drivers (WARDEN_REGISTER_TEE_MEDIATOR); the framework picks the
// first whose probe() finds its TEE. Only callbacks something implements exist.
#pragma once

#include <cstdint>

#include "core/smccc.h"
#include "warden/domctl.h"

namespace warden {
class Domain;
}

namespace warden::tee {

// How the secure world names a guest (OP-TEE: its VM ID). A type of its own so
// that it never mixes with the domain ID or the VMID it happens to derive from.
struct ClientId {
    uint16_t value = 0;
    friend bool operator==(ClientId a, ClientId b) { return a.value == b.value; }
};

// Per-domain TEE state, owned by the framework and kept inside the Domain.
struct DomainTee {
    abi::TeeType type = abi::kTeeNone;
    ClientId client;
    uint64_t calls_forwarded = 0;
    uint64_t calls_refused = 0;
    // The cheapest INVOKE_COMMAND the mediator passed to the secure world, from
    // EL2 with the guest's client ID: the yardstick for what mediating one adds
    // (counter ticks; instructions under QEMU -icount). ~0 until one.
    uint64_t invoke_from_el2_min = ~uint64_t{0};
    // What the mediator itself spends on an INVOKE_COMMAND that completes in
    // one trap: ticks from its handler's start to its end, less the time in
    // the secure world (the trap's entry and exit are not in it). Kept apart
    // for calls with value parameters only and with memory references, with
    // the time those calls spent in the secure world beside it.
    struct Cost {
        uint64_t min = ~uint64_t{0};
        uint64_t total = 0;
        uint64_t secure_total = 0;
        uint64_t count = 0;
        void add(uint64_t t, uint64_t secure) {
            if (t < min) min = t;
            total += t;
            secure_total += secure;
            ++count;
        }
    };
    Cost invoke_values;
    Cost invoke_memrefs;
    uint64_t last_secure_ticks = 0;  // the last timed call's time in the secure world
    uint64_t timed_from = 0;         // the counter when the INVOKE being timed began
    // What the domain may hold in the TEE, and what it holds (the mediator
    // counts; the framework refuses limits below use).
    abi::DomctlTeeQuotas quotas{};
    abi::DomctlTeeQuotas in_use{};
    // The mediator's own per-domain state: set by domain_create, released by
    // domain_destroy.
    void* context = nullptr;
    bool enabled() const { return type != abi::kTeeNone; }
};

struct Mediator {
    const char* name;
    abi::TeeType type;
    // Looks for its TEE through the secure world; true if found and usable.
    bool (*probe)();
    // Registers the domain with the TEE. 0 or -errno (-ENOSPC when the TEE has
    // no room for another guest). Must leave no trace on failure.
    int (*domain_create)(Domain& d, DomainTee& state);
    // Tells the TEE the guest is gone; never fails from the guest's view.
    void (*domain_destroy)(Domain& d, DomainTee& state);
    // A guest call in the Trusted OS / Trusted App owner ranges, from a domain
    // with this TEE enabled. The mediator counts forwarded and refused calls.
    smccc::Result (*handle_call)(Vcpu& vcpu, DomainTee& state, const smccc::Call& call,
                                 smccc::Conduit conduit);
    // Optional, for the commonest calls: answers the call in the vCPU's x0..x3
    // itself, before the SMCCC dispatcher, and returns true; false leaves the
    // call to handle_call. Same results either way, fewer instructions.
    bool (*fast_path)(Vcpu& vcpu, DomainTee& state);
    // Guests the TEE can hold, if the mediator knows (0 otherwise).
    uint32_t (*guest_limit)();
    // The TEE's revision and thread count, as found by probe().
    void (*describe)(uint32_t& os_major, uint32_t& os_minor, uint32_t& threads);
};

}  // namespace warden::tee

// Places a pointer to a Mediator in the registry section. The explicit alignment
// keeps the compiler from padding entries, so the section stays an array.
#define WARDEN_REGISTER_TEE_MEDIATOR(ops_)                                                       \
    [[gnu::used, gnu::section("warden_tee_mediators"),                                           \
      gnu::aligned(8)]] static const ::warden::tee::Mediator* const warden_tee_mediator_##ops_ = \
        &ops_
