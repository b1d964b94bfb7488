// SPDX-License-Identifier: Apache-2.0
// Warden's own hypercalls (vendor-specific hypervisor owner): see warden/hypercall.h.
#pragma once

#include "core/smccc.h"

namespace warden::hypercall {

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit conduit);

}  // namespace warden::hypercall
