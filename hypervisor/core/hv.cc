// SPDX-License-Identifier: Apache-2.0
#include "core/hv.h"

#include <cstdarg>

#include "core/arch.h"
#include "core/log.h"
#include "core/sched.h"
#include "lib/format.h"
#include "warden/platform.h"

namespace warden {

bool Hypervisor::start() {
    Vcpu* first = pick_next(domains_, nullptr);
    if (!first) return false;
    arch::vcpu_switch(nullptr, *first);
    cpu0_.current = first;
    first->domain->mark_running();
    return true;
}

void Hypervisor::reschedule() {
    Vcpu* cur = cpu0_.current;
    Vcpu* next = pick_next(domains_, cur);
    if (!next) finish();
    if (next != cur) {
        arch::vcpu_switch(cur, *next);
        cpu0_.current = next;
    }
    next->domain->mark_running();
}

void Hypervisor::finish() {
    bool crashed = domains_.any_crashed();
    domains_.for_each([](Domain& d) {
        WARDEN_LOG_INFO("d%u: %s (%s)", d.id().value, to_string(d.state()),
                        to_string(d.shutdown_reason()));
    });
    WARDEN_LOG_INFO("all domains stopped%s", crashed ? "; at least one crashed" : "");
    arch::platform_exit(crashed ? abi::platform::kExitDomainCrashed
                                : abi::platform::kExitAllDomainsOff);
}

void Hypervisor::on_wait(Vcpu&) {
    reschedule();
}

void Hypervisor::on_tick() {
    reschedule();
}

void Hypervisor::on_stage2_abort(Vcpu& vcpu, Ipa ipa, bool write) {
    crash(*vcpu.domain, "%s at IPA 0x%lx outside its memory (pc 0x%lx)", write ? "write" : "read",
          ipa.value(), vcpu.regs.pc);
}

void Hypervisor::on_undefined(Vcpu& vcpu, uint32_t ec, uint64_t esr) {
    WARDEN_LOG_WARN(
        "d%u v%u: unhandled trap class 0x%x (esr 0x%lx) at pc 0x%lx: undefined "
        "instruction injected",
        vcpu.domain->id().value, vcpu.index, ec, esr, vcpu.regs.pc);
    arch::inject_undef(vcpu);
}

void Hypervisor::crash(Domain& d, const char* fmt, ...) {
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vformat(why, sizeof why, fmt, ap);
    va_end(ap);
    WARDEN_LOG_WARN("d%u: crashed: %s", d.id().value, why);
    d.shutdown(ShutdownReason::Crash);
    reschedule();
}

Hypervisor g_hypervisor;

}  // namespace warden
