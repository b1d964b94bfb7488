// SPDX-License-Identifier: MIT
// The relay's framing rules (warden/relay.h), in one place for both ends: the
// dom0 agent (freestanding) and the host toolstack build frames and check them
// with these functions. Header-only, no allocation, no library.
#pragma once

#include <cstddef>
#include <cstdint>

#include "warden/crc32.h"
#include "warden/relay.h"

namespace warden::abi::relay {

// The CRC implementation: abi::crc32, or an accelerated one computing the same.
using Crc32Fn = uint32_t (*)(const void* data, size_t n);

inline constexpr size_t kHeaderCrcBytes = offsetof(RelayHeader, header_crc);

// Fills magic, version and both CRCs of a header whose type, seq and length are
// set, for `length` payload bytes at `payload`.
inline void seal(RelayHeader& h, const void* payload, Crc32Fn crc = crc32) {
    h.magic = kRelayMagic;
    h.version = kRelayVersion;
    h.payload_crc = crc(payload, h.length);
    h.header_crc = crc(&h, kHeaderCrcBytes);
}

enum class HeaderVerdict { Ok, BadCrc, BadVersion, TooLarge };

// Whether a header (found at a magic) starts a frame this end can take. The CRC
// comes first: a header that fails it says nothing, not even its version.
inline HeaderVerdict check_header(const RelayHeader& h, Crc32Fn crc = crc32) {
    if (h.magic != kRelayMagic || h.header_crc != crc(&h, kHeaderCrcBytes)) {
        return HeaderVerdict::BadCrc;
    }
    if (h.version != kRelayVersion) return HeaderVerdict::BadVersion;
    if (h.length > kRelayMaxPayload) return HeaderVerdict::TooLarge;
    return HeaderVerdict::Ok;
}

// The RelayErrorReply code for a header that is not Ok.
constexpr uint32_t error_code(HeaderVerdict v) {
    switch (v) {
    case HeaderVerdict::BadCrc:
        return kRelayErrBadHeaderCrc;
    case HeaderVerdict::BadVersion:
        return kRelayErrBadVersion;
    case HeaderVerdict::TooLarge:
        return kRelayErrTooLarge;
    case HeaderVerdict::Ok:
        break;
    }
    return 0;
}

inline bool payload_ok(const RelayHeader& h, const void* payload, Crc32Fn crc = crc32) {
    return crc(payload, h.length) == h.payload_crc;
}

// Where the next frame may start in `n` bytes: the offset of the first complete
// magic, or of a prefix of one at the very end (more bytes may complete it), or
// `n` when neither is there. Everything before it is garbage.
inline size_t magic_offset(const uint8_t* p, size_t n) {
    const uint8_t magic[4] = {
        static_cast<uint8_t>(kRelayMagic), static_cast<uint8_t>(kRelayMagic >> 8),
        static_cast<uint8_t>(kRelayMagic >> 16), static_cast<uint8_t>(kRelayMagic >> 24)};
    for (size_t i = 0; i < n; ++i) {
        size_t k = 0;
        while (k < 4 && i + k < n && p[i + k] == magic[k]) ++k;
        if (k == 4 || i + k == n) return i;
    }
    return n;
}

}  // namespace warden::abi::relay
