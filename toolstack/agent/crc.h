// SPDX-License-Identifier: Apache-2.0
// CRC-32 of relay frames (the checksum of warden/crc32.h). The agent checks every
// byte it receives, megabytes per image load, so on a CPU with the ARMv8 CRC32
// instructions it uses them; elsewhere (and on the host) it falls back to the table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace agent {

uint32_t crc32(const void* data, size_t n);

}  // namespace agent
