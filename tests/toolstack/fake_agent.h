// SPDX-License-Identifier: Apache-2.0
// A stand-in for the dom0 agent on a unix socket: speaks the relay protocol and
// executes requests on a CoreTransport (the real hypervisor core). Tests steer
// it to lose answers, stall or send error frames, to exercise the transport's
// retries, deduplication and timeouts.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core_transport.h"

namespace warden::toolstack::testing {

class FakeAgent {
public:
    FakeAgent(std::string socket_path, std::shared_ptr<CoreTransport> core);
    ~FakeAgent();

    // Swallow the responses to the next n requests (they still execute).
    std::atomic<int> drop_responses{0};
    // Answer nothing at all while set.
    std::atomic<bool> stalled{false};
    // Answer every request with this relay error code instead (0: off).
    std::atomic<uint32_t> error_code{0};
    // Answer in this relay protocol version (sound frames otherwise; 0: ours).
    std::atomic<uint16_t> answer_version{0};
    std::atomic<int> executed{0};
    std::atomic<int> deduplicated{0};

private:
    void serve();
    void handle_client(int fd);

    // Like the real agent, the last answer outlives the connection: a client that
    // reconnects and repeats a request gets it again.
    uint32_t last_seq_ = 0;
    uint16_t last_type_ = 0;
    std::vector<uint8_t> last_response_;
    std::string path_;
    std::shared_ptr<CoreTransport> core_;
    int listen_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace warden::toolstack::testing
