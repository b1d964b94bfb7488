// SPDX-License-Identifier: Apache-2.0
// A stand-in for wardend on a unix socket in /tmp: the canned guests, the health
// service, and the errors wardenctl must render (each with the google.rpc.Status
// details the real daemon attaches). Only what the CLI tests need.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "warden/v1/warden.grpc.pb.h"

namespace warden::cli::test {

class FakeWardend {
public:
    FakeWardend();
    ~FakeWardend();

    const std::string& socket() const { return socket_; }
    v1::CreateGuestRequest last_create() const;
    void set_serving(bool serving);
    // What WriteGuestConsole delivered (the fake guest echoes it on its console).
    std::string typed() const {
        std::lock_guard lock(mu_);
        return typed_;
    }
    unsigned console_writes() const {
        std::lock_guard lock(mu_);
        return console_writes_;
    }

private:
    class GuestsService;
    class TeeService;
    class EventsService;

    std::string socket_;
    mutable std::mutex mu_;
    v1::CreateGuestRequest last_create_;
    std::string typed_;
    unsigned console_writes_ = 0;
    std::unique_ptr<GuestsService> guests_;
    std::unique_ptr<TeeService> tee_;
    std::unique_ptr<EventsService> events_;
    std::unique_ptr<grpc::Server> server_;
};

// Only the metadata differs between errors; the shape is wardend's.
grpc::Status rich_error(grpc::StatusCode code, const std::string& message,
                        const std::string& reason,
                        const std::map<std::string, std::string>& metadata);

}  // namespace warden::cli::test
