// SPDX-License-Identifier: Apache-2.0
// Builds the boot-time domains from the boot modules: the first (lowest address)
// is dom0, privileged and mapped 1:1; the others are domUs with their own IPA space.
#pragma once

#include "core/bootinfo.h"
#include "core/hv.h"
#include "dt/guest_dt.h"

namespace warden {

inline constexpr uint64_t kDefaultGuestRam = 16 * 1024 * 1024;
inline constexpr uint64_t kGuestDtMax = kGuestDtMaxSize;

// Arm64 Linux Image header fields the loaders need.
struct ImageInfo {
    bool is_image = false;  // carries the "ARM\x64" magic
    uint64_t text_offset = 0;
    uint64_t image_size = 0;  // 0 when unknown
};
ImageInfo parse_image_header(const void* data, uint64_t size);

// A module whose bootargs contain the word "warden.paused" becomes a domain that
// waits, paused, for the control domain to unpause it (after enabling its TEE,
// say). A module whose bootargs contain "warden.tee=optee[,smc|,hvc]" gets OP-TEE
// before its first instruction (see enable_boot_tee in boot.cc); if the TEE
// refuses, that is logged and the domain stays paused. Returns how many domains
// were built. Modules that cannot become a domain are
// reported and skipped; they never stop the others.
unsigned build_boot_domains(Hypervisor& hv, const BootInfo& info);

}  // namespace warden
