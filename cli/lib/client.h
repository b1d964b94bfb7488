// SPDX-License-Identifier: Apache-2.0
// The connection to wardend: one channel over its unix socket and a stub per
// service. Creating it does not connect; the first call does.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "warden/v1/warden.grpc.pb.h"

namespace warden::cli {

class Client {
public:
    Client(const std::string& socket, double timeout_seconds);

    // Unary calls give up after --timeout; streams are not bounded.
    void set_deadline(grpc::ClientContext& ctx) const;

    v1::Guests::Stub& guests() { return *guests_; }
    v1::Tee::Stub& tee() { return *tee_; }
    v1::Events::Stub& events() { return *events_; }
    grpc::health::v1::Health::Stub& health() { return *health_; }

private:
    double timeout_seconds_;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<v1::Guests::Stub> guests_;
    std::unique_ptr<v1::Tee::Stub> tee_;
    std::unique_ptr<v1::Events::Stub> events_;
    std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace warden::cli
