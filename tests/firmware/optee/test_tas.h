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

}  // namespace warden::optee_model::tas
