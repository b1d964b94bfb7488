// SPDX-License-Identifier: Apache-2.0
#include "client.h"

#include <chrono>

namespace warden::cli {

Client::Client(const std::string& socket, double timeout_seconds)
    : timeout_seconds_(timeout_seconds),
      channel_(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials())),
      guests_(v1::Guests::NewStub(channel_)),
      tee_(v1::Tee::NewStub(channel_)),
      events_(v1::Events::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

void Client::set_deadline(grpc::ClientContext& ctx) const {
    auto timeout = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(timeout_seconds_));
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

}  // namespace warden::cli
