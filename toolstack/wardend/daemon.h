// SPDX-License-Identifier: Apache-2.0
// wardend's logic, free of transport concerns: guests and their TEE, kept in
// step with the hypervisor, which is the source of truth. A restarted daemon
// rebuilds its view from domctl queries (names, TEE state, how each guest was
// built are all recorded in the hypervisor). Requests for the same guest are
// serialised; different guests proceed in parallel.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api_error.h"
#include "config.h"
#include "events.h"
#include "guest_builder.h"
#include "hypervisor.h"
#include "journal.h"
#include "peers.h"
#include "warden/v1/warden.pb.h"

namespace warden::wardend {

struct DaemonLimits {
    size_t max_config_bytes = 64 * 1024;
    uint64_t max_kernel_bytes = 256ull << 20;
};

class Daemon {
public:
    explicit Daemon(std::shared_ptr<toolstack::Transport> transport, DaemonLimits limits = {});

    // Records every guest's settings and the operation under way in `dir`
    // before acting (journal.h). Call before recover().
    toolstack::Status use_journal(const std::filesystem::path& dir);
    // Test-only fault injection: the daemon exits at once (status 99) when it
    // reaches this point ("create:journal", "tee-enable:hypervisor", ...; see
    // kCrashPoints in daemon.cc).
    void set_crash_point(std::string point) { crash_point_ = std::move(point); }
    static const std::vector<std::string>& crash_points();

    // Reads the guests the hypervisor has (after a restart) and converges to
    // it: an operation the journal shows unfinished is rolled back (create)
    // or forward (TEE change, destroy). Fails if the platform cannot be reached.
    toolstack::Status recover();

    // `caller`: whose rights the kernel image is read with (docs/api.md,
    // "Privilege"); none for an in-process client the daemon trusts as itself.
    ApiResult<v1::Guest> create(const v1::CreateGuestRequest& req,
                                const std::optional<PeerCreds>& caller = std::nullopt);
    ApiResult<v1::Guest> get(const std::string& name);
    ApiResult<v1::ListGuestsResponse> list();
    ApiResult<v1::Guest> start(const std::string& name);
    ApiResult<v1::Guest> stop(const std::string& name);
    ApiResult<v1::DestroyGuestResponse> destroy(const std::string& name, bool allow_missing);
    ApiResult<v1::GuestConsole> console(const std::string& name, uint64_t from);
    // Input for the guest's PL011: how many bytes its receive buffer took.
    ApiResult<v1::WriteGuestConsoleResponse> console_write(const std::string& name,
                                                           const std::string& data);

    ApiResult<v1::TeeCapabilities> capabilities();
    ApiResult<v1::GuestTee> enable_tee(const v1::EnableTeeRequest& req);
    ApiResult<v1::GuestTee> disable_tee(const std::string& name);
    ApiResult<v1::GuestTee> set_tee_quotas(const v1::SetTeeQuotasRequest& req);
    ApiResult<v1::GuestTee> get_tee(const std::string& name);

    EventBus& events() { return bus_; }
    // Every guest, as a snapshot for a new Watch stream (under the same lock
    // as change detection, so no change falls between snapshot and stream).
    std::vector<v1::Guest> snapshot_and_subscribe(std::shared_ptr<EventBus::Subscription>& sub);
    // Refreshes the view of every guest from the hypervisor, notices changes
    // made by guests themselves (power off, crash) and the platform going away;
    // returns false when the platform is unreachable. wardend calls it every
    // half second.
    bool poll();

private:
    struct Record {
        uint16_t domid = 0;
        toolstack::GuestConfig cfg;
    };

    std::shared_ptr<std::mutex> guest_lock(const std::string& name);
    bool find(const std::string& name, Record& out);
    ApiResult<v1::Guest> describe(const std::string& name, const Record& r);
    std::optional<ApiError> platform_gone();
    ApiResult<v1::GuestTee> describe_tee(const std::string& name, const Record& r);
    ApiResult<v1::GuestTee> tee_changed(const std::string& name, Record& r,
                                        const toolstack::GuestConfig& cfg);
    void crash_point(const std::string& point);
    ApiError journal_error(const toolstack::Error& e, const std::string& name);
    // Brings a never-run guest's TEE and device tree to what `cfg` says.
    toolstack::Status converge_tee(uint16_t domid, toolstack::GuestConfig& cfg, bool has_run,
                                   toolstack::TeeType actual);
    void publish(v1::Event::Kind kind, const v1::Guest& g);
    ApiResult<toolstack::GuestConfig> config_from(const v1::CreateGuestRequest& req);

    std::shared_ptr<toolstack::Transport> transport_;
    toolstack::Hypervisor hv_;
    toolstack::GuestBuilder builder_{hv_};
    DaemonLimits limits_;
    Journal journal_;
    std::string crash_point_;

    std::mutex mu_;  // guests_, locks_, last_
    std::map<std::string, Record> guests_;
    std::map<std::string, std::shared_ptr<std::mutex>> locks_;
    // Each guest as last published to watchers (poll() compares against it).
    std::map<std::string, v1::Guest> last_;
    // Cleared when the platform stops answering; reads then fail UNAVAILABLE
    // instead of serving a view of a platform that is gone.
    std::atomic<bool> platform_up_{true};
    std::string platform_down_reason_;  // under mu_
    EventBus bus_;
};

v1::GuestState to_proto(toolstack::DomainState s, bool has_run);
// Whether `after` differs from `before` in what watchers are told about:
// everything but the call counters (which change with every TEE call).
bool worth_an_event(const v1::Guest& before, const v1::Guest& after);
v1::TeeType to_proto(toolstack::TeeType t);
v1::TeeMethod to_proto(toolstack::TeeMethod m);

}  // namespace warden::wardend
