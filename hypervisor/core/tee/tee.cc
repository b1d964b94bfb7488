// SPDX-License-Identifier: Apache-2.0
#include "core/tee/tee.h"

#include "core/domain.h"
#include "core/hv.h"
#include "core/initcall.h"
#include "core/log.h"
#include "warden/errno.h"

// Weak: a build with no mediator compiled in has no registry section.
extern "C" const warden::tee::Mediator* const __start_warden_tee_mediators[] __attribute__((weak));
extern "C" const warden::tee::Mediator* const __stop_warden_tee_mediators[] __attribute__((weak));

namespace warden::tee {
namespace {

const Mediator* g_active = nullptr;
uint32_t g_in_use = 0;
PageAllocator* g_pages = nullptr;

int init_call() {
    return init();
}
WARDEN_INITCALL(Service, init_call);

}  // namespace

int init() {
    g_active = nullptr;
    for (auto* m = __start_warden_tee_mediators; m < __stop_warden_tee_mediators; ++m) {
        if ((*m)->probe()) {
            g_active = *m;
            WARDEN_LOG_INFO("tee: %s found; guests get it through tee_enable", g_active->name);
            return 0;
        }
    }
    WARDEN_LOG_INFO("tee: no TEE found; tee_enable will return -ENODEV");
    return 0;
}

const Mediator* active() {
    return g_active;
}

void set_pages(PageAllocator* pages) {
    g_pages = pages;
}

PageAllocator& pages() {
    return g_pages ? *g_pages : hv().alloc();
}

void reset() {
    g_active = nullptr;
    g_in_use = 0;
}

namespace {

bool valid_limits(const abi::DomctlTeeQuotas& q) {
    return q.sessions >= 1 && q.sessions <= abi::kTeeMaxSessions && q.shm_pages >= 1 &&
           q.shm_pages <= abi::kTeeMaxShmPages;
}

}  // namespace

int enable(Domain& d, abi::TeeType type, abi::DomctlTeeQuotas quotas) {
    if (!quotas.sessions) quotas.sessions = abi::kTeeDefaultSessions;
    if (!quotas.shm_pages) quotas.shm_pages = abi::kTeeDefaultShmPages;
    if (!valid_limits(quotas)) return -abi::err::kInval;
    if (!g_active || type != g_active->type) return -abi::err::kNoDev;
    DomainTee& state = d.tee();
    if (state.enabled()) return -abi::err::kExist;
    DomainTee fresh;
    fresh.type = type;
    fresh.quotas = quotas;
    int err = g_active->domain_create(d, fresh);
    if (err) return err;
    state = fresh;
    ++g_in_use;
    return 0;
}

int disable(Domain& d) {
    DomainTee& state = d.tee();
    if (!state.enabled()) return -abi::err::kNoEnt;
    g_active->domain_destroy(d, state);
    state = DomainTee{};
    --g_in_use;
    return 0;
}

int set_quotas(Domain& d, abi::DomctlTeeQuotas limits) {
    DomainTee& state = d.tee();
    if (!state.enabled()) return -abi::err::kNoEnt;
    if (!valid_limits(limits)) return -abi::err::kInval;
    if (limits.sessions < state.in_use.sessions || limits.shm_pages < state.in_use.shm_pages) {
        return -abi::err::kBusy;
    }
    state.quotas = limits;
    return 0;
}

void domain_destroyed(Domain& d) {
    if (d.tee().enabled()) disable(d);
}

uint32_t guests_in_use() {
    return g_in_use;
}

uint32_t guest_limit() {
    return g_active && g_active->guest_limit ? g_active->guest_limit() : 0;
}

void describe(abi::DomctlTeeInfo& out) {
    out = abi::DomctlTeeInfo{};
    out.guests_in_use = g_in_use;
    if (!g_active) return;
    out.tee_type = g_active->type;
    out.guest_limit = guest_limit();
    if (g_active->describe) g_active->describe(out.os_major, out.os_minor, out.threads);
}

bool fast_path(Vcpu& vcpu) {
    DomainTee& state = vcpu.domain->tee();
    if (!g_active || !g_active->fast_path || !state.enabled()) return false;
    return g_active->fast_path(vcpu, state);
}

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit conduit) {
    DomainTee& state = vcpu.domain->tee();
    if (!g_active || !state.enabled()) {
        ++state.calls_refused;
        return smccc::Result::not_supported();
    }
    return g_active->handle_call(vcpu, state, call, conduit);
}

}  // namespace warden::tee
