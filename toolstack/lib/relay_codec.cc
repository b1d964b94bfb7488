#include "relay_codec.h"

#include <cstring>

#include "warden/crc32.h"

namespace warden::toolstack {

std::vector<uint8_t> encode_frame(uint16_t type, uint32_t seq, std::span<const uint8_t> payload) {
    abi::RelayHeader h{};
    h.magic = abi::kRelayMagic;
    h.version = abi::kRelayVersion;
    h.type = type;
    h.seq = seq;
    h.length = static_cast<uint32_t>(payload.size());
    h.payload_crc = abi::crc32(payload.data(), payload.size());
    h.header_crc = abi::crc32(&h, offsetof(abi::RelayHeader, header_crc));
    std::vector<uint8_t> out(sizeof h + payload.size());
    std::memcpy(out.data(), &h, sizeof h);
    if (!payload.empty()) std::memcpy(out.data() + sizeof h, payload.data(), payload.size());
    return out;
}

void FrameReader::feed(std::span<const uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<Frame> FrameReader::next() {
    for (;;) {
        // Find the next magic.
        size_t start = 0;
        while (start + 4 <= buf_.size()) {
            uint32_t m;
            std::memcpy(&m, buf_.data() + start, 4);
            if (m == abi::kRelayMagic) break;
            ++start;
        }
        if (start + 4 > buf_.size()) start = buf_.size() > 3 ? buf_.size() - 3 : 0;
        if (start) {
            dropped_ += start;
            buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(start));
        }
        if (buf_.size() < sizeof(abi::RelayHeader)) return std::nullopt;
        abi::RelayHeader h;
        std::memcpy(&h, buf_.data(), sizeof h);
        bool header_ok = h.magic == abi::kRelayMagic &&
                         h.header_crc == abi::crc32(&h, offsetof(abi::RelayHeader, header_crc)) &&
                         h.length <= abi::kRelayMaxPayload;
        if (!header_ok) {
            // Not a real frame start: skip this magic and look for the next one.
            ++corrupt_;
            dropped_ += 1;
            buf_.erase(buf_.begin());
            continue;
        }
        if (buf_.size() < sizeof h + h.length) return std::nullopt;
        const uint8_t* payload = buf_.data() + sizeof h;
        if (abi::crc32(payload, h.length) != h.payload_crc) {
            ++corrupt_;
            dropped_ += sizeof h + h.length;
            buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(sizeof h + h.length));
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
