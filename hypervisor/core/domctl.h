// SPDX-License-Identifier: Apache-2.0
// The domctl hypercall (see warden/domctl.h for the ABI and every error).
#pragma once

#include "core/smccc.h"
#include "warden/domctl.h"

namespace warden {

class DomainTable;
class Domain;

namespace domctl {

// Work one request does over several calls: creating or destroying a domain
// clears its RAM in bounded steps (kScrubPagesPerStep pages each).
struct Continuation {
    Domain* building = nullptr;  // a domain kCreateDomain has begun for this caller
};
inline constexpr int kRestart = 1;

// One step of a domctl for `caller` on a copy of the struct: 0 or -errno when it
// is finished, kRestart when the caller must make the same request again (the
// hypercall then re-executes the HVC, so guests run between steps).
int execute_step(DomainTable& domains, Domain& caller, abi::Domctl& op, Continuation& cont);

// Executes one domctl to its end (every step at once); 0 or -errno.
int execute(DomainTable& domains, Domain& caller, abi::Domctl& op);

// kTeeEnable's work, also for boot modules that ask for a TEE: registers the
// domain with the platform's TEE and, with dt_method kTeeDtSmc/kTeeDtHvc, adds
// /firmware/optee to its boot device tree. 0 or the kTeeEnable errors
// (-ENOSPC: the TEE has no room for another guest).
int enable_tee(Domain& d, uint32_t tee_type, uint32_t dt_method, abi::DomctlTeeQuotas quotas = {});

// The hypercall: x1 = IPA of the struct in the caller's memory.
smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call);

}  // namespace domctl
}  // namespace warden
