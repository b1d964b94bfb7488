// SPDX-License-Identifier: Apache-2.0
// The real transport: framed requests over the unix socket that QEMU connects
// to the dom0 agent's virtio console (warden/relay.h). One request at a time;
// a request that gets no answer in time is sent again with the same sequence
// number (the agent answers a repeat from its cache, so nothing is applied
// twice); after the retries, or as soon as the platform is known to be down, the
// caller gets Timeout or Unavailable — never a hang.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "hypervisor.h"
#include "relay_codec.h"

namespace warden::toolstack {

struct RelayOptions {
    std::string socket_path;
    std::chrono::milliseconds timeout{3000};  // per attempt
    int attempts = 3;
    // Asked before each retry and after a broken connection: a non-empty answer
    // means the platform is gone (e.g. "QEMU exited with status 1").
    std::function<std::string()> platform_down;
};

class RelayTransport : public Transport {
public:
    explicit RelayTransport(RelayOptions opts);
    ~RelayTransport() override;
    RelayTransport(const RelayTransport&) = delete;
    RelayTransport& operator=(const RelayTransport&) = delete;

    Result<int64_t> domctl(abi::Domctl& op) override;
    Result<int64_t> load(uint16_t domid, uint64_t dst, std::span<const uint8_t> data) override;
    Result<int64_t> console_input(uint16_t domid, std::span<const uint8_t> data,
                                  uint32_t& accepted) override;
    Result<int64_t> console_read(uint16_t domid, uint64_t from, uint32_t max,
                                 ConsoleChunk& out) override;
    Result<PingInfo> ping() override;

    // Requests retried after a timeout or reconnection (for tests and metrics).
    uint64_t retries() const { return retries_; }

private:
    Result<Frame> request(uint16_t type, std::span<const uint8_t> payload);
    Status connect_locked();
    void close_locked();
    Status send_locked(const std::vector<uint8_t>& frame);
    // Waits for the response to `seq`; nullopt on timeout or a broken connection.
    std::optional<Frame> receive_locked(uint32_t seq, std::chrono::milliseconds timeout);

    RelayOptions opts_;
    std::mutex mu_;
    int fd_ = -1;
    uint32_t next_seq_ = 1;
    FrameReader reader_;
    uint64_t retries_ = 0;
};

}  // namespace warden::toolstack
