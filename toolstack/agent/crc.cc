// SPDX-License-Identifier: Apache-2.0
#include "crc.h"

#include "warden/crc32.h"

#if defined(__aarch64__)
#include <arm_acle.h>
#endif

namespace agent {

#if defined(__aarch64__)
namespace {

// ID_AA64ISAR0_EL1.CRC32 (bits 19:16): optional in Armv8.0, mandatory from 8.1.
bool cpu_has_crc32() {
    uint64_t isar0;
    asm("mrs %0, id_aa64isar0_el1" : "=r"(isar0));
    return ((isar0 >> 16) & 0xf) != 0;
}

// The instructions implement the same reflected polynomial (0x04C11DB7) without the
// initial and final inversion, which are applied here as in warden/crc32.h.
__attribute__((target("+crc"))) uint32_t crc32_armv8(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    uint32_t crc = ~0u;
    // Word loads must be aligned: the agent runs with its MMU off (device memory).
    for (; n && (reinterpret_cast<uintptr_t>(p) & 7); --n) crc = __crc32b(crc, *p++);
    for (; n >= 8; n -= 8, p += 8) crc = __crc32d(crc, *reinterpret_cast<const uint64_t*>(p));
    for (; n; --n) crc = __crc32b(crc, *p++);
    return ~crc;
}

}  // namespace

uint32_t crc32(const void* data, size_t n) {
    static const bool has_crc32 = cpu_has_crc32();
    return has_crc32 ? crc32_armv8(data, n) : warden::abi::crc32(data, n);
}

#else

uint32_t crc32(const void* data, size_t n) {
    return warden::abi::crc32(data, n);
}

#endif

}  // namespace agent
