// SPDX-License-Identifier: Apache-2.0
// What the hypervisor learns from the device tree it was booted with: RAM, its
// console UART, the GIC and the boot modules that become domains.
#pragma once

#include <array>
#include <cstdint>

#include "core/types.h"
#include "warden/domctl.h"

namespace warden {

inline constexpr unsigned kMaxBootModules = 8;
inline constexpr unsigned kMaxBootargs = 256;  // with the terminating NUL

struct BootModule {
    Pa base{};
    uint64_t size = 0;
    char bootargs[kMaxBootargs] = {};
    // Its initial ramdisk: a "multiboot,ramdisk" module, the one above this
    // kernel and below the next (size 0: none).
    Pa initrd{};
    uint64_t initrd_size = 0;
};

inline constexpr unsigned kMaxPassthrough = 32;
inline constexpr unsigned kMaxReserved = 16;

// An MMIO device the control domain gets direct access to.
struct DeviceRegion {
    Pa base{};
    uint64_t size = 0;
};

// RAM the firmware keeps for itself (a /memreserve/ entry or a /reserved-memory
// node with a reg, e.g. OP-TEE's shared memory): never the hypervisor's, never a
// guest's.
struct ReservedRegion {
    Pa base{};
    uint64_t size = 0;
    char name[32] = {};  // the node's name, or "/memreserve/"
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
    unsigned reserved_count = 0;
    std::array<ReservedRegion, kMaxReserved> reserved{};
    // /reserved-memory nodes without a reg (placed by whoever boots next): they
    // cannot be honoured here, only reported.
    unsigned reserved_unplaced = 0;
};

enum class BootInfoError {
    None,
    BadHeader,     // not a valid flattened device tree
    NoMemory,      // no usable /memory node
    BadModule,     // a multiboot module with a malformed reg or bootargs
    LongBootargs,  // a module's bootargs do not fit kMaxBootargs
    TooManyModules,
    TooManyReserved,  // more reserved regions than kMaxReserved: refuse to guess
    BadReserved,      // a reserved region with a malformed reg or that wraps
};

const char* to_string(BootInfoError e);

// Parses a flattened device tree. Boot modules are the /chosen nodes compatible
// with "multiboot,kernel"; they are returned sorted by load address (the order
// QEMU's guest-loader writes its nodes in is the reverse of its command line, so
// address order is the only stable one).
BootInfoError parse_boot_info(const void* fdt, BootInfo& out);

// Where the boot loader left the device tree. The Linux boot protocol passes it
// in x0; TF-A's QEMU port passes the CPU's MPIDR there instead, and the tree stays
// at the start of RAM (`fallback`). x0 is used only if it holds an FDT header, and
// a value below kMinDtAddress (an MPIDR, say) is never dereferenced.
inline constexpr uint64_t kMinDtAddress = 0x10000;
struct DtLocation {
    Pa at{};
    bool found = false;
    bool from_x0 = false;
};
DtLocation locate_device_tree(uint64_t x0, Pa fallback);

// "warden.tee=optee", "warden.tee=optee,smc" or "warden.tee=optee,hvc" in a boot
// module's bootargs: its domain gets OP-TEE before its first instruction, with
// /firmware/optee naming that conduit (smc when not given).
// "warden.tee_shm_pages=N" sets its shared-memory quota (pages; the default
// otherwise, as for the domctl).
struct BootTeeRequest {
    enum Kind : uint8_t { None, Optee, Malformed } kind = None;
    uint32_t dt_method = 0;  // abi::kTeeDtSmc or kTeeDtHvc
    char value[32] = {};     // what was given, for messages
    uint64_t shm_pages = 0;  // 0: the default
};
BootTeeRequest bootargs_tee(const char* bootargs);

// Reads "mem=<size>[K|M|G]" from a bootargs string. 0 if absent or malformed.
uint64_t bootargs_mem(const char* bootargs);
// The decimal value of "key=N" in bootargs; 0 if absent, malformed or huge.
uint64_t bootargs_number(const char* bootargs, const char* key);

}  // namespace warden
