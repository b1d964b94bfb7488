// SPDX-License-Identifier: Apache-2.0
// Round-robin choice of the next vCPU to run on a physical CPU.
#pragma once

#include "core/domain.h"

namespace warden {

// The runnable vCPU that follows `current` in (domain ID, vCPU index) order,
// wrapping around; `current` itself if it is the only runnable one; nullptr when
// nothing is runnable.
Vcpu* pick_next(DomainTable& domains, Vcpu* current);

}  // namespace warden
