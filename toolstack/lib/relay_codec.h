// SPDX-License-Identifier: Apache-2.0
// Host side of the relay protocol (warden/relay.h): building request frames and
// pulling complete, checked frames out of a byte stream, with the framing rules
// the agent uses too (warden/relay_frame.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "warden/relay.h"

namespace warden::toolstack {

struct Frame {
    uint16_t type = 0;
    uint32_t seq = 0;
    std::vector<uint8_t> payload;
};

// A complete frame ready to send.
std::vector<uint8_t> encode_frame(uint16_t type, uint32_t seq, std::span<const uint8_t> payload);

template <typename T>
std::span<const uint8_t> as_bytes(const T& v) {
    return {reinterpret_cast<const uint8_t*>(&v), sizeof v};
}

// Accumulates received bytes and yields frames that pass the relay's checks
// (warden/relay_frame.h, the agent's own rules): header CRC, version, length,
// payload CRC. Bytes that cannot start a frame are skipped up to the next magic;
// a bad frame is dropped (and counted) without losing the ones after it.
class FrameReader {
public:
    void feed(std::span<const uint8_t> bytes);
    std::optional<Frame> next();
    uint64_t dropped_bytes() const { return dropped_; }
    uint64_t corrupt_frames() const { return corrupt_; }
    // Frames with a sound header in another protocol version: an agent this
    // toolstack cannot talk to.
    uint64_t wrong_version_frames() const { return wrong_version_; }

private:
    void discard(size_t n);
    std::vector<uint8_t> buf_;
    uint64_t dropped_ = 0;
    uint64_t corrupt_ = 0;
    uint64_t wrong_version_ = 0;
};

// "kRelayErrBadPayloadCrc" etc., for messages.
std::string relay_error_name(uint32_t code);

}  // namespace warden::toolstack
