// Entry point for calls to the Trusted Application (48-49) and Trusted OS (50-63)
// owner ranges. No TEE mediator exists yet: every such call is refused with -1 and
// never reaches the secure world.
#pragma once

#include "core/smccc.h"

namespace warden::tee {

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit conduit);

}  // namespace warden::tee
