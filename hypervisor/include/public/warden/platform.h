// SPDX-License-Identifier: MIT
// Calls between Warden and the platform's secure-world firmware that are not part
// of any Arm standard: silicon-provider (SiP) owner range.
#pragma once

#include <cstdint>

#include "warden/smccc.h"

namespace warden::abi::platform {

// Ends the platform with a status: x1 = status (0 = success). Firmware launched
// for tests reports it to the host (QEMU's exit status); firmware launched for
// users powers off and prints the status on its console. Does not return on success;
// returns -1 if the platform cannot power off.
inline constexpr uint32_t kExit = smccc::make_id(true, false, smccc::Owner::Sip, 0x0001);

// Exit statuses Warden uses when every domain has stopped.
inline constexpr uint32_t kExitAllDomainsOff = 0;
inline constexpr uint32_t kExitDomainCrashed = 1;
inline constexpr uint32_t kExitHypervisorPanic = 2;

// Exit statuses the firmware itself reports in test mode.
inline constexpr uint32_t kExitFirmwareFault = 3;  // unexpected exception at EL3
inline constexpr uint32_t kExitBootFailed = 4;     // no valid hypervisor image or options

}  // namespace warden::abi::platform
