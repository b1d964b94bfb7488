// SPDX-License-Identifier: Apache-2.0
#include "relay_server.h"

#include <cstdarg>
#include <cstring>

#include "crc.h"
#include "lib/format.h"
#include "warden/errno.h"
#include "warden/relay_frame.h"

namespace agent {
namespace {

namespace err = warden::abi::err;
using abi::RelayHeader;

template <typename T>
T min_of(T a, T b) {
    return a < b ? a : b;
}

void seal(RelayHeader& h, const void* payload) {
    abi::relay::seal(h, payload, crc32);
}

// kCopyToDomain, kConsoleRead and kConsoleInput take an address in the caller's
// memory, and the agent's memory is its own business: the host asks for them
// with LOAD, CONSOLE_READ and CONSOLE_INPUT, where the agent picks the address.
// A later domctl that takes a caller address belongs on this list too.
bool takes_agent_address(uint32_t cmd) {
    return cmd == abi::kCopyToDomain || cmd == abi::kConsoleRead || cmd == abi::kConsoleInput;
}

}  // namespace

size_t RelayServer::feed(const uint8_t* data, size_t n) {
    if (n == 0) return 0;
    if (end_ == sizeof in_) {
        // process() never leaves more than one incomplete frame, so this makes room.
        std::memmove(in_, in_ + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    size_t take = min_of(n, sizeof in_ - end_);
    std::memcpy(in_ + end_, data, take);
    end_ += take;
    last_rx_ms_ = port_.now_ms();
    process();
    return take;
}

void RelayServer::idle() {
    if (notes_suppressed_) note_suppressed();
    if (start_ == end_ && garbage_run_ == 0) return;
    uint64_t now = port_.now_ms();
    if (now - last_rx_ms_ < kStallMs) return;
    last_rx_ms_ = now;  // whatever the rescan below finds gets a full wait of its own
    if (end_ - start_ >= sizeof(RelayHeader)) {
        // process() only leaves a checked header whose payload is incomplete.
        RelayHeader h;
        std::memcpy(&h, in_ + start_, sizeof h);
        send_error(h.seq, abi::kRelayErrBadLength, h.type, "payload stopped short");
        resync_after_error();
        process();
    } else if (start_ != end_) {
        // The beginning of a header that never completed.
        if (!resyncing_) garbage_run_ += end_ - start_;
        drop(end_ - start_);
    }
    if (start_ == end_) flush_garbage_note();
}

void RelayServer::reset_stream() {
    start_ = end_ = 0;
    garbage_run_ = 0;
    resyncing_ = false;
}

void RelayServer::process() {
    while (scan_frame() == Step::Consumed) {
    }
    if (start_ == end_) start_ = end_ = 0;
}

void RelayServer::resync_after_error() {
    // The bad frame's length cannot be trusted: look for the next frame from its
    // second byte on.
    drop(1);
    resyncing_ = true;
}

RelayServer::Step RelayServer::scan_frame() {
    size_t avail = end_ - start_;
    if (size_t skip = abi::relay::magic_offset(in_ + start_, avail)) {
        if (!resyncing_) garbage_run_ += skip;
        drop(skip);
        avail -= skip;
    }
    if (avail < sizeof(RelayHeader)) return Step::NeedMore;

    RelayHeader h;
    std::memcpy(&h, in_ + start_, sizeof h);
    auto verdict = abi::relay::check_header(h, crc32);
    if (verdict == abi::relay::HeaderVerdict::BadCrc) {
        flush_garbage_note();
        send_error(0, abi::kRelayErrBadHeaderCrc, 0, "bad header CRC");
        resync_after_error();
        return Step::Consumed;
    }
    flush_garbage_note();
    resyncing_ = false;
    if (verdict != abi::relay::HeaderVerdict::Ok) {
        send_error(h.seq, abi::relay::error_code(verdict), h.type,
                   verdict == abi::relay::HeaderVerdict::BadVersion ? "unsupported protocol version"
                                                                    : "payload too large");
        resync_after_error();
        return Step::Consumed;
    }
    size_t total = sizeof h + h.length;
    if (avail < total) return Step::NeedMore;
    const uint8_t* payload = in_ + start_ + sizeof h;
    if (!abi::relay::payload_ok(h, payload, crc32)) {
        send_error(h.seq, abi::kRelayErrBadPayloadCrc, h.type, "bad payload CRC");
        resync_after_error();
        return Step::Consumed;
    }
    serve(h, payload);
    drop(total);
    return Step::Consumed;
}

void RelayServer::serve(const RelayHeader& h, const uint8_t* payload) {
    if (cached_ && h.seq == cached_seq_ && h.type == cached_type_ && h.length == cached_length_ &&
        h.payload_crc == cached_crc_) {
        ++stats_.retries;
        send_frame(out_, out_len_);
        return;
    }
    bool length_ok = false;
    switch (h.type) {
    case abi::kRelayPing:
        length_ok = h.length == 0;
        break;
    case abi::kRelayDomctl:
        length_ok = h.length == sizeof(abi::Domctl);
        break;
    case abi::kRelayLoad:
        length_ok = h.length > sizeof(abi::RelayLoad);
        break;
    case abi::kRelayConsoleRead:
        length_ok = h.length == sizeof(abi::RelayConsoleRead);
        break;
    case abi::kRelayConsoleInput:
        length_ok = h.length > sizeof(abi::RelayConsoleInput) &&
                    h.length - sizeof(abi::RelayConsoleInput) <= abi::kConsoleInputMax;
        break;
    default:
        send_error(h.seq, abi::kRelayErrUnknownType, h.type, "unknown request type");
        return;
    }
    if (!length_ok) {
        send_error(h.seq, abi::kRelayErrBadLength, h.type, "payload length wrong for the request");
        return;
    }
    // The response buffer is about to be overwritten: it no longer answers a retry.
    cached_ = false;
    ++stats_.frames;
    switch (h.type) {
    case abi::kRelayPing:
        serve_ping(h);
        break;
    case abi::kRelayDomctl:
        serve_domctl(h, payload);
        break;
    case abi::kRelayLoad:
        serve_load(h, payload);
        break;
    case abi::kRelayConsoleRead:
        serve_console_read(h, payload);
        break;
    case abi::kRelayConsoleInput:
        serve_console_input(h, payload);
        break;
    default:
        break;
    }
}

void RelayServer::serve_ping(const RelayHeader& h) {
    abi::RelayPingReply r{};
    r.agent_version = abi::kRelayVersion;
    r.hypercall_version = port_.hypercall_version();
    r.max_payload = abi::kRelayMaxPayload;
    std::memcpy(response_payload(), &r, sizeof r);
    respond(h, sizeof r);
}

void RelayServer::serve_domctl(const RelayHeader& h, const uint8_t* payload) {
    std::memcpy(&op_, payload, sizeof op_);
    abi::RelayDomctlReply r;
    r.rc = takes_agent_address(op_.cmd) ? -err::kInval : port_.domctl(&op_);
    r.op = op_;
    std::memcpy(response_payload(), &r, sizeof r);
    respond(h, sizeof r);
}

void RelayServer::serve_load(const RelayHeader& h, const uint8_t* payload) {
    abi::RelayLoad req;
    std::memcpy(&req, payload, sizeof req);
    const uint8_t* data = payload + sizeof req;
    uint64_t size = h.length - sizeof req;
    abi::RelayStatus st{};
    if (req.reserved0 || req.reserved1) st.rc = -err::kInval;
    // The agent runs 1:1 with its MMU off: a pointer is its own IPA.
    for (uint64_t done = 0; st.rc == 0 && done < size;) {
        uint64_t n = min_of(size - done, abi::kCopyMax);
        op_ = abi::make_domctl(abi::kCopyToDomain, req.domid);
        op_.u.copy.dst = req.dst + done;
        op_.u.copy.src = reinterpret_cast<uintptr_t>(data + done);
        op_.u.copy.size = n;
        st.rc = port_.domctl(&op_);
        done += n;
    }
    std::memcpy(response_payload(), &st, sizeof st);
    respond(h, sizeof st);
}

void RelayServer::serve_console_read(const RelayHeader& h, const uint8_t* payload) {
    abi::RelayConsoleRead req;
    std::memcpy(&req, payload, sizeof req);
    abi::RelayConsoleReply rep{};
    uint8_t* bytes = response_payload() + sizeof rep;
    constexpr uint32_t kRoom = abi::kRelayMaxPayload - sizeof rep;
    if (req.reserved0) {
        rep.rc = -err::kInval;
    } else {
        uint32_t max = min_of(req.max_bytes, kRoom);
        op_ = abi::make_domctl(abi::kConsoleRead, req.domid);
        op_.u.console.from = req.from;
        op_.u.console.buf = reinterpret_cast<uintptr_t>(bytes);
        op_.u.console.size = max;
        rep.rc = port_.domctl(&op_);
        if (rep.rc == 0) {
            rep.next = op_.u.console.next;
            rep.lost = op_.u.console.lost;
            rep.length = min_of(op_.u.console.copied, max);
        }
    }
    std::memcpy(response_payload(), &rep, sizeof rep);
    respond(h, static_cast<uint32_t>(sizeof rep) + rep.length);
}

void RelayServer::serve_console_input(const RelayHeader& h, const uint8_t* payload) {
    abi::RelayConsoleInput req;
    std::memcpy(&req, payload, sizeof req);
    abi::RelayConsoleInputReply rep{};
    if (req.reserved0 || req.reserved1) {
        rep.rc = -err::kInval;
    } else {
        // The bytes stay where the frame brought them, in the agent's own memory.
        op_ = abi::make_domctl(abi::kConsoleInput, req.domid);
        op_.u.input.buf = reinterpret_cast<uintptr_t>(payload + sizeof req);
        op_.u.input.size = h.length - static_cast<uint32_t>(sizeof req);
        rep.rc = port_.domctl(&op_);
        if (rep.rc == 0) rep.accepted = op_.u.input.accepted;
    }
    std::memcpy(response_payload(), &rep, sizeof rep);
    respond(h, sizeof rep);
}

void RelayServer::respond(const RelayHeader& req, uint32_t length) {
    RelayHeader h{};
    h.type = static_cast<uint16_t>(req.type | abi::kRelayResponse);
    h.seq = req.seq;
    h.length = length;
    seal(h, response_payload());
    std::memcpy(out_, &h, sizeof h);
    out_len_ = sizeof h + length;
    cached_ = true;
    cached_seq_ = req.seq;
    cached_type_ = req.type;
    cached_length_ = req.length;
    cached_crc_ = req.payload_crc;
    send_frame(out_, out_len_);
}

void RelayServer::send_error(uint32_t seq, uint32_t code, uint32_t bad_type, const char* what) {
    ++stats_.errors;
    note("seq %u: %s (type 0x%x): error %u sent", seq, what, bad_type, code);
    abi::RelayErrorReply r{code, bad_type};
    RelayHeader h{};
    h.type = abi::kRelayError;
    h.seq = seq;
    h.length = sizeof r;
    seal(h, &r);
    std::memcpy(err_frame_, &h, sizeof h);
    std::memcpy(err_frame_ + sizeof h, &r, sizeof r);
    send_frame(err_frame_, sizeof err_frame_);
}

void RelayServer::send_frame(const void* frame, size_t len) {
    if (!port_.send(frame, len)) ++stats_.send_failures;
}

void RelayServer::flush_garbage_note() {
    if (!garbage_run_) return;
    stats_.garbage_bytes += garbage_run_;
    note("skipped %lu byte(s) that were not a frame", static_cast<unsigned long>(garbage_run_));
    garbage_run_ = 0;
}

bool RelayServer::take_note_budget() {
    uint64_t now = port_.now_ms();
    if (now - note_refill_ms_ >= kNoteIntervalMs) {
        uint64_t earned = (now - note_refill_ms_) / kNoteIntervalMs;
        note_budget_ = static_cast<unsigned>(min_of<uint64_t>(kNoteBurst, note_budget_ + earned));
        note_refill_ms_ = now;
    }
    if (note_budget_ == 0) return false;
    --note_budget_;
    return true;
}

void RelayServer::note_suppressed() {
    if (!take_note_budget()) return;
    char line[80];
    warden::format(line, sizeof line, "agent: %lu more protocol error line(s) not shown",
                   static_cast<unsigned long>(notes_suppressed_));
    port_.log(line);
    notes_suppressed_ = 0;
}

void RelayServer::note(const char* fmt, ...) {
    if (notes_suppressed_) note_suppressed();
    if (!take_note_budget()) {
        ++notes_suppressed_;
        return;
    }
    char line[160];
    size_t n = warden::format(line, sizeof line, "agent: ");
    va_list ap;
    va_start(ap, fmt);
    warden::vformat(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    port_.log(line);
}

}  // namespace agent
