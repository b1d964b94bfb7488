// SPDX-License-Identifier: MIT
// Warden's hypercalls: HVC #0 (or a trapped SMC) with a function ID in the
// vendor-specific hypervisor owner range (6). Arguments in x1..x6, results in x0..x3.
#pragma once

#include <cstdint>

#include "warden/smccc.h"

namespace warden::abi::hc {

using smccc::make_id;
using smccc::Owner;

// Returns (major << 16) | minor of the hypercall interface.
inline constexpr uint32_t kVersion = make_id(true, false, Owner::VendorHypervisor, 0x0001);
// Writes bytes to the console, passed in registers so the hypervisor never reads
// guest memory for it: x1 = count (at most kConsoleWriteMax), x2..x6 = bytes,
// little-endian, first byte in the low byte of x2. Returns the count written or -3.
inline constexpr uint32_t kConsoleWrite = make_id(true, true, Owner::VendorHypervisor, 0x0002);
// Gives up the rest of the time slice. Returns 0.
inline constexpr uint32_t kYield = make_id(true, false, Owner::VendorHypervisor, 0x0003);

inline constexpr uint32_t kConsoleWriteMax = 40;
inline constexpr uint32_t kInterfaceVersion = 0x00010000;

// CALLS_UID of the vendor hypervisor service: identifies Warden.
inline constexpr uint32_t kUid[4] = {0x57617264, 0x656e2048, 0x79702d31, 0x2e300000};
inline constexpr uint32_t kCallCount = 4;  // version, console write, yield, domctl

}  // namespace warden::abi::hc
