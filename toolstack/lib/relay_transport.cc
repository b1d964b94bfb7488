// SPDX-License-Identifier: Apache-2.0
#include "relay_transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "unix_socket.h"

namespace warden::toolstack {
namespace {

using Clock = std::chrono::steady_clock;

template <typename T>
bool read_struct(const Frame& f, T& out, size_t offset = 0) {
    if (f.payload.size() < offset + sizeof(T)) return false;
    std::memcpy(&out, f.payload.data() + offset, sizeof(T));
    return true;
}

Error protocol(const std::string& what) {
    return Error(ErrorKind::Protocol, what);
}

}  // namespace

RelayTransport::RelayTransport(RelayOptions opts) : opts_(std::move(opts)) {
    // A fresh daemon must not reuse the sequence numbers of the one before it:
    // the agent would take a new request for a repeat of the last one.
    std::random_device rd;
    next_seq_ = rd() | 1u;
}

RelayTransport::~RelayTransport() {
    std::lock_guard lock(mu_);
    close_locked();
}

void RelayTransport::close_locked() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    reader_ = FrameReader();
}

Status RelayTransport::connect_locked() {
    if (fd_ >= 0) return {};
    auto fd = unix_connect(opts_.socket_path);
    if (!fd) {
        return Error(fd.error().kind(), "cannot reach the dom0 agent at " + fd.error().reason());
    }
    fd_ = *fd;
    return {};
}

