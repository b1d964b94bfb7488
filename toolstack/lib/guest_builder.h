// SPDX-License-Identifier: Apache-2.0
// Builds a guest the way a real toolstack does: create the domain paused, load
// its kernel, enable its TEE if asked, write its device tree, set its entry point,
// unpause. Any failure destroys the half-built domain (which also releases a TEE
// client ID it got), so there is never a half-built guest.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "config.h"
#include "dt/guest_dt.h"
#include "hypervisor.h"

namespace warden::toolstack {

using abi::kGuestRamBase;  // where the hypervisor puts a created domain's RAM
inline constexpr uint64_t kDeviceTreeRoom = kGuestDtMaxSize;  // at the top of guest RAM

// What a domain's tool_data records for the toolstack (so a restarted daemon can
// tell how a guest was built).
struct ToolData {
    TeeMethod tee_method = TeeMethod::Smc;
    bool built_by_toolstack = false;
    GuestQuotas quotas;
    uint32_t initrd_size = 0;  // bytes of the initial ramdisk (0: none)
    static ToolData decode(uint64_t v);
    uint64_t encode() const;
};

// The steps, in order; rollback tests fail each one in turn.

// Where an initial ramdisk of `size` bytes goes in a guest of `memory` bytes:
// page-aligned, right below the device tree (the kernel sits at the bottom).
uint64_t initrd_address(uint64_t memory, uint64_t size);

// The guest's device tree: memory, CPUs, PSCI (HVC), timer, the PL011, the
// hypervisor's console, /firmware/optee when its TEE is enabled,
// chosen/bootargs, and the initrd's range when it has one of `initrd_size` bytes.
Result<std::vector<uint8_t>> build_device_tree(const GuestConfig& cfg, uint64_t ram_base,
                                               uint64_t initrd_size = 0);

class GuestBuilder {
public:
    explicit GuestBuilder(Hypervisor& hv) : hv_(hv) {}
    // Returns the new domain's ID. With start = false the guest stays paused,
    // never run, so its TEE can still be changed. On failure the error names the step.
    Result<uint16_t> build(const GuestConfig& cfg, std::span<const uint8_t> kernel,
                           bool start = true) {
        return build(cfg, kernel, {}, start);
    }
    // The same with an initial ramdisk (empty: none).
    Result<uint16_t> build(const GuestConfig& cfg, std::span<const uint8_t> kernel,
                           std::span<const uint8_t> initrd, bool start = true);
    // Rewrites the device tree of a guest that has not run yet (after its TEE
    // settings changed) and records the settings in its tool data.
    Status rewrite_device_tree(uint16_t domid, const GuestConfig& cfg);
    // Records the settings a restarted toolstack reads back (TEE method, quotas).
    Status record_tool_data(uint16_t domid, const GuestConfig& cfg);

    // Called after each step of build() that succeeded (tests inject faults here).
    std::function<void(BuildStep)> after_step;

private:
    Hypervisor& hv_;
};

}  // namespace warden::toolstack
