// SPDX-License-Identifier: MIT
// The relay protocol between the host toolstack and the dom0 agent: framed
// requests over a byte stream (on the QEMU platform, a virtio console wired to a
// unix socket). The agent turns each request into the real domctl hypercall, so
// the domctl bytes inside are exactly those of warden/domctl.h.
//
// Frame: a 24-byte header, then `length` payload bytes. All fields little-endian.
//   magic        kRelayMagic ("WRDN")
//   version      kRelayVersion
//   type         RelayType; responses carry type | kRelayResponse
//   seq          chosen by the host; a response echoes its request's seq
//   length       payload bytes, at most kRelayMaxPayload
//   payload_crc  crc32 of the payload
//   header_crc   crc32 of the 20 bytes before it
//
// Delivery: the host sends one request at a time and waits for the response with
// the same seq. After a timeout or reconnection it sends the *same* request with
// the same seq again; the agent keeps its last response and sends it again instead
// of executing the request twice. New requests use a new seq.
//
// Bad input never stops the agent: it answers kRelayError (seq 0 when the header
// itself was unreadable) and goes on; after garbage it resynchronises on the next
// magic.
#pragma once

#include <cstdint>

#include "warden/domctl.h"

namespace warden::abi {

inline constexpr uint32_t kRelayMagic = 0x4e445257;  // "WRDN" in memory order
inline constexpr uint16_t kRelayVersion = 1;
inline constexpr uint32_t kRelayMaxPayload = 64 * 1024;
inline constexpr uint16_t kRelayResponse = 0x8000;

struct RelayHeader {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t seq;
    uint32_t length;
    uint32_t payload_crc;
    uint32_t header_crc;
};
static_assert(sizeof(RelayHeader) == 24);

enum RelayType : uint16_t {
    // Payload: none. Response: RelayPingReply.
    kRelayPing = 1,
    // Payload: a Domctl. Response: RelayDomctlReply (rc and the Domctl as the
    // hypervisor wrote it back).
    kRelayDomctl = 2,
    // Payload: RelayLoad followed by the bytes to load (at most
    // kRelayMaxPayload - sizeof(RelayLoad)). The agent copies them into the target
    // with kCopyToDomain. Response: RelayStatus.
    kRelayLoad = 3,
    // Payload: RelayConsoleRead. Response: RelayConsoleReply followed by the bytes.
    kRelayConsoleRead = 4,
    // Payload: RelayConsoleInput followed by 1..kConsoleInputMax bytes of input
    // for the target's emulated PL011 (kConsoleInput from the agent's buffer).
    // Response: RelayConsoleInputReply.
    kRelayConsoleInput = 5,
    // Sent by the agent only: payload RelayErrorReply.
    kRelayError = 0x7fff,
};

struct RelayPingReply {
    uint32_t agent_version;      // kRelayVersion
    uint32_t hypercall_version;  // the hypervisor's (warden/hypercall.h kVersion)
    uint32_t max_payload;        // kRelayMaxPayload
    uint32_t reserved;
};

struct RelayDomctlReply {
    int64_t rc;  // 0 or -errno from the hypervisor
    Domctl op;
};

struct RelayLoad {
    uint16_t domid;
    uint16_t reserved0;
    uint32_t reserved1;
    uint64_t dst;  // IPA in the target
};
static_assert(sizeof(RelayLoad) == 16);

struct RelayStatus {
    int64_t rc;
};

struct RelayConsoleRead {
    uint16_t domid;
    uint16_t reserved0;
    uint32_t max_bytes;  // at most kRelayMaxPayload - sizeof(RelayConsoleReply)
    uint64_t from;
};
static_assert(sizeof(RelayConsoleRead) == 16);

struct RelayConsoleReply {
    int64_t rc;
    uint64_t next;
    uint64_t lost;
    uint32_t length;  // bytes that follow
    uint32_t reserved;
};
static_assert(sizeof(RelayConsoleReply) == 32);

struct RelayConsoleInput {
    uint16_t domid;
    uint16_t reserved0;
    uint32_t reserved1;
};
static_assert(sizeof(RelayConsoleInput) == 8);

struct RelayConsoleInputReply {
    int64_t rc;
    uint32_t accepted;  // bytes the guest's receive buffer took (0 when full)
    uint32_t reserved;
};
static_assert(sizeof(RelayConsoleInputReply) == 16);

enum RelayErrorCode : uint32_t {
    kRelayErrBadHeaderCrc = 1,
    kRelayErrBadPayloadCrc = 2,
    kRelayErrTooLarge = 3,  // length above kRelayMaxPayload
    kRelayErrUnknownType = 4,
    kRelayErrBadVersion = 5,
    kRelayErrBadLength = 6,  // payload size wrong for the type
};

struct RelayErrorReply {
    uint32_t code;      // RelayErrorCode
    uint32_t bad_type;  // the offending request's type, if it was readable
};

}  // namespace warden::abi