Status RelayTransport::send_locked(const std::vector<uint8_t>& frame) {
    size_t done = 0;
    while (done < frame.size()) {
        ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            close_locked();
            return Error(ErrorKind::Unavailable,
                         std::string("relay connection broken: ") + std::strerror(e));
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

std::optional<Frame> RelayTransport::receive_locked(uint32_t seq,
                                                    std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        while (auto f = reader_.next()) {
            // A late answer to an earlier attempt or request: not ours, skip it.
            if (f->seq == seq && (f->type & abi::kRelayResponse || f->type == abi::kRelayError)) {
                return f;
            }
            if (f->type == abi::kRelayError && f->seq == 0) return f;  // header unreadable
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        uint8_t buf[65536];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_locked();
            return std::nullopt;
        }
        reader_.feed({buf, static_cast<size_t>(n)});
    }
}

Result<Frame> RelayTransport::request(uint16_t type, std::span<const uint8_t> payload) {
    std::lock_guard lock(mu_);
    uint32_t seq = next_seq_++;
    if (next_seq_ == 0) next_seq_ = 1;  // 0 is what the agent uses for unreadable headers
    auto frame = encode_frame(type, seq, payload);
    Error last(ErrorKind::Timeout, "no answer from the dom0 agent");
    for (int attempt = 0; attempt < opts_.attempts; ++attempt) {
        if (attempt > 0) {
            ++retries_;
            if (opts_.platform_down) {
                std::string down = opts_.platform_down();
                if (!down.empty()) return Error(ErrorKind::Unavailable, "platform down: " + down);
            }
        }
        if (auto s = connect_locked(); !s) {
            last = s.error();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        if (auto s = send_locked(frame); !s) {
            last = s.error();
            continue;
        }
        auto reply = receive_locked(seq, opts_.timeout);
        if (!reply && reader_.wrong_version_frames()) {
            // Sound frames, another protocol: retrying cannot help.
            close_locked();
            return Error(ErrorKind::Protocol,
                         "the dom0 agent answers in another relay protocol version (this "
                         "toolstack speaks version " +
                             std::to_string(abi::kRelayVersion) + ")");
        }
        if (!reply) {
            last = Error(ErrorKind::Timeout, "no answer from the dom0 agent within " +
                                                 std::to_string(opts_.timeout.count()) + " ms");
            // Reconnect for the retry: a half-read frame must not confuse the next one.
            close_locked();
            continue;
        }
        if (reply->type == abi::kRelayError) {
            abi::RelayErrorReply e{};
            read_struct(*reply, e);
            if (reply->seq == 0) {
                // The agent could not read a header: ours arrived damaged. Send again.
                last = protocol("the dom0 agent could not read the request: " +
                                relay_error_name(e.code));
                continue;
            }
            return protocol("the dom0 agent rejected the request: " + relay_error_name(e.code));
        }
        if (reply->type != (type | abi::kRelayResponse)) {
            return protocol("unexpected response type " + std::to_string(reply->type));
        }
        return *reply;
    }
    if (opts_.platform_down) {
        std::string down = opts_.platform_down();
        if (!down.empty()) return Error(ErrorKind::Unavailable, "platform down: " + down);
    }
    return last;
}

Result<int64_t> RelayTransport::domctl(abi::Domctl& op) {
    auto f = request(abi::kRelayDomctl, as_bytes(op));
    if (!f) return f.error();
    abi::RelayDomctlReply r{};
    if (!read_struct(*f, r)) return protocol("short domctl response");
    op = r.op;
    return r.rc;
}

Result<int64_t> RelayTransport::load(uint16_t domid, uint64_t dst, std::span<const uint8_t> data) {
    constexpr size_t kChunk = abi::kRelayMaxPayload - sizeof(abi::RelayLoad);
    std::vector<uint8_t> payload;
    for (size_t done = 0; done < data.size();) {
        size_t n = std::min(kChunk, data.size() - done);
        abi::RelayLoad h{};
        h.domid = domid;
        h.dst = dst + done;
        payload.resize(sizeof h + n);
        std::memcpy(payload.data(), &h, sizeof h);
        std::memcpy(payload.data() + sizeof h, data.data() + done, n);
        auto f = request(abi::kRelayLoad, payload);
        if (!f) return f.error();
        abi::RelayStatus st{};
        if (!read_struct(*f, st)) return protocol("short load response");
        if (st.rc != 0) return st.rc;
        done += n;
    }
    return int64_t{0};
}

Result<int64_t> RelayTransport::console_read(uint16_t domid, uint64_t from, uint32_t max,
                                             ConsoleChunk& out) {
    abi::RelayConsoleRead q{};
    q.domid = domid;
    q.from = from;
    q.max_bytes = std::min<uint32_t>(max, abi::kRelayMaxPayload - sizeof(abi::RelayConsoleReply));
    auto f = request(abi::kRelayConsoleRead, as_bytes(q));
    if (!f) return f.error();
    abi::RelayConsoleReply r{};
    if (!read_struct(*f, r)) return protocol("short console response");
    if (r.rc != 0) return r.rc;
    if (f->payload.size() < sizeof r + r.length) return protocol("truncated console data");
    out.data.assign(reinterpret_cast<const char*>(f->payload.data() + sizeof r), r.length);
    out.next = r.next;
    out.lost = r.lost;
    return int64_t{0};
}

Result<int64_t> RelayTransport::console_input(uint16_t domid, std::span<const uint8_t> data,
                                              uint32_t& accepted) {
    abi::RelayConsoleInput h{};
    h.domid = domid;
    std::vector<uint8_t> payload(sizeof h + data.size());
    std::memcpy(payload.data(), &h, sizeof h);
    std::memcpy(payload.data() + sizeof h, data.data(), data.size());
    auto f = request(abi::kRelayConsoleInput, payload);
    if (!f) return f.error();
    abi::RelayConsoleInputReply r{};
    if (!read_struct(*f, r)) return protocol("short console input response");
    accepted = r.rc == 0 ? std::min<uint32_t>(r.accepted, static_cast<uint32_t>(data.size())) : 0;
    return r.rc;
}

Result<PingInfo> RelayTransport::ping() {
    auto f = request(abi::kRelayPing, {});
    if (!f) return f.error();
    abi::RelayPingReply r{};
    if (!read_struct(*f, r)) return protocol("short ping response");
    return PingInfo{r.agent_version, r.hypercall_version, r.max_payload};
}

}  // namespace warden::toolstack
