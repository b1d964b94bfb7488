// SPDX-License-Identifier: Apache-2.0
#include "fake_agent.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "relay_codec.h"
#include "warden/relay_frame.h"

namespace warden::toolstack::testing {

FakeAgent::FakeAgent(std::string socket_path, std::shared_ptr<CoreTransport> core)
    : path_(std::move(socket_path)), core_(std::move(core)) {
    ::unlink(path_.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 4);
    thread_ = std::thread([this] { serve(); });
}

FakeAgent::~FakeAgent() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
}

void FakeAgent::serve() {
    while (!stop_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) handle_client(fd);
    }
}

void FakeAgent::handle_client(int fd) {
    FrameReader reader;
    while (!stop_) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        uint8_t buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        reader.feed({buf, static_cast<size_t>(n)});
        while (auto f = reader.next()) {
            if (stalled) continue;
            std::vector<uint8_t> response;
            if (uint32_t code = error_code) {
                abi::RelayErrorReply e{code, f->type};
                response = encode_frame(abi::kRelayError, f->seq, as_bytes(e));
            } else if (f->seq == last_seq_ && f->type == last_type_) {
                ++deduplicated;
                response = last_response_;
            } else {
                ++executed;
                std::vector<uint8_t> payload;
                if (f->type == abi::kRelayPing) {
                    abi::RelayPingReply r{abi::kRelayVersion, 0x10000, abi::kRelayMaxPayload, 0};
                    payload.assign(as_bytes(r).begin(), as_bytes(r).end());
                } else if (f->type == abi::kRelayDomctl &&
                           f->payload.size() == sizeof(abi::Domctl)) {
                    abi::RelayDomctlReply r{};
                    std::memcpy(&r.op, f->payload.data(), sizeof r.op);
                    auto rc = core_->domctl(r.op);
                    r.rc = rc ? *rc : -5;
                    payload.assign(as_bytes(r).begin(), as_bytes(r).end());
                } else if (f->type == abi::kRelayLoad &&
                           f->payload.size() > sizeof(abi::RelayLoad)) {
                    abi::RelayLoad l{};
                    std::memcpy(&l, f->payload.data(), sizeof l);
                    auto rc =
                        core_->load(l.domid, l.dst,
                                    {f->payload.data() + sizeof l, f->payload.size() - sizeof l});
                    abi::RelayStatus st{rc ? *rc : -5};
                    payload.assign(as_bytes(st).begin(), as_bytes(st).end());
                } else {
                    abi::RelayErrorReply e{abi::kRelayErrUnknownType, f->type};
                    response = encode_frame(abi::kRelayError, f->seq, as_bytes(e));
                }
                if (response.empty()) {
                    response = encode_frame(f->type | abi::kRelayResponse, f->seq, payload);
                }
                last_seq_ = f->seq;
                last_type_ = f->type;
                last_response_ = response;
            }
            if (drop_responses > 0) {
                --drop_responses;
                continue;
            }
            if (uint16_t v = answer_version; v && response.size() >= sizeof(abi::RelayHeader)) {
                abi::RelayHeader h;
                std::memcpy(&h, response.data(), sizeof h);
                h.version = v;
                h.header_crc = abi::crc32(&h, abi::relay::kHeaderCrcBytes);
                std::memcpy(response.data(), &h, sizeof h);
            }
            ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
        }
    }
    ::close(fd);
}

}  // namespace warden::toolstack::testing
