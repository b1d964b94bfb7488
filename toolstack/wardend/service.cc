// SPDX-License-Identifier: Apache-2.0
#include "service.h"

#include <spdlog/spdlog.h>

#include "config.h"

namespace warden::wardend {
namespace {

using grpc::Status;
using grpc::StatusCode;

Status fail(const char* method, const ApiError& e) {
    spdlog::warn("{}: {} [{} {}]", method, e.message, e.reason_name(), static_cast<int>(e.code()));
    return to_grpc(e);
}

template <typename T, typename Out>
Status reply(const char* method, ApiResult<T>&& r, Out* out) {
    if (auto* e = std::get_if<ApiError>(&r)) return fail(method, *e);
    *out = std::move(std::get<T>(r));
    return Status::OK;
}

// Mutations: root or the configured group only.
std::optional<ApiError> authorize(ServiceContext& c, grpc::ServerContext* ctx, const char* method) {
    if (c.shutting_down && *c.shutting_down) {
        return ApiError::make(v1::DAEMON_SHUTTING_DOWN, "wardend is shutting down");
    }
    auto creds = c.peers.find(ctx->peer());
    if (!creds) {
        if (c.trust_unknown_peers) return std::nullopt;
        return ApiError::make(v1::CALLER_UNKNOWN,
                              std::string(method) + ": the caller's identity is unknown");
    }
    if (c.policy.may_mutate(*creds)) return std::nullopt;
    ApiError a = ApiError::make(v1::CALLER_NOT_ALLOWED,
                                std::string(method) + ": uid " + std::to_string(creds->uid) +
                                    " may only read; changes need root or the daemon's group");
    a.metadata["uid"] = std::to_string(creds->uid);
    return a;
}

std::optional<ApiError> check_name(const std::string& field, const std::string& name) {
    if (toolstack::valid_guest_name(name)) return std::nullopt;
    return ApiError::invalid(field, "\"" + name.substr(0, 64) + "\": " + toolstack::kGuestNameRule);
}

}  // namespace

#define WARDEN_AUTHZ(method) \
    if (auto denied = authorize(c_, ctx, method)) return fail(method, *denied)
#define WARDEN_NAME(field, value) \
    if (auto bad = check_name(field, value)) return fail(__func__, *bad)

Status GuestsService::CreateGuest(grpc::ServerContext* ctx, const v1::CreateGuestRequest* req,
                                  v1::Guest* out) {
    if (!req->validate_only()) WARDEN_AUTHZ("CreateGuest");
    // The image is read with the caller's rights: an unknown caller has none.
    auto creds = c_.peers.find(ctx->peer());
    if (!creds && !c_.trust_unknown_peers) {
        return fail("CreateGuest", ApiError::make(v1::CALLER_UNKNOWN,
                                                  "CreateGuest: the caller's identity is unknown"));
    }
    auto r = c_.daemon.create(*req, creds);
    if (std::holds_alternative<v1::Guest>(r) && !req->validate_only()) {
        spdlog::info("CreateGuest: {} is domain {}", std::get<v1::Guest>(r).name(),
                     std::get<v1::Guest>(r).domain_id());
    }
    return reply("CreateGuest", std::move(r), out);
}

Status GuestsService::GetGuest(grpc::ServerContext*, const v1::GetGuestRequest* req,
                               v1::Guest* out) {
    WARDEN_NAME("name", req->name());
    return reply("GetGuest", c_.daemon.get(req->name()), out);
}

Status GuestsService::ListGuests(grpc::ServerContext*, const v1::ListGuestsRequest*,
                                 v1::ListGuestsResponse* out) {
    return reply("ListGuests", c_.daemon.list(), out);
}

Status GuestsService::StartGuest(grpc::ServerContext* ctx, const v1::StartGuestRequest* req,
                                 v1::Guest* out) {
    WARDEN_AUTHZ("StartGuest");
    WARDEN_NAME("name", req->name());
    return reply("StartGuest", c_.daemon.start(req->name()), out);
}

Status GuestsService::StopGuest(grpc::ServerContext* ctx, const v1::StopGuestRequest* req,
                                v1::Guest* out) {
    WARDEN_AUTHZ("StopGuest");
    WARDEN_NAME("name", req->name());
    return reply("StopGuest", c_.daemon.stop(req->name()), out);
}

Status GuestsService::DestroyGuest(grpc::ServerContext* ctx, const v1::DestroyGuestRequest* req,
                                   v1::DestroyGuestResponse* out) {
    WARDEN_AUTHZ("DestroyGuest");
    WARDEN_NAME("name", req->name());
    return reply("DestroyGuest", c_.daemon.destroy(req->name(), req->allow_missing()), out);
}

Status GuestsService::GetGuestConsole(grpc::ServerContext*, const v1::GetGuestConsoleRequest* req,
                                      v1::GuestConsole* out) {
    WARDEN_NAME("name", req->name());
    return reply("GetGuestConsole", c_.daemon.console(req->name(), req->from()), out);
}

Status GuestsService::WriteGuestConsole(grpc::ServerContext* ctx,
                                        const v1::WriteGuestConsoleRequest* req,
                                        v1::WriteGuestConsoleResponse* out) {
    WARDEN_AUTHZ("WriteGuestConsole");  // typing into a guest is a change
    WARDEN_NAME("name", req->name());
    return reply("WriteGuestConsole", c_.daemon.console_write(req->name(), req->data()), out);
}

Status TeeService::GetCapabilities(grpc::ServerContext*, const v1::GetCapabilitiesRequest*,
                                   v1::TeeCapabilities* out) {
    return reply("GetCapabilities", c_.daemon.capabilities(), out);
}

Status TeeService::EnableTee(grpc::ServerContext* ctx, const v1::EnableTeeRequest* req,
                             v1::GuestTee* out) {
    WARDEN_AUTHZ("EnableTee");
    WARDEN_NAME("guest", req->guest());
    auto r = c_.daemon.enable_tee(*req);
    if (auto* t = std::get_if<v1::GuestTee>(&r)) {
        spdlog::info("EnableTee: {} has TEE client ID {}", t->guest(), t->client_id());
    }
    return reply("EnableTee", std::move(r), out);
}

Status TeeService::SetTeeQuotas(grpc::ServerContext* ctx, const v1::SetTeeQuotasRequest* req,
                                v1::GuestTee* out) {
    WARDEN_AUTHZ("SetTeeQuotas");
    WARDEN_NAME("guest", req->guest());
    return reply("SetTeeQuotas", c_.daemon.set_tee_quotas(*req), out);
}

Status TeeService::DisableTee(grpc::ServerContext* ctx, const v1::DisableTeeRequest* req,
                              v1::GuestTee* out) {
    WARDEN_AUTHZ("DisableTee");
    WARDEN_NAME("guest", req->guest());
    return reply("DisableTee", c_.daemon.disable_tee(req->guest()), out);
}

Status TeeService::GetTee(grpc::ServerContext*, const v1::GetTeeRequest* req, v1::GuestTee* out) {
    WARDEN_NAME("guest", req->guest());
    return reply("GetTee", c_.daemon.get_tee(req->guest()), out);
}

Status EventsService::Watch(grpc::ServerContext* ctx, const v1::WatchRequest*,
                            grpc::ServerWriter<v1::Event>* writer) {
    std::shared_ptr<EventBus::Subscription> sub;
    auto snapshot = c_.daemon.snapshot_and_subscribe(sub);
    uint64_t seq = c_.daemon.events().sequence();
    bool ok = true;
    for (const auto& g : snapshot) {
        v1::Event e;
        e.set_kind(v1::Event::KIND_SNAPSHOT);
        *e.mutable_guest() = g;
        e.set_sequence(seq);
        ok = ok && writer->Write(e);
    }
    v1::Event done;
    done.set_kind(v1::Event::KIND_SNAPSHOT_DONE);
    done.set_sequence(seq);
    ok = ok && writer->Write(done);
    while (ok && !ctx->IsCancelled() && !(c_.shutting_down && *c_.shutting_down)) {
        v1::Event e;
        if (sub->next(e, 200)) {
            if (e.sequence() > seq) ok = writer->Write(e);
        } else if (sub->closed()) {
            break;
        }
    }
    c_.daemon.events().unsubscribe(sub);
    if (ctx->IsCancelled() || !ok) return Status::OK;  // the client went away
    // The daemon ends the stream: say so, so a watcher never mistakes it for
    // the end of the events.
    return to_grpc(ApiError::make(v1::DAEMON_SHUTTING_DOWN,
                                  "wardend is shutting down: the event stream ends"));
}

}  // namespace warden::wardend
