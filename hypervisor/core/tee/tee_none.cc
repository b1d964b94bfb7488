// SPDX-License-Identifier: Apache-2.0
// The TEE framework compiled out (WARDEN_TEE=OFF): the same interface, and the
// answers a platform without TEE gives.
#include "core/domain.h"
#include "core/initcall.h"
#include "core/log.h"
#include "core/tee/tee.h"
#include "warden/errno.h"

namespace warden::tee {

int init() {
    WARDEN_LOG_INFO("tee: support not built in (WARDEN_TEE=OFF); tee_enable returns -ENODEV");
    return 0;
}

namespace {
int init_call() {
    return init();
}
WARDEN_INITCALL(Service, init_call);
}  // namespace
const Mediator* active() {
    return nullptr;
}
void reset() {}
void set_pages(PageAllocator*) {}
int enable(Domain&, abi::TeeType, abi::DomctlTeeQuotas) {
    return -abi::err::kNoDev;
}
int set_quotas(Domain&, abi::DomctlTeeQuotas) {
    return -abi::err::kNoEnt;
}
int disable(Domain&) {
    return -abi::err::kNoEnt;
}
void domain_destroyed(Domain&) {}
uint32_t guests_in_use() {
    return 0;
}
uint32_t guest_limit() {
    return 0;
}
void describe(abi::DomctlTeeInfo& out) {
    out = abi::DomctlTeeInfo{};
}

bool fast_path(Vcpu&) {
    return false;
}

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call&, smccc::Conduit) {
    ++vcpu.domain->tee().calls_refused;
    return smccc::Result::not_supported();
}

}  // namespace warden::tee
