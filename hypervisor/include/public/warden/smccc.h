// SPDX-License-Identifier: MIT
// SMC Calling Convention (Arm DEN0028): function-ID layout, owners, return codes.
// Shared by the hypervisor, the secure-world firmware, the dom0 agent, the test
// guests and the host toolstack: this is the one definition.
#pragma once

#include <cstdint>

namespace warden::abi::smccc {

inline constexpr uint32_t kFastBit = 1u << 31;
inline constexpr uint32_t kSmc64Bit = 1u << 30;
inline constexpr uint32_t kOwnerShift = 24;
inline constexpr uint32_t kOwnerMask = 0x3f;
inline constexpr uint32_t kFunctionMask = 0xffff;

enum class Owner : uint8_t {
    Arch = 0,
    Cpu = 1,
    Sip = 2,
    Oem = 3,
    StandardSecure = 4,
    StandardHypervisor = 5,
    VendorHypervisor = 6,
    TrustedAppFirst = 48,
    TrustedAppLast = 49,
    TrustedOsFirst = 50,
    TrustedOsLast = 63,
};

constexpr uint32_t make_id(bool fast, bool smc64, Owner owner, uint16_t function) {
    return (fast ? kFastBit : 0u) | (smc64 ? kSmc64Bit : 0u) |
           (static_cast<uint32_t>(owner) << kOwnerShift) | function;
}

// Return codes, as 32-bit values in w0 (callers sign-extend).
inline constexpr int32_t kSuccess = 0;
inline constexpr int32_t kNotSupported = -1;
inline constexpr int32_t kNotRequired = -2;
inline constexpr int32_t kInvalidParameter = -3;

// Per-owner general queries (function numbers within any owner).
inline constexpr uint16_t kCallCountFn = 0xff00;
inline constexpr uint16_t kUidFn = 0xff01;
inline constexpr uint16_t kRevisionFn = 0xff03;

// Arm architecture service.
inline constexpr uint32_t kVersion = 0x80000000;
inline constexpr uint32_t kArchFeatures = 0x80000001;
inline constexpr uint32_t kVersion1_1 = 0x10001;

}  // namespace warden::abi::smccc
