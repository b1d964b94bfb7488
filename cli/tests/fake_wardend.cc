// SPDX-License-Identifier: Apache-2.0
#include "fake_wardend.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "canned.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace warden::cli::test {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

std::string fresh_socket_path() {
    static std::atomic<int> n = 0;
    return "/tmp/wardenctl-test-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".sock";
}

const v1::Guest* find(const std::vector<v1::Guest>& gs, const std::string& name) {
    for (const v1::Guest& g : gs) {
        if (g.name() == name) return &g;
    }
    return nullptr;
}

Status not_found(const std::string& name) {
    return rich_error(StatusCode::NOT_FOUND, "no guest named \"" + name + "\"", "GUEST_NOT_FOUND",
                      {{"guest", name}});
}

}  // namespace

grpc::Status rich_error(StatusCode code, const std::string& message, const std::string& reason,
                        const std::map<std::string, std::string>& metadata) {
    google::rpc::Status st;
    st.set_code(static_cast<int>(code));
    st.set_message(message);
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain("warden.dev");
    for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
    st.add_details()->PackFrom(info);
    return Status(code, message, st.SerializeAsString());
}

class FakeWardend::GuestsService final : public v1::Guests::Service {
public:
    explicit GuestsService(FakeWardend& owner) : owner_(owner) {}

    Status CreateGuest(ServerContext*, const v1::CreateGuestRequest* req,
                       v1::Guest* resp) override {
        {
            std::lock_guard lock(owner_.mu_);
            owner_.last_create_ = *req;
        }
        const v1::GuestSpec& spec = req->spec();
        std::string name = req->has_spec() ? spec.name() : "from-config";
        if (find(guests_, name)) {
            return rich_error(StatusCode::ALREADY_EXISTS,
                              "a guest named \"" + name + "\" exists already",
                              "GUEST_ALREADY_EXISTS", {{"guest", name}});
        }
        resp->set_name(name);
        resp->set_domain_id(4);
        resp->set_state(req->start() ? v1::GUEST_STATE_RUNNING : v1::GUEST_STATE_CREATED);
        resp->set_memory_bytes(spec.memory_bytes() ? spec.memory_bytes() : 16ull << 20);
        resp->set_vcpus(spec.vcpus() ? spec.vcpus() : 1);
        v1::GuestTee* tee = resp->mutable_tee();
        tee->set_guest(name);
        bool optee = spec.tee() == v1::TEE_TYPE_OPTEE;
        tee->set_type(optee ? v1::TEE_TYPE_OPTEE : v1::TEE_TYPE_NONE);
        tee->set_state(optee ? v1::TEE_STATE_ENABLED : v1::TEE_STATE_DISABLED);
        tee->set_client_id(optee ? 5 : 0);
        tee->set_method(spec.tee_method());
        return Status::OK;
    }

    Status GetGuest(ServerContext*, const v1::GetGuestRequest* req, v1::Guest* resp) override {
        const v1::Guest* g = find(guests_, req->name());
        if (!g) return not_found(req->name());
        *resp = *g;
        return Status::OK;
    }

    Status ListGuests(ServerContext*, const v1::ListGuestsRequest*,
                      v1::ListGuestsResponse* resp) override {
        for (const v1::Guest& g : guests_) *resp->add_guests() = g;
        return Status::OK;
    }

    Status StartGuest(ServerContext*, const v1::StartGuestRequest* req, v1::Guest* resp) override {
        const v1::Guest* g = find(guests_, req->name());
        if (!g) return not_found(req->name());
        *resp = *g;
        resp->set_state(v1::GUEST_STATE_RUNNING);
        return Status::OK;
    }

    Status StopGuest(ServerContext* ctx, const v1::StopGuestRequest* req,
                     v1::Guest* resp) override {
        if (req->name() == "slow") {
            // Longer than the client's --timeout in the test, bounded all the same.
            for (int i = 0; i < 100 && !ctx->IsCancelled(); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            return Status::OK;
        }
        const v1::Guest* g = find(guests_, req->name());
        if (!g) return not_found(req->name());
        *resp = *g;
        resp->set_state(v1::GUEST_STATE_STOPPED);
        return Status::OK;
    }

    Status DestroyGuest(ServerContext*, const v1::DestroyGuestRequest* req,
                        v1::DestroyGuestResponse* resp) override {
        bool exists = find(guests_, req->name()) != nullptr;
        if (!exists && !req->allow_missing()) return not_found(req->name());
        resp->set_existed(exists);
        return Status::OK;
    }

    // The console of a guest that echoes what it is typed, taking at most 5
    // bytes per request (its receive buffer is tiny: the client must resend).
    Status GetGuestConsole(ServerContext*, const v1::GetGuestConsoleRequest* req,
                           v1::GuestConsole* resp) override {
        if (!find(guests_, req->name())) return not_found(req->name());
        std::lock_guard lock(owner_.mu_);
        const std::string& c = owner_.typed_;
        const size_t from = req->from() < c.size() ? req->from() : c.size();
        resp->set_data(c.substr(from));
        resp->set_next(c.size());
        return Status::OK;
    }
    Status WriteGuestConsole(ServerContext*, const v1::WriteGuestConsoleRequest* req,
                             v1::WriteGuestConsoleResponse* resp) override {
        if (!find(guests_, req->name())) return not_found(req->name());
        std::lock_guard lock(owner_.mu_);
        const size_t n = req->data().size() < 5 ? req->data().size() : 5;
        owner_.typed_ += req->data().substr(0, n);
        ++owner_.console_writes_;
        resp->set_accepted(static_cast<uint32_t>(n));
        return Status::OK;
    }

private:
    FakeWardend& owner_;
    const std::vector<v1::Guest> guests_ = canned_guests();
};

class FakeWardend::TeeService final : public v1::Tee::Service {
public:
    Status GetCapabilities(ServerContext*, const v1::GetCapabilitiesRequest*,
                           v1::TeeCapabilities* resp) override {
        *resp = canned_capabilities();
        return Status::OK;
    }

