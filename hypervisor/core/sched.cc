// SPDX-License-Identifier: Apache-2.0
#include "core/sched.h"

namespace warden {

// Round robin over (domain, vCPU) in ID order, starting after the current one.
// It runs on every timer tick, so it walks domains (skipping the ones that
// cannot run at once) rather than every vCPU slot of the table.
Vcpu* pick_next(DomainTable& domains, Vcpu* current) {
    unsigned first_dom = 0;
    unsigned first_vcpu = 0;
    if (current && current->domain) {
        first_dom = current->domain->id().value;
        first_vcpu = current->index + 1u;
    }
    // One lap: the current domain's later vCPUs, the other domains, then the
    // current domain's earlier vCPUs (the current one last of all).
    for (unsigned k = 0; k <= kMaxDomains; ++k) {
        unsigned id = (first_dom + k) % kMaxDomains;
        Domain* d = domains.find(DomId{static_cast<uint16_t>(id)});
        if (!d || !d->runnable()) continue;
        unsigned from = k == 0 ? first_vcpu : 0;
        unsigned to = k == kMaxDomains ? first_vcpu : d->vcpu_count();
        if (to > d->vcpu_count()) to = d->vcpu_count();
        for (unsigned v = from; v < to; ++v) {
            if (d->vcpu(v).state == VcpuState::Runnable) return &d->vcpu(v);
        }
    }
    return nullptr;
}

}  // namespace warden
