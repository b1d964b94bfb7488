// SPDX-License-Identifier: Apache-2.0
// The hypervisor's state and the policy for everything a guest can make it do:
// the arch port decodes a trap and calls one of the on_* functions here.
#pragma once

#include <cstdint>

#include "core/domain.h"
#include "core/page_alloc.h"
#include "core/smccc.h"
#include "core/tee/tee.h"

namespace warden {

// Per physical CPU. `current` must stay the first member: the trap entry code
// finds the running vCPU through it.
struct PerCpu {
    Vcpu* current = nullptr;
    uint32_t cpu = 0;
};
static_assert(__builtin_offsetof(PerCpu, current) == 0);

class Hypervisor {
public:
    Hypervisor() : domains_(alloc_) {}

    PageAllocator& alloc() { return alloc_; }
    DomainTable& domains() { return domains_; }
    PerCpu& this_cpu() { return cpu0_; }

    // Picks the vCPU to run first. False when there is nothing to run.
    bool start();

    // Inline: every guest call comes through here.
    void on_call(Vcpu& vcpu, smccc::Conduit conduit) {
        // OP-TEE's fast calls are the hot path: the mediator may answer them
        // before the dispatcher builds a call and a result for them.
        if (tee::answer_fast(vcpu)) return;
        if (smccc::dispatch(vcpu, conduit)) reschedule();
    }
    void on_wait(Vcpu& vcpu);
    // A data access outside the guest's RAM (esr: the syndrome, va: the address
    // the guest used): emulated by one of its devices, else the guest's own
    // external abort. True when the access completed and the instruction is to
    // be skipped.
    bool on_data_abort(Vcpu& vcpu, uint64_t esr, Ipa ipa, uint64_t va);
    // An instruction fetch outside the guest's RAM: nothing there to run.
    void on_instruction_abort(Vcpu& vcpu, Ipa ipa);
    void on_undefined(Vcpu& vcpu, uint32_t ec, uint64_t esr);
    void on_tick();

    // Stops a domain because of something it did wrong; the hypervisor goes on.
    void crash(Domain& d, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

private:
    void reschedule();
    [[noreturn]] void finish();

    PageAllocator alloc_;
    DomainTable domains_;
    PerCpu cpu0_;
};

extern Hypervisor g_hypervisor;
inline Hypervisor& hv() {
    return g_hypervisor;
}

}  // namespace warden
