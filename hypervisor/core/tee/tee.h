// SPDX-License-Identifier: Apache-2.0
// The TEE mediator framework: finds the platform's TEE at boot (an init call),
// owns each domain's TEE state, and is the single entry point for guest calls to
// the Trusted Application (48-49) and Trusted OS (50-63) owner ranges over both
// conduits. A domain without TEE enabled gets NOT_SUPPORTED and the secure world
// never sees its call.
#pragma once

#include "core/smccc.h"
#include "core/tee/mediator.h"

namespace warden {
class Domain;
class PageAllocator;
}  // namespace warden

namespace warden::tee {

// Runs the registered mediators' probes; the first that succeeds becomes active.
// Having no TEE is a normal platform: logged at info level.
int init();
// The active mediator, or nullptr.
const Mediator* active();
// Where mediators take the pages they own (shadow messages): the hypervisor's
// allocator unless set (host tests give their own).
void set_pages(PageAllocator* pages);
PageAllocator& pages();
// For tests: forget the active mediator.
void reset();

// Registers a domain with the TEE (see warden/domctl.h kTeeEnable for errors),
// with the given limits (0 fields: the defaults; -EINVAL above the maximum).
int enable(Domain& d, abi::TeeType type, abi::DomctlTeeQuotas quotas = {});
// Replaces a domain's limits: -ENOENT not enabled, -EINVAL 0 or above the
// maximum, -EBUSY below what it holds (nothing changes).
int set_quotas(Domain& d, abi::DomctlTeeQuotas limits);
// Unregisters it: -ENOENT if not enabled.
int disable(Domain& d);
// Domain teardown: disables the TEE if enabled; never fails.
void domain_destroyed(Domain& d);
// Domains currently registered with the TEE.
uint32_t guests_in_use();
uint32_t guest_limit();
// The platform's TEE for kTeeInfo.
void describe(abi::DomctlTeeInfo& out);

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit conduit);
// Before the SMCCC dispatcher: true when the domain's mediator answered the
// call in the vCPU's registers already (Mediator::fast_path).
bool fast_path(Vcpu& vcpu);
// What the trap path calls: fast_path for OP-TEE's fast-call range (SMC32,
// owner Trusted OS 50: 0xB2xxxxxx), false at once for every other call.
inline bool answer_fast(Vcpu& vcpu) {
    return (static_cast<uint32_t>(vcpu.regs.x[0]) & 0xff000000u) == 0xb2000000u && fast_path(vcpu);
}

}  // namespace warden::tee
