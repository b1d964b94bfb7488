// SPDX-License-Identifier: MIT
// CRC-32 (ISO-HDLC: polynomial 0xEDB88320 reflected, init and final XOR all ones),
// the checksum of the relay protocol's frames. Header-only and freestanding, so
// the dom0 agent and the host toolstack compute it from the same code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace warden::abi {

namespace detail {
struct Crc32Table {
    uint32_t v[256];
};
constexpr Crc32Table make_crc32_table() {
    Crc32Table t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t.v[i] = c;
    }
    return t;
}
inline constexpr Crc32Table kCrc32Table = make_crc32_table();
}  // namespace detail

// Continues a CRC over more bytes: crc32(data, n) == crc32_update(crc32(a), b...).
constexpr uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    crc = ~crc;
    for (size_t i = 0; i < n; ++i) crc = detail::kCrc32Table.v[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

constexpr uint32_t crc32(const void* data, size_t n) {
    return crc32_update(0, data, n);
}

}  // namespace warden::abi
