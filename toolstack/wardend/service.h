// SPDX-License-Identifier: Apache-2.0
// The gRPC services of warden.v1 on top of the Daemon: request limits and
// authorisation here, logic in the Daemon, errors mapped once (api_error.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>

#include "daemon.h"
#include "peers.h"
#include "warden/v1/warden.grpc.pb.h"

namespace warden::wardend {

struct ServiceContext {
    Daemon& daemon;
    PeerRegistry& peers;
    AccessPolicy policy;
    // In-process callers (tests, the daemon itself) have no peer entry; they are
    // trusted only when this is set.
    bool trust_unknown_peers = false;
    std::atomic<bool>* shutting_down = nullptr;
};

class GuestsService final : public v1::Guests::Service {
public:
    explicit GuestsService(ServiceContext& c) : c_(c) {}
    grpc::Status CreateGuest(grpc::ServerContext*, const v1::CreateGuestRequest*,
                             v1::Guest*) override;
    grpc::Status GetGuest(grpc::ServerContext*, const v1::GetGuestRequest*, v1::Guest*) override;
    grpc::Status ListGuests(grpc::ServerContext*, const v1::ListGuestsRequest*,
                            v1::ListGuestsResponse*) override;
    grpc::Status StartGuest(grpc::ServerContext*, const v1::StartGuestRequest*,
                            v1::Guest*) override;
    grpc::Status StopGuest(grpc::ServerContext*, const v1::StopGuestRequest*, v1::Guest*) override;
    grpc::Status DestroyGuest(grpc::ServerContext*, const v1::DestroyGuestRequest*,
                              v1::DestroyGuestResponse*) override;
    grpc::Status WriteGuestConsole(grpc::ServerContext*, const v1::WriteGuestConsoleRequest*,
                                   v1::WriteGuestConsoleResponse*) override;
    grpc::Status GetGuestConsole(grpc::ServerContext*, const v1::GetGuestConsoleRequest*,
                                 v1::GuestConsole*) override;

private:
    ServiceContext& c_;
};

class TeeService final : public v1::Tee::Service {
public:
    explicit TeeService(ServiceContext& c) : c_(c) {}
    grpc::Status GetCapabilities(grpc::ServerContext*, const v1::GetCapabilitiesRequest*,
                                 v1::TeeCapabilities*) override;
    grpc::Status EnableTee(grpc::ServerContext*, const v1::EnableTeeRequest*,
                           v1::GuestTee*) override;
    grpc::Status SetTeeQuotas(grpc::ServerContext*, const v1::SetTeeQuotasRequest*,
                              v1::GuestTee*) override;
    grpc::Status DisableTee(grpc::ServerContext*, const v1::DisableTeeRequest*,
                            v1::GuestTee*) override;
    grpc::Status GetTee(grpc::ServerContext*, const v1::GetTeeRequest*, v1::GuestTee*) override;

private:
    ServiceContext& c_;
};

class EventsService final : public v1::Events::Service {
public:
    explicit EventsService(ServiceContext& c) : c_(c) {}
    grpc::Status Watch(grpc::ServerContext*, const v1::WatchRequest*,
                       grpc::ServerWriter<v1::Event>*) override;

private:
    ServiceContext& c_;
};

}  // namespace warden::wardend
