// The domctl hypercall (see warden/domctl.h for the ABI and every error).
#pragma once

#include "core/smccc.h"
#include "warden/domctl.h"

namespace warden {

class DomainTable;
class Domain;

namespace domctl {

// Executes one domctl for `caller` on a copy of the struct; 0 or -errno.
int execute(DomainTable& domains, Domain& caller, abi::Domctl& op);

// The hypercall: x1 = IPA of the struct in the caller's memory.
smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call);

}  // namespace domctl
}  // namespace warden
