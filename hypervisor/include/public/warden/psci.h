// SPDX-License-Identifier: MIT
// PSCI function IDs and return codes (standard secure service owner).
#pragma once

#include <cstdint>

namespace warden::abi::psci {

inline constexpr uint32_t kVersion = 0x84000000;
inline constexpr uint32_t kCpuSuspend = 0xC4000001;
inline constexpr uint32_t kCpuOff = 0x84000002;
inline constexpr uint32_t kCpuOn = 0xC4000003;
inline constexpr uint32_t kAffinityInfo = 0xC4000004;
inline constexpr uint32_t kMigrateInfoType = 0x84000006;
inline constexpr uint32_t kSystemOff = 0x84000008;
inline constexpr uint32_t kSystemReset = 0x84000009;
inline constexpr uint32_t kFeatures = 0x8400000A;
// SMC32 forms of the calls that also exist as SMC64 (32-bit arguments).
inline constexpr uint32_t kCpuSuspend32 = 0x84000001;
inline constexpr uint32_t kCpuOn32 = 0x84000003;
inline constexpr uint32_t kAffinityInfo32 = 0x84000004;

// PSCI 1.1 as (major << 16) | minor.
inline constexpr uint32_t kVersion1_1 = 0x10001;

inline constexpr int32_t kSuccess = 0;
inline constexpr int32_t kNotSupported = -1;
inline constexpr int32_t kInvalidParameters = -2;
inline constexpr int32_t kDenied = -3;
inline constexpr int32_t kAlreadyOn = -4;
inline constexpr int32_t kOnPending = -5;
inline constexpr int32_t kInternalFailure = -6;
inline constexpr int32_t kNotPresent = -7;
inline constexpr int32_t kDisabled = -8;
inline constexpr int32_t kInvalidAddress = -9;

// AFFINITY_INFO results.
inline constexpr int32_t kAffinityOn = 0;
inline constexpr int32_t kAffinityOff = 1;
inline constexpr int32_t kAffinityOnPending = 2;

// MIGRATE_INFO_TYPE result: no Trusted OS, or one that needs no migration.
inline constexpr int32_t kMigrateNotRequired = 2;

}  // namespace warden::abi::psci