    Status EnableTee(ServerContext*, const v1::EnableTeeRequest* req, v1::GuestTee* resp) override {
        const v1::Guest* g = find(guests_, req->guest());
        if (!g) return not_found(req->guest());
        if (req->guest() == "db") {
            return rich_error(
                StatusCode::RESOURCE_EXHAUSTED, "enable TEE: the TEE has no room for another guest",
                "TEE_CLIENT_IDS_EXHAUSTED", {{"guest", "db"}, {"limit", "2"}, {"in_use", "2"}});
        }
        if (req->method() == v1::TEE_METHOD_HVC && g->tee().method() != v1::TEE_METHOD_HVC) {
            return rich_error(StatusCode::FAILED_PRECONDITION,
                              "enable TEE: enabled already, with method smc",
                              "TEE_SETTINGS_CONFLICT", {{"guest", req->guest()}});
        }
        *resp = g->tee();
        return Status::OK;
    }

    Status DisableTee(ServerContext*, const v1::DisableTeeRequest* req, v1::GuestTee*) override {
        if (!find(guests_, req->guest())) return not_found(req->guest());
        return rich_error(StatusCode::FAILED_PRECONDITION, "disable TEE: the guest has run already",
                          "GUEST_ALREADY_STARTED", {{"guest", req->guest()}});
    }

    Status SetTeeQuotas(ServerContext*, const v1::SetTeeQuotasRequest* req,
                        v1::GuestTee* resp) override {
        const v1::Guest* g = find(guests_, req->guest());
        if (!g) return not_found(req->guest());
        *resp = g->tee();
        const auto& held = g->tee().in_use();
        if ((req->quotas().tee_sessions() && req->quotas().tee_sessions() < held.tee_sessions()) ||
            (req->quotas().tee_shm_pages() &&
             req->quotas().tee_shm_pages() < held.tee_shm_pages())) {
            return rich_error(StatusCode::FAILED_PRECONDITION,
                              "set TEE quotas: a limit is below what the guest holds",
                              "TEE_QUOTA_BELOW_USAGE",
                              {{"guest", req->guest()},
                               {"sessions_in_use", std::to_string(held.tee_sessions())},
                               {"shm_pages_in_use", std::to_string(held.tee_shm_pages())}});
        }
        if (req->quotas().tee_sessions()) {
            resp->mutable_quotas()->set_tee_sessions(req->quotas().tee_sessions());
        }
        if (req->quotas().tee_shm_pages()) {
            resp->mutable_quotas()->set_tee_shm_pages(req->quotas().tee_shm_pages());
        }
        return Status::OK;
    }

    Status GetTee(ServerContext*, const v1::GetTeeRequest* req, v1::GuestTee* resp) override {
        const v1::Guest* g = find(guests_, req->guest());
        if (!g) return not_found(req->guest());
        *resp = g->tee();
        return Status::OK;
    }

private:
    const std::vector<v1::Guest> guests_ = canned_guests();
};

class FakeWardend::EventsService final : public v1::Events::Service {
public:
    Status Watch(ServerContext* ctx, const v1::WatchRequest*,
                 grpc::ServerWriter<v1::Event>* writer) override {
        for (const v1::Event& e : canned_events()) {
            if (!writer->Write(e)) return Status::OK;
        }
        // Like the daemon: nothing more happens until the client goes away, but
        // a test that forgets to cancel does not hang forever.
        for (int i = 0; i < 3000 && !ctx->IsCancelled(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return Status::OK;
    }
};

FakeWardend::FakeWardend()
    : socket_(fresh_socket_path()),
      guests_(std::make_unique<GuestsService>(*this)),
      tee_(std::make_unique<TeeService>()),
      events_(std::make_unique<EventsService>()) {
    unlink(socket_.c_str());
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(guests_.get());
    builder.RegisterService(tee_.get());
    builder.RegisterService(events_.get());
    server_ = builder.BuildAndStart();
}

FakeWardend::~FakeWardend() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    unlink(socket_.c_str());
}

v1::CreateGuestRequest FakeWardend::last_create() const {
    std::lock_guard lock(mu_);
    return last_create_;
}

void FakeWardend::set_serving(bool serving) {
    server_->GetHealthCheckService()->SetServingStatus(serving);
}

}  // namespace warden::cli::test
