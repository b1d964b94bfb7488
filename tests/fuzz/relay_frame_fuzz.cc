// SPDX-License-Identifier: Apache-2.0
// The relay's framing, from both ends at once: the same hostile byte stream goes
// to the dom0 agent's RelayServer (built for the host, over a fake port) and to
// the host's FrameReader, cut into pieces where the input says. Neither may
// crash or overrun; every frame the host accepts passes the shared checks
// (warden/relay_frame.h) and re-encodes to the same bytes; every answer the
// agent sends is a frame the host reads back whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "relay_codec.h"
#include "relay_server.h"
#include "warden/relay_frame.h"

namespace {

namespace abi = warden::abi;
using warden::toolstack::encode_frame;
using warden::toolstack::FrameReader;

void check(bool ok) {
    if (!ok) std::abort();
}

// Domctls fail with -ESRCH: the fuzzer aims at the framing, not the hypervisor.
class NullPort final : public agent::RelayPort {
public:
    std::vector<uint8_t> wire;
    bool send(const void* frame, size_t len) override {
        const auto* p = static_cast<const uint8_t*>(frame);
        wire.insert(wire.end(), p, p + len);
        return true;
    }
    int64_t domctl(abi::Domctl*) override { return -3; }
    uint32_t hypercall_version() override { return 1; }
    uint64_t now_ms() override { return ms += 400; }  // idle() gives up on a stall
    void log(const char*) override {}
    uint64_t ms = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    // The first byte picks how the stream is cut; some inputs start with a
    // valid frame so that the fuzzer finds its way past the CRCs.
    uint8_t cut = static_cast<uint8_t>(data[0] | 1);
    std::vector<uint8_t> stream;
    if (data[0] & 0x80) {
        auto f = encode_frame(abi::kRelayPing, 7, {});
        stream.insert(stream.end(), f.begin(), f.end());
    }
    stream.insert(stream.end(), data + 1, data + size);

    NullPort port;
    agent::RelayServer server(port);
    FrameReader host;
    for (size_t at = 0; at < stream.size(); at += cut) {
        size_t n = stream.size() - at < cut ? stream.size() - at : cut;
        for (size_t taken = 0; taken < n;) {
            taken += server.feed(stream.data() + at + taken, n - taken);
        }
        host.feed({stream.data() + at, n});
        while (auto f = host.next()) {
            check(f->payload.size() <= abi::kRelayMaxPayload);
            auto again = encode_frame(f->type, f->seq, f->payload);
            abi::RelayHeader h;
            std::memcpy(&h, again.data(), sizeof h);
            check(abi::relay::check_header(h) == abi::relay::HeaderVerdict::Ok);
            check(abi::relay::payload_ok(h, again.data() + sizeof h));
        }
    }
    for (int i = 0; i < 4; ++i) server.idle();

    // Whatever the agent said, the host reads it as whole, sound frames.
    FrameReader replies;
    replies.feed(port.wire);
    size_t bytes = 0;
    while (auto f = replies.next()) bytes += sizeof(abi::RelayHeader) + f->payload.size();
    check(replies.corrupt_frames() == 0 && replies.wrong_version_frames() == 0);
    check(bytes == port.wire.size());
    return 0;
}
