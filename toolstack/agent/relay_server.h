// SPDX-License-Identifier: Apache-2.0
// The agent's side of the relay protocol (warden/relay.h): pulls frames out of the
// byte stream the host sends, turns each request into domctl hypercalls and sends
// the response. It knows nothing of virtio or of hypercall instructions: those
// reach it through RelayPort, so the same code runs on the host under test.
//
// Rules (see README.md): garbage is skipped up to the next magic; a header that
// fails its CRC is answered with an error of seq 0, any other bad frame with an
// error echoing its seq; a frame whose payload stops short (nothing more arrives
// for kStallMs) is answered kRelayErrBadLength. After an error the bytes following
// the bad frame's first byte are scanned again, so a good frame hidden behind a
// broken one is still found. The last executed request's response is kept: the
// same request again (seq, type and payload) gets it re-sent, not re-executed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "warden/domctl.h"
#include "warden/relay.h"

namespace agent {

namespace abi = warden::abi;

// What the relay server needs from the machine it runs on.
class RelayPort {
public:
    // Sends one frame; `frame` may be reused once this returns. False if the
    // channel is broken (the frame is lost).
    virtual bool send(const void* frame, size_t len) = 0;
    // The domctl hypercall on a struct in the agent's memory: 0 or -errno.
    virtual int64_t domctl(abi::Domctl* op) = 0;
    virtual uint32_t hypercall_version() = 0;
    virtual uint64_t now_ms() = 0;
    virtual void log(const char* line) = 0;

protected:
    ~RelayPort() = default;
};

class RelayServer {
public:
    static constexpr size_t kMaxFrame = sizeof(abi::RelayHeader) + abi::kRelayMaxPayload;
    // How long an incomplete frame may wait for its next byte: long enough that a
    // busy host does not trip it mid-frame, shorter than the toolstack's retry
    // timeout, so that a retry after a cut-off frame starts on a clean stream.
    static constexpr uint64_t kStallMs = 1000;

    explicit RelayServer(RelayPort& port) : port_(port) {}

    // Takes received bytes and serves every frame they complete. Returns how many
    // bytes it took: all of them unless its buffer filled up (call again).
    size_t feed(const uint8_t* data, size_t n);
    // Called while nothing arrives: gives up on a frame that stopped short.
    void idle();
    // The stream was cut (channel reset): forget any partial frame. The retry
    // cache survives, so a request repeated over the new stream is not re-executed.
    void reset_stream();

    struct Stats {
        uint64_t frames = 0;         // requests executed
        uint64_t retries = 0;        // answered from the retry cache
        uint64_t errors = 0;         // error frames sent
        uint64_t garbage_bytes = 0;  // skipped outside any frame
        uint64_t send_failures = 0;  // responses the channel did not take
    };
    const Stats& stats() const { return stats_; }

private:
    enum class Step { NeedMore, Consumed };

    void process();
    Step scan_frame();
    void drop(size_t n) { start_ += n; }
    void resync_after_error();
    void serve(const abi::RelayHeader& h, const uint8_t* payload);
    void serve_ping(const abi::RelayHeader& h);
    void serve_domctl(const abi::RelayHeader& h, const uint8_t* payload);
    void serve_load(const abi::RelayHeader& h, const uint8_t* payload);
    void serve_console_read(const abi::RelayHeader& h, const uint8_t* payload);
    void serve_console_input(const abi::RelayHeader& h, const uint8_t* payload);
    // Response payloads are built in place after the header of out_.
    uint8_t* response_payload() { return out_ + sizeof(abi::RelayHeader); }
    void respond(const abi::RelayHeader& req, uint32_t length);
    void send_error(uint32_t seq, uint32_t code, uint32_t bad_type, const char* what);
    void send_frame(const void* frame, size_t len);
    void note(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    bool take_note_budget();
    void note_suppressed();
    void flush_garbage_note();

    RelayPort& port_;
    Stats stats_;

    // Received bytes not yet consumed: in_[start_, end_). Twice a frame, so a
    // frame in progress rarely needs moving to the front.
    alignas(16) uint8_t in_[2 * kMaxFrame];
    size_t start_ = 0;
    size_t end_ = 0;
    uint64_t last_rx_ms_ = 0;
    // Bytes skipped while looking for a frame, reported once a frame (or
    // silence) ends the run. Bytes skipped while resynchronising after a
    // reported error belong to that error and are not counted again.
    uint64_t garbage_run_ = 0;
    bool resyncing_ = false;

    // The last executed request and its response (the retry cache).
    alignas(16) uint8_t out_[kMaxFrame];
    size_t out_len_ = 0;
    bool cached_ = false;
    uint32_t cached_seq_ = 0;
    uint16_t cached_type_ = 0;
    uint32_t cached_length_ = 0;
    uint32_t cached_crc_ = 0;

    alignas(16) uint8_t err_frame_[sizeof(abi::RelayHeader) + sizeof(abi::RelayErrorReply)];
    // The domctl is issued on this copy, never on the (unaligned) frame bytes.
    abi::Domctl op_{};

    // Console lines: a burst, then one per kNoteIntervalMs; the rest counted.
    static constexpr unsigned kNoteBurst = 8;
    static constexpr uint64_t kNoteIntervalMs = 1000;
    unsigned note_budget_ = kNoteBurst;
    uint64_t note_refill_ms_ = 0;
    uint64_t notes_suppressed_ = 0;
};

}  // namespace agent
