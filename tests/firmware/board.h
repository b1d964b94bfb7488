// SPDX-License-Identifier: Apache-2.0
// The QEMU `virt` machine (virtualization=on, secure=on) as the firmware sees it.
#pragma once

#include <cstdint>

#include "layout.h"

namespace warden::fw::board {

inline constexpr uint64_t kFlashBase = 0x00000000;
inline constexpr uint64_t kGicdBase = 0x08000000;
inline constexpr uint64_t kGiccBase = 0x08010000;
inline constexpr uint64_t kFwCfgBase = 0x09020000;
inline constexpr uint64_t kSecureUartBase = 0x09040000;
inline constexpr uint64_t kSecureGpioBase = 0x090b0000;
inline constexpr uint64_t kSecureRamBase = 0x0e000000;
inline constexpr uint64_t kSecureRamSize = 16 * 1024 * 1024;

// Without -bios QEMU would boot the kernel itself; with firmware it still writes its
// generated device tree to the start of RAM and keeps the first MiB for it.
inline constexpr uint64_t kRamBase = 0x40000000;
inline constexpr uint64_t kDtbBase = kRamBase;
inline constexpr uint64_t kDtbReserved = 1024 * 1024;

// Secure PL061 lines wired to QEMU's gpio-pwr device (see the DTB's gpio-poweroff
// and gpio-restart nodes): a rising edge powers off or resets the machine.
inline constexpr unsigned kGpioPowerOffPin = 0;
inline constexpr unsigned kGpioResetPin = 1;

// GICv2 limits the machine to 8 CPUs, all in cluster 0 (Aff0 = CPU index).
inline constexpr unsigned kMaxCpus = FW_MAX_CPUS;

inline constexpr uint64_t kDefaultCounterHz = 62500000;

}  // namespace warden::fw::board
