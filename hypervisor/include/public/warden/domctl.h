// SPDX-License-Identifier: MIT
// The domctl hypercall: how the control domain manages other domains.
//
// Call: HVC #0 (or SMC #0) with x0 = kDomctl and x1 = the caller's IPA of a
// `struct Domctl` (8-byte aligned, in the caller's RAM). Returns in x0 0 or a
// negative errno (warden/errno.h); results are written back into the struct.
// Only the control domain may call it: others get -EPERM and the struct is not
// read. kCreateDomain and kDestroy clear a domain's RAM in 1 MiB steps: between
// steps the hypervisor sets the caller's PC back to its HVC/SMC (x0..x3 kept), so
// the caller makes the same call again and sees one call that returns when the
// work is done; it must leave the struct unchanged until then. Every reserved field must be zero
// and interface_version must equal kDomctlInterfaceVersion, otherwise -EINVAL and nothing happens.
// No operation changes any state when it fails.
//
// Operations and their errors (besides -EPERM, -EINVAL, -EFAULT for an IPA that
// is not RAM of the caller):
//   kGetDomainInfo  info about `domid`, or with kInfoFirstAtOrAfter the first
//                   existing domain whose ID is >= domid (for listing).
//                   -ESRCH: no such domain.
//   kPause          stops scheduling the domain's vCPUs. -ESRCH; -EBUSY if the
//                   domain has stopped; -EINVAL for the caller itself.
//   kUnpause        -ESRCH; -EBUSY if the domain has stopped.
//   kDestroy        tears the domain down, TEE first (the TEE is told, the client
//                   ID released), then memory, scrubbed before it is freed.
//                   -ESRCH; -EINVAL for the caller.
//   kTeeEnable      registers the domain with the platform's TEE, with the limits
//                   in `quotas` (0 fields: kTeeDefaultSessions/kTeeDefaultShmPages).
//                   -ENODEV  no TEE mediator, or tee_type is not the platform's
//                   -ENOSPC  the TEE has no room for another guest (OP-TEE
//                            refused VM_CREATED: client IDs exhausted); the
//                            struct is written back with guest_limit and
//                            guests_in_use, so the caller can say how full
//                   -EEXIST  TEE already enabled for this domain
//                   -ESRCH   no such domain
//                   -EBUSY   the domain has already run (a guest discovers its
//                            TEE at boot, so enabling later is refused)
//                   -EIO     the TEE failed in an unexpected way
//   kTeeDisable     tells the TEE the guest is gone and releases its client ID.
//                   -ENOENT  TEE not enabled; -ESRCH; -EBUSY while the domain
//                   is unpaused (pause it first). For a domain that never ran,
//                   /firmware/optee leaves its boot device tree again.
//   kTeeQuery       type, client ID and counters. -ESRCH. A domain without TEE
//                   reports kTeeNone (not an error).
//   kSetToolData    replaces the opaque toolstack value (u.create.tool_data's
//                   place: u.tool_data). Any state. -ESRCH.
//   kTeeSetQuotas   replaces the limits on what the domain may hold in its TEE
//                   (u.tee_quotas.limits); in_use is written back either way it
//                   went. -ENOENT TEE not enabled; -EINVAL a limit 0 or above
//                   kTeeMaxSessions / kTeeMaxShmPages; -EBUSY a limit below what
//                   the domain holds now (nothing changes).
//   kTeeInfo        the platform's TEE: type (kTeeNone without one), its revision,
//                   how many guests it holds now and, once it has refused one, how
//                   many it can hold. domid is ignored. Never fails.
//   kCreateDomain   a new domain, paused, with `ram_size` bytes of RAM at IPA
//                   kGuestRamBase and `vcpus` vCPUs (all off). domid in the header
//                   is ignored; the new ID is returned in u.create.domid.
//                   -EINVAL  ram_size not a multiple of kDomainRamAlign, or outside
//                            kDomainRamMin..kDomainRamMax; vcpus not 1..kMaxVcpus;
//                            name not a valid_domain_name()
//                   -ENOMEM  not enough free memory (nothing is kept)
//                   -ENOSPC  the domain table is full (kMaxDomains domains,
//                            the control domain included)
//   kCopyToDomain   copies `size` bytes from the caller's RAM at `src` into the
//                   target's RAM at `dst`. -EFAULT if either range is not RAM of
//                   its domain; -EBUSY once the target has run; -EINVAL for the
//                   caller itself or size 0 or above 1 MiB.
//   kSetVcpuEntry   vCPU `vcpu` will start at `pc` (in the target's RAM, 4-byte
//                   aligned) with x0 = `x0`, EL1, MMU off. -EINVAL; -EBUSY once the
//                   target has run.
//   kConsoleRead    copies console output of the target, from byte position
//                   `from` (0 = the start), into the caller's RAM at `buf` (up to
//                   `size` bytes). Returns the next position and how many bytes
//                   were lost because the ring overwrote them. -EFAULT for a bad
//                   buffer.
//   kConsoleInput   queues up to `size` bytes from the caller's RAM at `buf` as
//                   input for the target's emulated PL011 (its receive buffer
//                   holds kConsoleInputMax bytes). Returns how many were taken:
//                   fewer, or 0, when the guest has not read what waits (send
//                   the rest later). -EINVAL for size 0 or above
//                   kConsoleInputMax; -EFAULT for a bad buffer; -EBUSY once the
//                   target has stopped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "warden/smccc.h"

