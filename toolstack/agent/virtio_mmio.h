// SPDX-License-Identifier: Apache-2.0
// The virtio-mmio transport (virtio 1.2, section 4.2.2, "modern" version 2) and the
// split virtqueue layout (section 2.7): register offsets, status and feature bits.
// Only what the agent's console driver uses is named here.
#pragma once

#include <cstdint>

namespace agent::virtio {

// Register offsets from the transport's base.
namespace reg {
inline constexpr uint32_t kMagic = 0x000;
inline constexpr uint32_t kVersion = 0x004;
inline constexpr uint32_t kDeviceId = 0x008;
inline constexpr uint32_t kDeviceFeatures = 0x010;
inline constexpr uint32_t kDeviceFeaturesSel = 0x014;
inline constexpr uint32_t kDriverFeatures = 0x020;
inline constexpr uint32_t kDriverFeaturesSel = 0x024;
inline constexpr uint32_t kQueueSel = 0x030;
inline constexpr uint32_t kQueueNumMax = 0x034;
inline constexpr uint32_t kQueueNum = 0x038;
inline constexpr uint32_t kQueueReady = 0x044;
inline constexpr uint32_t kQueueNotify = 0x050;
inline constexpr uint32_t kStatus = 0x070;
inline constexpr uint32_t kQueueDescLow = 0x080;
inline constexpr uint32_t kQueueDescHigh = 0x084;
inline constexpr uint32_t kQueueDriverLow = 0x090;
inline constexpr uint32_t kQueueDriverHigh = 0x094;
inline constexpr uint32_t kQueueDeviceLow = 0x0a0;
inline constexpr uint32_t kQueueDeviceHigh = 0x0a4;
}  // namespace reg

inline constexpr uint32_t kMagicValue = 0x74726976;  // "virt"
inline constexpr uint32_t kModernVersion = 2;        // version 1 is the legacy interface
inline constexpr uint32_t kDeviceConsole = 3;

// Device status bits (section 2.1).
namespace status {
inline constexpr uint32_t kAcknowledge = 1;
inline constexpr uint32_t kDriver = 2;
inline constexpr uint32_t kDriverOk = 4;
inline constexpr uint32_t kFeaturesOk = 8;
inline constexpr uint32_t kFailed = 128;
}  // namespace status

// VIRTIO_F_VERSION_1 is bit 32: bit 0 of feature word 1.
inline constexpr uint32_t kFeatureWordVersion1 = 1;
inline constexpr uint32_t kFeatureVersion1Bit = 1u << 0;

// Split virtqueue structures, shared with the device.
struct VirtqDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);

inline constexpr uint16_t kDescFlagWrite = 2;         // the device writes this buffer
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;  // we poll: no used-buffer interrupts
inline constexpr uint16_t kUsedFlagNoNotify = 1;      // the device polls: notifying is optional

struct VirtqUsedElem {
    uint32_t id;
    uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8);

}  // namespace agent::virtio
