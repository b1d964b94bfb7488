// SPDX-License-Identifier: Apache-2.0
// Guest configuration files (TOML). Every problem is reported with the file, the
// line and the field, e.g. "web.toml:4: memory: ...". Unknown keys are errors, so
// a typo never silently falls back to a default.
//
//   name       = "web-1"          required; 1-31 of [a-z0-9-], starting with a letter
//   kernel     = "web.bin"        required; arm64 Image or raw binary; relative to the file
//   initrd     = "initrd.gz"      optional initial ramdisk, placed below the device tree
//                                 and named in /chosen; relative to the file
//   memory     = "64M"            size with K/M/G suffix (size.h; a bare number is MiB),
//                                 or MiB as an integer;
//                                 2 MiB to 1 GiB, a multiple of 2 MiB; default 16M
//   vcpus      = 1                1-4; default 1
//   tee        = "optee"          "optee" or "none"; default "none"
//   tee_method = "smc"            "smc" or "hvc" (how the guest calls the TEE); default "smc"
//   bootargs   = "..."            /chosen/bootargs of the guest; at most 255 bytes
//   [quotas]                      TEE resources for this guest (checked, enforced later)
//   tee_sessions  = 16            1-128
//   tee_shm_pages = 256           1-16384
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "hypervisor.h"
#include "status.h"

namespace warden::toolstack {

enum class TeeMethod { Smc, Hvc };
const char* to_string(TeeMethod m);

struct GuestQuotas {
    uint32_t tee_sessions = abi::kTeeDefaultSessions;
    uint32_t tee_shm_pages = abi::kTeeDefaultShmPages;
    TeeQuotas tee() const { return {tee_sessions, tee_shm_pages}; }
};

struct GuestConfig {
    std::string name;
    std::filesystem::path kernel;
    std::filesystem::path initrd;  // empty: none
    uint64_t memory = 16ull << 20;
    uint32_t vcpus = 1;
    TeeType tee = TeeType::None;
    TeeMethod tee_method = TeeMethod::Smc;
    std::string bootargs;
    GuestQuotas quotas;
};

// Parses TOML text; `source` names it in messages, relative kernel paths are
// resolved against `base_dir`.
Result<GuestConfig> parse_guest_config(const std::string& text, const std::string& source,
                                       const std::filesystem::path& base_dir);
Result<GuestConfig> load_guest_config(const std::filesystem::path& file);

// Checks a configuration that came from elsewhere (API fields): same rules.
Status validate_guest_config(const GuestConfig& c);
bool valid_guest_name(const std::string& name);
// What valid_guest_name() accepts, for error messages.
inline constexpr const char kGuestNameRule[] =
    "1-31 characters of a-z, 0-9 and '-', starting with a letter and not ending in '-'";
// "64M" / "2G" / "512K" / "1048576" (bytes): 0 when malformed.

}  // namespace warden::toolstack
