// What the hypervisor learns from the device tree it was booted with: RAM, its
// console UART, the GIC and the boot modules that become domains.
#pragma once

#include <array>
#include <cstdint>

#include "core/types.h"

namespace warden {

inline constexpr unsigned kMaxBootModules = 8;
inline constexpr unsigned kMaxBootargs = 128;

struct BootModule {
    Pa base{};
    uint64_t size = 0;
    char bootargs[kMaxBootargs] = {};
};

inline constexpr unsigned kMaxPassthrough = 32;

// An MMIO device the control domain gets direct access to.
struct DeviceRegion {
    Pa base{};
    uint64_t size = 0;
};

struct BootInfo {
    Pa ram_base{};
    uint64_t ram_size = 0;
    Pa uart{};          // PL011 named by /chosen/stdout-path (or the first one)
    Pa gicd{}, gicc{};  // GICv2 distributor and CPU interface
    Pa gich{}, gicv{};  // virtualization control and virtual CPU interface
    unsigned module_count = 0;
    std::array<BootModule, kMaxBootModules> modules{};  // sorted by address
    // virtio-mmio transports: passed through to dom0 (its control channel).
    unsigned virtio_count = 0;
    std::array<DeviceRegion, kMaxPassthrough> virtio{};
};

enum class BootInfoError {
    None,
    BadHeader,  // not a valid flattened device tree
    NoMemory,   // no usable /memory node
    BadModule,  // a multiboot module with a malformed reg or bootargs
    TooManyModules,
};

const char* to_string(BootInfoError e);

// Parses a flattened device tree. Boot modules are the /chosen nodes compatible
// with "multiboot,kernel"; they are returned sorted by load address (the order
// QEMU's guest-loader writes its nodes in is the reverse of its command line, so
// address order is the only stable one).
BootInfoError parse_boot_info(const void* fdt, BootInfo& out);

// Reads "mem=<size>[K|M|G]" from a bootargs string. 0 if absent or malformed.
uint64_t bootargs_mem(const char* bootargs);

}  // namespace warden
