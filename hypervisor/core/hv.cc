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

bool Hypervisor::on_data_abort(Vcpu& vcpu, uint64_t esr, Ipa ipa, uint64_t va) {
    Domain& d = *vcpu.domain;
    const mmio::Decoded dec = mmio::decode(esr, ipa);
    mmio::Outcome out = mmio::Outcome::Unclaimed;
    if (dec.result == mmio::Decode::Ok) {
        out = mmio::emulate(vcpu, d.mmio(), dec.access);
        if (out == mmio::Outcome::Done) return true;
    }
    // Nobody's address, a device's refusal, or an access the syndrome does not
    // describe: to the guest, a bus error. The first few are logged; a guest
    // cannot flood the log.
    const bool write = dec.access.write;
    constexpr uint64_t kLogged = 16;
    const uint64_t n = d.count_mmio_fault();
    if (n <= kLogged) {
        static constexpr const char* kWhy[] = {"no device there",
                                               "not a data abort",
                                               "an access without syndrome (pair, writeback, SIMD)",
                                               "its page-table walk",
                                               "cache maintenance",
                                               "not a translation fault"};
        const char* why =
            dec.result == mmio::Decode::Ok
                ? (out == mmio::Outcome::Refused ? "the device refused it" : "no device there")
                : kWhy[static_cast<unsigned>(dec.result)];
        WARDEN_LOG_WARN("d%u v%u: %s at IPA 0x%lx (pc 0x%lx): %s, external abort injected%s",
                        d.id().value, vcpu.index, write ? "write" : "read", ipa.value(),
                        vcpu.regs.pc, why, n == kLogged ? " (further ones not logged)" : "");
    }
    if (!arch::inject_data_abort(vcpu, va, write)) {
        crash(d, "%s at IPA 0x%lx from its exception vectors (pc 0x%lx): cannot take an abort",
              write ? "write" : "read", ipa.value(), vcpu.regs.pc);
    }
    return false;
}

void Hypervisor::on_instruction_abort(Vcpu& vcpu, Ipa ipa) {
    crash(*vcpu.domain, "instruction fetch at IPA 0x%lx outside its memory (pc 0x%lx)", ipa.value(),
          vcpu.regs.pc);
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
