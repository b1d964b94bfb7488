// SPDX-License-Identifier: Apache-2.0
// Virtual PSCI for guests: CPU power and system power act on the calling domain
// only, never on the machine.
#pragma once

#include "core/smccc.h"

namespace warden::vpsci {

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit conduit);

}  // namespace warden::vpsci
