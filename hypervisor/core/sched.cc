#include "core/sched.h"

namespace warden {

Vcpu* pick_next(DomainTable& domains, Vcpu* current) {
    constexpr unsigned kSlots = kMaxDomains * kMaxVcpusPerDomain;
    unsigned start = 0;
    if (current && current->domain) {
        start = current->domain->id().value * kMaxVcpusPerDomain + current->index + 1;
    }
    for (unsigned k = 0; k < kSlots; ++k) {
        unsigned slot = (start + k) % kSlots;
        Domain* d = domains.find(DomId{static_cast<uint16_t>(slot / kMaxVcpusPerDomain)});
        if (!d || !d->runnable()) continue;
        unsigned v = slot % kMaxVcpusPerDomain;
        if (v < d->vcpu_count() && d->vcpu(v).state == VcpuState::Runnable) return &d->vcpu(v);
    }
    return nullptr;
}

}  // namespace warden
