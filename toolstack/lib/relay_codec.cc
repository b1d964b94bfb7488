// SPDX-License-Identifier: Apache-2.0
#include "relay_codec.h"

#include <cstring>

#include "warden/relay_frame.h"

namespace warden::toolstack {

std::vector<uint8_t> encode_frame(uint16_t type, uint32_t seq, std::span<const uint8_t> payload) {
    abi::RelayHeader h{};
    h.type = type;
    h.seq = seq;
    h.length = static_cast<uint32_t>(payload.size());
    abi::relay::seal(h, payload.data());
    std::vector<uint8_t> out(sizeof h + payload.size());
    std::memcpy(out.data(), &h, sizeof h);
    if (!payload.empty()) std::memcpy(out.data() + sizeof h, payload.data(), payload.size());
    return out;
}

void FrameReader::feed(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void FrameReader::discard(size_t n) {
    dropped_ += n;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(n));
}

std::optional<Frame> FrameReader::next() {
    for (;;) {
        if (size_t skip = abi::relay::magic_offset(buf_.data(), buf_.size())) discard(skip);
        if (buf_.size() < sizeof(abi::RelayHeader)) return std::nullopt;
        abi::RelayHeader h;
        std::memcpy(&h, buf_.data(), sizeof h);
        auto verdict = abi::relay::check_header(h);
        if (verdict != abi::relay::HeaderVerdict::Ok) {
            // Not a frame this end can read: skip this magic, look for the next.
            if (verdict == abi::relay::HeaderVerdict::BadVersion) {
                ++wrong_version_;
            } else {
                ++corrupt_;
            }
            discard(1);
            continue;
        }
        if (buf_.size() < sizeof h + h.length) return std::nullopt;
        const uint8_t* payload = buf_.data() + sizeof h;
        if (!abi::relay::payload_ok(h, payload)) {
            ++corrupt_;
            discard(sizeof h + h.length);
            continue;
        }
        Frame f;
        f.type = h.type;
        f.seq = h.seq;
        f.payload.assign(payload, payload + h.length);
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(sizeof h + h.length));
        return f;
    }
}

std::string relay_error_name(uint32_t code) {
    switch (code) {
    case abi::kRelayErrBadHeaderCrc:
        return "bad header CRC";
    case abi::kRelayErrBadPayloadCrc:
        return "bad payload CRC";
    case abi::kRelayErrTooLarge:
        return "payload too large";
    case abi::kRelayErrUnknownType:
        return "unknown request type";
    case abi::kRelayErrBadVersion:
        return "unsupported protocol version";
    case abi::kRelayErrBadLength:
        return "payload length wrong for the request";
    default:
        return "relay error " + std::to_string(code);
    }
}

}  // namespace warden::toolstack