namespace warden::abi {

inline constexpr uint32_t kDomctl =
    smccc::make_id(true, true, smccc::Owner::VendorHypervisor, 0x0010);
inline constexpr uint32_t kDomctlInterfaceVersion = 0x00010000;

enum DomctlCmd : uint32_t {
    kGetDomainInfo = 1,
    kPause = 2,
    kUnpause = 3,
    kDestroy = 4,
    kCreateDomain = 5,
    kCopyToDomain = 6,
    kSetVcpuEntry = 7,
    kConsoleRead = 8,
    kSetToolData = 9,
    kConsoleInput = 10,
    kTeeEnable = 16,
    kTeeDisable = 17,
    kTeeQuery = 18,
    kTeeInfo = 19,
    kTeeSetQuotas = 20,
};

enum TeeType : uint32_t {
    kTeeNone = 0,
    kTeeOptee = 1,
};

// How a guest is told about its TEE in a device tree the hypervisor built.
enum TeeDtMethod : uint32_t {
    kTeeDtNone = 0,  // the toolstack describes the TEE in the guest's DT itself
    kTeeDtSmc = 1,   // add /firmware/optee with method = "smc"
    kTeeDtHvc = 2,   // ... method = "hvc"
};

// Domain states as reported by kGetDomainInfo.
enum DomainStateCode : uint32_t {
    kStateCreated = 1,  // never ran
    kStateRunning = 2,
    kStatePaused = 3,
    kStateShutdown = 4,
    kStateCrashed = 5,
};

enum ShutdownCode : uint32_t {
    kShutdownNone = 0,
    kShutdownPowerOff = 1,
    kShutdownReset = 2,
    kShutdownCpusOff = 3,
    kShutdownCrash = 4,
};

// The one spelling of each state and shutdown reason, for logs and the API.
constexpr const char* domain_state_name(uint32_t code) {
    switch (code) {
    case kStateCreated:
        return "created";
    case kStateRunning:
        return "running";
    case kStatePaused:
        return "paused";
    case kStateShutdown:
        return "shutdown";
    case kStateCrashed:
        return "crashed";
    default:
        return "unknown";
    }
}

constexpr const char* shutdown_name(uint32_t code) {
    switch (code) {
    case kShutdownNone:
        return "none";
    case kShutdownPowerOff:
        return "poweroff";
    case kShutdownReset:
        return "reset";
    case kShutdownCpusOff:
        return "cpus-off";
    case kShutdownCrash:
        return "crash";
    default:
        return "unknown";
    }
}

inline constexpr uint32_t kInfoFirstAtOrAfter = 1u << 0;  // GetDomainInfo flags
inline constexpr uint32_t kDomainPrivileged = 1u << 0;    // DomainInfo flags
inline constexpr uint32_t kDomainBootDt = 1u << 1;        // DT built by the hypervisor
inline constexpr uint32_t kDomainHasRun = 1u << 2;        // has been scheduled at least once

// How many domains the hypervisor holds at once, the control domain included.
inline constexpr unsigned kMaxDomains = 64;

// What kCreateDomain accepts, and where the new domain's RAM appears. The
// toolstack validates guest configurations with these same numbers.
inline constexpr uint64_t kGuestRamBase = 0x40000000;  // IPA of a created domain's RAM
inline constexpr uint64_t kDomainRamAlign = uint64_t{2} << 20;
inline constexpr uint64_t kDomainRamMin = kDomainRamAlign;
inline constexpr uint64_t kDomainRamMax = uint64_t{1} << 30;
inline constexpr unsigned kMaxVcpus = 4;  // per domain

// Every domain's emulated PL011 UART (docs/virtual-hardware.md): where it sits
// in the IPA space (as on QEMU's virt), and its interrupt (SPI 1, INTID 33).
inline constexpr uint64_t kGuestUartBase = 0x09000000;
inline constexpr uint64_t kGuestUartSize = 0x1000;
inline constexpr uint32_t kGuestUartSpi = 1;
// Every domain's virtual GICv2 distributor (as on QEMU's virt).
inline constexpr uint64_t kGuestGicdBase = 0x08000000;
inline constexpr uint64_t kGuestGicdSize = 0x10000;
// Its virtual GIC CPU interface (the hardware's GICV, mapped there).
inline constexpr uint64_t kGuestGiccBase = 0x08010000;
inline constexpr uint64_t kGuestGiccSize = 0x2000;

inline constexpr unsigned kDomainNameMax = 32;  // including the terminating NUL

// A domain name: 1 to kDomainNameMax - 1 characters, a lowercase letter first,
// then lowercase letters, digits and '-', not ending in '-'; NUL-terminated
// within `size` bytes. Names reach logs and terminals, so nothing else is
// accepted. The toolstack applies the same rule to guest names.
constexpr bool valid_domain_name(const char* name, unsigned size) {
    if (size == 0 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
    for (unsigned i = 1; i < size && i < kDomainNameMax; ++i) {
        char c = name[i];
        if (c == '\0') return name[i - 1] != '-';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return false;
}

struct DomctlGetDomainInfo {
    uint32_t flags;       // in: kInfoFirstAtOrAfter
    uint32_t reserved;    // in: 0
    uint16_t domid;       // out: the domain described
    uint16_t vcpus;       // out
    uint32_t state;       // out: DomainStateCode
    uint32_t shutdown;    // out: ShutdownCode
    uint32_t dom_flags;   // out: kDomainPrivileged, kDomainBootDt
    uint64_t ram_base;    // out: IPA
    uint64_t ram_size;    // out: bytes
    uint32_t tee_type;    // out: TeeType
    uint16_t tee_client;  // out: TEE client ID (0 if none)
    uint16_t reserved2;
    char name[kDomainNameMax];  // out: given at creation ("" for boot domains)
    uint64_t tool_data;         // out: opaque value the toolstack stored at creation
};
static_assert(sizeof(DomctlGetDomainInfo) == 88);

struct DomctlCreateDomain {
    uint64_t ram_size;          // in: bytes, kDomainRamMin..kDomainRamMax, kDomainRamAlign
    uint32_t vcpus;             // in: 1..kMaxVcpus
    uint32_t flags;             // in: 0
    char name[kDomainNameMax];  // in: valid_domain_name()
    uint64_t tool_data;         // in: kept and reported by kGetDomainInfo
    uint16_t domid;             // out
    uint16_t reserved[3];
};
static_assert(sizeof(DomctlCreateDomain) == 64);

struct DomctlCopyToDomain {
    uint64_t dst;   // in: IPA in the target
    uint64_t src;   // in: IPA in the caller
    uint64_t size;  // in: bytes, 1..kCopyMax
};
static_assert(sizeof(DomctlCopyToDomain) == 24);
inline constexpr uint64_t kCopyMax = 1024 * 1024;

struct DomctlSetVcpuEntry {
    uint32_t vcpu;      // in
    uint32_t reserved;  // in: 0
    uint64_t pc;        // in: IPA
    uint64_t x0;        // in
};
static_assert(sizeof(DomctlSetVcpuEntry) == 24);

struct DomctlConsoleRead {
    uint64_t from;    // in: byte position (0 = the first byte ever written)
    uint64_t buf;     // in: IPA in the caller
    uint32_t size;    // in: room at buf
    uint32_t copied;  // out: bytes written to buf
    uint64_t next;    // out: position after the last byte copied
    uint64_t lost;    // out: bytes between `from` and the oldest byte still kept
};
static_assert(sizeof(DomctlConsoleRead) == 40);

struct DomctlConsoleInput {
    uint64_t buf;       // in: IPA in the caller
    uint32_t size;      // in: bytes, 1..kConsoleInputMax
    uint32_t accepted;  // out: bytes queued for the guest
};
static_assert(sizeof(DomctlConsoleInput) == 16);
inline constexpr uint32_t kConsoleInputMax = 256;

// What a domain may hold in its TEE at once: open sessions, and pages of its
// memory registered with (or lent to) the TEE. The mediator enforces them.
struct DomctlTeeQuotas {
    uint32_t sessions;
    uint32_t shm_pages;
};
static_assert(sizeof(DomctlTeeQuotas) == 8);
inline constexpr uint32_t kTeeDefaultSessions = 16;
inline constexpr uint32_t kTeeDefaultShmPages = 256;
inline constexpr uint32_t kTeeMaxSessions = 128;
inline constexpr uint32_t kTeeMaxShmPages = 16384;  // 64 MiB

struct DomctlTeeEnable {
    uint32_t tee_type;       // in: TeeType (kTeeOptee)
    uint32_t dt_method;      // in: TeeDtMethod
    uint32_t guest_limit;    // in: 0; out with -ENOSPC: guests the TEE holds at most
    uint32_t guests_in_use;  // in: 0; out with -ENOSPC: guests registered with it
    DomctlTeeQuotas quotas;  // in: limits, 0 for the default; each at most the maximum
};
static_assert(sizeof(DomctlTeeEnable) == 24);

struct DomctlTeeSetQuotas {
    DomctlTeeQuotas limits;  // in: 1..kTeeMaxSessions, 1..kTeeMaxShmPages
    DomctlTeeQuotas in_use;  // out: what the domain holds now
};
static_assert(sizeof(DomctlTeeSetQuotas) == 16);

struct DomctlTeeQuery {
    uint32_t tee_type;   // out: TeeType (kTeeNone: not enabled)
    uint16_t client_id;  // out
    uint16_t reserved;
    uint64_t calls_forwarded;  // out: guest calls passed to the TEE
    uint64_t calls_refused;    // out: guest calls answered by the mediator with an error
    uint32_t guest_limit;      // out: guests the TEE can hold (0 if unknown)
    uint32_t guests_in_use;    // out: guests the hypervisor has registered
    DomctlTeeQuotas limits;    // out: the domain's quotas (0 when not enabled)
    DomctlTeeQuotas in_use;    // out: what it holds against them
};
static_assert(sizeof(DomctlTeeQuery) == 48);

struct DomctlTeeInfo {
    uint32_t tee_type;       // out: TeeType of the platform's TEE
    uint32_t os_major;       // out: the TEE's own revision (OP-TEE: GET_OS_REVISION)
    uint32_t os_minor;       // out
    uint32_t guest_limit;    // out: 0 until the TEE has refused a guest
    uint32_t guests_in_use;  // out
    uint32_t threads;        // out: the TEE's thread count (0 if unknown)
};
static_assert(sizeof(DomctlTeeInfo) == 24);

struct Domctl {
    uint32_t cmd;                // DomctlCmd
    uint32_t interface_version;  // kDomctlInterfaceVersion
    uint16_t domid;              // target domain
    uint16_t reserved0;          // 0
    uint32_t reserved1;          // 0
    union {
        DomctlGetDomainInfo info;
        DomctlCreateDomain create;
        DomctlCopyToDomain copy;
        DomctlSetVcpuEntry entry;
        DomctlConsoleRead console;
        DomctlConsoleInput input;
        DomctlTeeEnable tee_enable;
        DomctlTeeSetQuotas tee_quotas;
        DomctlTeeQuery tee_query;
        DomctlTeeInfo tee_info;
        uint64_t tool_data;
        uint8_t raw[112];  // room for later operations; unused bytes must be 0
    } u;
};
static_assert(sizeof(Domctl) == 128);

// A request with the envelope filled in and every other byte zero, as the
// hypervisor requires of fields an operation does not read.
inline Domctl make_domctl(uint32_t cmd, uint16_t domid) {
    Domctl op{};
    __builtin_memset(&op, 0, sizeof op);  // padding and the whole union, not just a member
    op.cmd = cmd;
    op.interface_version = kDomctlInterfaceVersion;
    op.domid = domid;
    return op;
}
static_assert(offsetof(Domctl, u) == 16);

}  // namespace warden::abi
