// SPDX-License-Identifier: Apache-2.0
// The trusted applications built into the OP-TEE model, as test guests and host
// tests call them. Their UUIDs are fixed; each is a few lines of the model
// (model.cc), not a real TA.
#pragma once

#include <cstdint>

namespace warden::optee_model::tas {

// The UUID's 16 bytes as OPEN_SESSION's first META value param carries them:
// two little-endian words (value.a, value.b).
struct Uuid {
    uint64_t a;
    uint64_t b;
};

// "increment": command 0 adds 1 to value param 0 (VALUE_INOUT) and returns it.
inline constexpr Uuid kIncrement = {0x5741'5244'454e'0001ull, 0x696e'6372'656d'656eull};
inline constexpr uint32_t kIncrementCmdAddOne = 0;
// Command 1 does the same, but first returns to the normal world with an RPC
// FOREIGN_INTR (as OP-TEE does when a normal-world interrupt arrives while it
// runs): the call completes only when the caller resumes the thread.
inline constexpr uint32_t kIncrementCmdAddOneAfterInterrupt = 1;

// "buffers": reads and writes memory references (registered or temporary).
//  command 0 (checksum): param 0 a memref input, param 1 VALUE_OUTPUT: a = the
//                        FNV-1a hash of the buffer's bytes, b = bytes read;
//  command 1 (fill):     param 0 a memref output, param 1 VALUE_INPUT: a = seed;
//                        byte i of the buffer becomes fill_byte(seed, i).
inline constexpr Uuid kBuffers = {0x5741'5244'454e'0002ull, 0x6275'6666'6572'7321ull};
inline constexpr uint32_t kBuffersCmdChecksum = 0;
inline constexpr uint32_t kBuffersCmdFill = 1;

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr uint64_t fnv1a(uint64_t hash, const uint8_t* p, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
    return hash;
}
// Differs from page to page (a hash of the page index, so that no two pages
// of a 64 MiB buffer share a pattern), so that pages given in the wrong order
// show.
inline constexpr uint8_t fill_byte(uint64_t seed, uint64_t i) {
    return static_cast<uint8_t>(seed + i * 7 +
                                (static_cast<uint32_t>(i >> 12) * 0x9e3779b1u >> 24));
}

// A TA the normal world supplies, as tee-supplicant loads TAs from files: asked
// to open a session with a UUID it has no built-in TA for, the model asks the
// normal world (RPC CMD LOAD_TA) for its size, for a buffer that size (SHM_ALLOC),
// for the TA in it (LOAD_TA), and frees the buffer (SHM_FREE). An image that
// starts with this header, naming the UUID asked for, "loads": the session then
// behaves as the increment TA's.
inline constexpr uint64_t kTaImageMagic = 0x3141'5444'5241'5757ull;
struct TaImage {
    uint64_t magic;
    uint64_t uuid_a;
    uint64_t uuid_b;
};
inline constexpr Uuid kLoadable = {0x5741'5244'454e'0003ull, 0x6c6f'6164'6162'6c65ull};

// OP-TEE's device-enumeration pseudo-TA (7011a688-ddde-4053-a5a9-7b3c4ddf13b8),
// which Linux's driver opens at probe and again once tee-supplicant runs. The
// model has no TEE-bus devices: both commands answer success with an empty list.
inline constexpr Uuid kDeviceEnum = {0x5340'dedd'88a6'1170ull, 0xb813'df4d'3c7b'a9a5ull};
inline constexpr uint32_t kDeviceEnumCmdGetDevices = 0;
inline constexpr uint32_t kDeviceEnumCmdGetDevicesSupp = 1;

// A UUID no TA has: OPEN_SESSION makes the model ask the normal world to load
// it (RPC_ALLOC, RPC_CMD LOAD_TA, RPC_FREE) and then answer ITEM_NOT_FOUND, as
// OP-TEE does for a TA it cannot find.
inline constexpr Uuid kNotInstalled = {0x5741'5244'454e'00ffull, 0x6e6f'2d73'7563'6821ull};

}  // namespace warden::optee_model::tas
