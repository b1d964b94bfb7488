// SPDX-License-Identifier: Apache-2.0
#include "daemon.h"

#include <google/protobuf/util/message_differencer.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "caller_file.h"
#include "warden/domctl.h"
#include "warden/errno.h"

namespace warden::wardend {
namespace {

namespace ts = toolstack;
namespace fs = std::filesystem;
using grpc::StatusCode;

// Two creates asked for the same guest.
bool same_spec(const ts::GuestConfig& a, const ts::GuestConfig& b) {
    return a.name == b.name && a.kernel == b.kernel && a.initrd == b.initrd &&
           a.memory == b.memory && a.vcpus == b.vcpus && a.tee == b.tee &&
           a.tee_method == b.tee_method && a.bootargs == b.bootargs &&
           a.quotas.tee_sessions == b.quotas.tee_sessions &&
           a.quotas.tee_shm_pages == b.quotas.tee_shm_pages;
}

ts::TeeMethod method_of(v1::TeeMethod m) {
    return m == v1::TEE_METHOD_HVC ? ts::TeeMethod::Hvc : ts::TeeMethod::Smc;
}

}  // namespace

v1::GuestState to_proto(ts::DomainState s, bool has_run) {
    switch (s) {
    case ts::DomainState::Created:
        // Unpaused, not scheduled yet: started, as far as anyone asking knows.
        return v1::GUEST_STATE_RUNNING;
    case ts::DomainState::Running:
        return v1::GUEST_STATE_RUNNING;
    case ts::DomainState::Paused:
        return has_run ? v1::GUEST_STATE_STOPPED : v1::GUEST_STATE_CREATED;
    case ts::DomainState::Shutdown:
        return v1::GUEST_STATE_SHUTDOWN;
    case ts::DomainState::Crashed:
        return v1::GUEST_STATE_CRASHED;
    default:
        return v1::GUEST_STATE_UNSPECIFIED;
    }
}

v1::TeeType to_proto(ts::TeeType t) {
    return t == ts::TeeType::Optee ? v1::TEE_TYPE_OPTEE : v1::TEE_TYPE_NONE;
}

v1::TeeMethod to_proto(ts::TeeMethod m) {
    return m == ts::TeeMethod::Hvc ? v1::TEE_METHOD_HVC : v1::TEE_METHOD_SMC;
}

Daemon::Daemon(std::shared_ptr<ts::Transport> transport, DaemonLimits limits)
    : transport_(std::move(transport)), hv_(transport_), limits_(limits) {
    builder_.after_step = [this](ts::BuildStep step) {
        std::string name = ts::to_string(step);
        for (char& c : name) c = c == ' ' ? '-' : c;
        crash_point("create:" + name);
    };
}

const std::vector<std::string>& Daemon::crash_points() {
    static const std::vector<std::string> kCrashPoints = {
        "create:journal",          "create:create",
        "create:load-kernel",      "create:enable-TEE",
        "create:load-device-tree", "create:set-entry-point",
        "create:unpause",          "create:built",
        "start:hypervisor",        "tee-enable:journal",
        "tee-enable:hypervisor",   "tee-enable:device-tree",
        "tee-disable:journal",     "tee-disable:hypervisor",
        "tee-disable:device-tree", "destroy:journal",
        "destroy:hypervisor",
    };
    return kCrashPoints;
}

void Daemon::crash_point(const std::string& point) {
    if (crash_point_.empty() || point != crash_point_) return;
    spdlog::critical("test crash point {} reached: exiting now", point);
    spdlog::default_logger()->flush();
    ::_exit(99);
}

ts::Status Daemon::use_journal(const fs::path& dir) {
    journal_ = Journal(dir);
    return journal_.open();
}

ApiError Daemon::journal_error(const ts::Error& e, const std::string& name) {
    spdlog::error("journal: {}", e.reason());
    return ApiError::make(v1::JOURNAL_UNAVAILABLE, e.reason() + "; nothing was changed", name);
}

ts::Status Daemon::converge_tee(uint16_t domid, ts::GuestConfig& cfg, bool has_run,
                                ts::TeeType actual) {
    if (has_run) {
        cfg.tee = actual;  // the guest has seen its TEE (or its absence): keep what is
        return {};
    }
    if (cfg.tee == ts::TeeType::Optee && actual == ts::TeeType::None) {
        if (auto st = hv_.tee_enable(domid, ts::TeeType::Optee, cfg.quotas.tee()); !st) {
            // No room any more: roll back instead (the caller never heard of success).
            spdlog::warn("recovery: cannot enable {}'s TEE ({}); leaving it disabled", cfg.name,
                         st.error().message());
            cfg.tee = ts::TeeType::None;
        }
    } else if (cfg.tee == ts::TeeType::None && actual == ts::TeeType::Optee) {
        if (auto st = hv_.tee_disable(domid); !st) return st;
    }
    return builder_.rewrite_device_tree(domid, cfg);
}

ts::Status Daemon::recover() {
    auto all = hv_.list();
    if (!all) return all.error();
    auto entries = journal_.load();
    std::map<std::string, Record> found;
    for (const auto& d : *all) {
        if (d.privileged || d.name.empty()) continue;  // the control domain, boot domains
        auto td = ts::ToolData::decode(d.tool_data);
        Record r;
        r.domid = d.id;
        r.cfg.name = d.name;
        r.cfg.memory = d.ram_size;
        r.cfg.vcpus = d.vcpus;
        r.cfg.tee = d.tee;
        r.cfg.tee_method = td.tee_method;
        r.cfg.quotas = td.quotas;
        auto it = entries.find(d.name);
        if (it == entries.end()) {
            found[d.name] = r;  // built before the journal existed, or without one
            continue;
        }
        JournalEntry e = it->second;
        entries.erase(it);
        switch (e.pending) {
        case JournalEntry::Pending::Create:
            // The client never heard of success: the guest goes, wholly.
            spdlog::warn("recovery: {} was being created when the daemon stopped; rolled back",
                         d.name);
            if (auto st = hv_.destroy(d.id); !st) return st.error();
            journal_.remove(d.name);
            continue;
        case JournalEntry::Pending::Destroy:
            spdlog::warn("recovery: {} was being destroyed; finished", d.name);
            if (auto st = hv_.destroy(d.id); !st) return st.error();
            journal_.remove(d.name);
            continue;
        case JournalEntry::Pending::TeeChange:
            spdlog::warn("recovery: {}'s TEE was being changed; finishing the change", d.name);
            if (auto st = converge_tee(d.id, e.cfg, d.has_run, d.tee); !st) return st.error();
            e.pending = JournalEntry::Pending::None;
            if (auto st = journal_.write(e); !st) return st.error();
            break;
        case JournalEntry::Pending::None:
            e.cfg.tee = d.tee;  // the hypervisor's word on the TEE
            break;
        }
        r.cfg = e.cfg;
        found[d.name] = r;
    }
    // Entries for guests that no longer exist (destroyed behind the daemon's back,
    // a fresh platform, a create that never reached the hypervisor).
    for (const auto& [name, e] : entries) {
        spdlog::info("recovery: {} ({}) is not on the platform; forgotten", name,
                     to_string(e.pending));
        journal_.remove(name);
    }
    std::unique_lock lock(mu_);
    guests_ = std::move(found);
    last_.clear();
    lock.unlock();
    poll();  // fill the view reads are served from
    return {};
}

std::shared_ptr<std::mutex> Daemon::guest_lock(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& l = locks_[name];
    if (!l) l = std::make_shared<std::mutex>();
    return l;
}

bool Daemon::find(const std::string& name, Record& out) {
    std::lock_guard lock(mu_);
    auto it = guests_.find(name);
    if (it == guests_.end()) return false;
    out = it->second;
    return true;
}

void Daemon::publish(v1::Event::Kind kind, const v1::Guest& g) {
    std::lock_guard lock(mu_);
    if (kind == v1::Event::KIND_GUEST_REMOVED) {
        last_.erase(g.name());
    } else {
        last_[g.name()] = g;
    }
    bus_.publish(kind, g);
}

bool worth_an_event(const v1::Guest& before, const v1::Guest& after) {
    namespace pb = google::protobuf;
    pb::util::MessageDifferencer diff;
    const pb::Descriptor* tee = v1::GuestTee::descriptor();
    diff.IgnoreField(tee->FindFieldByName("calls_forwarded"));
    diff.IgnoreField(tee->FindFieldByName("calls_refused"));
    return !diff.Compare(before, after);
}

ApiResult<v1::GuestTee> Daemon::describe_tee(const std::string& name, const Record& r) {
    auto q = hv_.tee_query(r.domid);
    if (!q) return api_error(q.error(), {"query TEE", name});
    v1::GuestTee t;
    t.set_guest(name);
    t.set_type(to_proto(q->type));
    t.set_state(q->type == ts::TeeType::None ? v1::TEE_STATE_DISABLED : v1::TEE_STATE_ENABLED);
    t.set_client_id(q->client_id);
    t.set_method(to_proto(r.cfg.tee_method));
    t.set_calls_forwarded(q->calls_forwarded);
    t.set_calls_refused(q->calls_refused);
    // Enabled: the limits the hypervisor enforces; otherwise the ones it will get.
    bool enabled = q->type != ts::TeeType::None;
    t.mutable_quotas()->set_tee_sessions(enabled ? q->limits.sessions : r.cfg.quotas.tee_sessions);
    t.mutable_quotas()->set_tee_shm_pages(enabled ? q->limits.shm_pages
                                                  : r.cfg.quotas.tee_shm_pages);
    t.mutable_in_use()->set_tee_sessions(q->in_use.sessions);
    t.mutable_in_use()->set_tee_shm_pages(q->in_use.shm_pages);
    return t;
}

ApiResult<v1::Guest> Daemon::describe(const std::string& name, const Record& r) {
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"describe guest", name});
    v1::Guest g;
    g.set_name(name);
    g.set_domain_id(r.domid);
    g.set_state(to_proto(info->state, info->has_run));
    if (info->shutdown != ts::ShutdownReason::None) {
        g.set_shutdown_reason(ts::to_string(info->shutdown));
    }
    g.set_memory_bytes(info->ram_size);
    g.set_vcpus(info->vcpus);
    auto tee = describe_tee(name, r);
    if (auto* e = std::get_if<ApiError>(&tee)) return *e;
    *g.mutable_tee() = std::get<v1::GuestTee>(tee);
    return g;
}

ApiResult<ts::GuestConfig> Daemon::config_from(const v1::CreateGuestRequest& req) {
    ts::GuestConfig c;
    if (req.has_spec()) {
        const auto& s = req.spec();
        // Nothing is coerced: an enum value the API does not define, or a NUL
        // byte that would cut a string short, is refused naming the field.
        if (!v1::TeeType_IsValid(s.tee())) {
            return ApiError::invalid("spec.tee", "unknown TEE type " + std::to_string(s.tee()) +
                                                     ": expected TEE_TYPE_NONE or TEE_TYPE_OPTEE");
        }
        if (!v1::TeeMethod_IsValid(s.tee_method())) {
            return ApiError::invalid("spec.tee_method",
                                     "unknown method " + std::to_string(s.tee_method()) +
                                         ": expected TEE_METHOD_SMC or TEE_METHOD_HVC");
        }
        for (const auto& [field, value] :
             {std::pair<const char*, const std::string*>{"spec.kernel", &s.kernel()},
              {"spec.initrd", &s.initrd()},
              {"spec.bootargs", &s.bootargs()},
              {"spec.name", &s.name()}}) {
            if (value->find('\0') != std::string::npos) {
                return ApiError::invalid(field, "contains a NUL byte");
            }
        }
        c.name = s.name();
        c.kernel = s.kernel();
        c.initrd = s.initrd();
        if (s.memory_bytes()) c.memory = s.memory_bytes();
        if (s.vcpus()) c.vcpus = s.vcpus();
        if (s.tee() == v1::TEE_TYPE_OPTEE) c.tee = ts::TeeType::Optee;
        c.tee_method = method_of(s.tee_method());
        c.bootargs = s.bootargs();
        if (s.has_quotas()) {
            if (s.quotas().tee_sessions()) c.quotas.tee_sessions = s.quotas().tee_sessions();
            if (s.quotas().tee_shm_pages()) c.quotas.tee_shm_pages = s.quotas().tee_shm_pages();
        }
        if (!ts::valid_guest_name(c.name)) {
            return ApiError::invalid("spec.name", ts::kGuestNameRule);
        }
        if (auto v = ts::validate_guest_config(c); !v) {
            auto a = api_error(v.error(), {});
            a.field = "spec." + a.field;
            a.metadata["field"] = a.field;
            return a;
        }
    } else if (req.source_case() == v1::CreateGuestRequest::kConfigToml) {
        if (req.config_toml().size() > limits_.max_config_bytes) {
            return ApiError::invalid("config_toml", "larger than 64 KiB");
        }
        auto parsed = ts::parse_guest_config(req.config_toml(), "config_toml", "/");
        if (!parsed) {
            auto a = api_error(parsed.error(), {});
            a.field = "config_toml";
            a.metadata["field"] = "config_toml";
            return a;
        }
        c = *parsed;
    } else {
        return ApiError::invalid("source", "give either spec or config_toml");
    }
    if (!c.kernel.is_absolute()) {
        return ApiError::invalid("kernel", "must be an absolute path on the daemon's host");
    }
    if (!c.initrd.empty() && !c.initrd.is_absolute()) {
        return ApiError::invalid("initrd", "must be an absolute path on the daemon's host");
    }
    return c;
}

ApiResult<v1::Guest> Daemon::create(const v1::CreateGuestRequest& req,
                                    const std::optional<PeerCreds>& caller) {
    auto cfgr = config_from(req);
    if (auto* e = std::get_if<ApiError>(&cfgr)) return *e;
    auto cfg = std::get<ts::GuestConfig>(cfgr);

    auto lock = guest_lock(cfg.name);
    std::lock_guard guard(*lock);
    Record existing;
    if (find(cfg.name, existing) && same_spec(existing.cfg, cfg) && !req.validate_only()) {
        // A retry of a create that succeeded (the client gave up waiting, say):
        // the same guest, not an error.
        if (req.start()) {
            auto info = hv_.get_info(existing.domid);
            if (info && info->state == ts::DomainState::Paused && !info->has_run) {
                if (auto st = hv_.unpause(existing.domid); !st) {
                    return api_error(st.error(), {"start guest", cfg.name});
                }
            }
        }
        return describe(cfg.name, existing);
    }
    if (find(cfg.name, existing)) {
        return ApiError::make(v1::GUEST_ALREADY_EXISTS,
                              "a guest named \"" + cfg.name + "\" exists (domain " +
                                  std::to_string(existing.domid) + ")",
                              cfg.name);
    }
    // Opened with the caller's rights, for validation too: the answer tells the
    // caller nothing it could not find out itself.
    auto unreadable = [](const char* field, const fs::path& path, const CallerFile& f) {
        ApiError a = ApiError::invalid(
            field, path.string() + ": " + f.reason +
                       (f.err == EACCES || f.err == EPERM
                            ? " (the daemon reads guest images with the caller's rights)"
                            : ""));
        a.metadata["path"] = path.string();
        return a;
    };
    CallerFile image =
        read_as_caller(caller, cfg.kernel.string(), limits_.max_kernel_bytes, !req.validate_only());
    if (image.err) return unreadable("kernel", cfg.kernel, image);
    CallerFile initrd;
    if (!cfg.initrd.empty()) {
        initrd = read_as_caller(caller, cfg.initrd.string(), limits_.max_kernel_bytes,
                                !req.validate_only());
        if (initrd.err) return unreadable("initrd", cfg.initrd, initrd);
    }
    if (req.validate_only()) {
        v1::Guest g;
        g.set_name(cfg.name);
        g.set_memory_bytes(cfg.memory);
        g.set_vcpus(cfg.vcpus);
        g.mutable_tee()->set_guest(cfg.name);
        g.mutable_tee()->set_type(to_proto(cfg.tee));
        g.mutable_tee()->set_method(to_proto(cfg.tee_method));
        return g;
    }
    JournalEntry entry{cfg, JournalEntry::Pending::Create};
    if (auto st = journal_.write(entry); !st) return journal_error(st.error(), cfg.name);
    crash_point("create:journal");
    auto id = builder_.build(cfg, image.bytes, initrd.bytes, req.start());
    if (!id) journal_.remove(cfg.name);
    if (id) {
        crash_point("create:built");
        entry.pending = JournalEntry::Pending::None;
        if (auto st = journal_.write(entry); !st) {
            // Left as "being created" the guest would be rolled back after a
            // restart: undo it now instead, so what the caller hears stays true.
            hv_.destroy(*id);
            journal_.remove(cfg.name);
            return journal_error(st.error(), cfg.name);
        }
    }
    if (!id) return api_error(id.error(), {"create guest", cfg.name});
    Record r{*id, cfg};
    {
        std::lock_guard l(mu_);
        guests_[cfg.name] = r;
    }
    auto g = describe(cfg.name, r);
    if (auto* gg = std::get_if<v1::Guest>(&g)) publish(v1::Event::KIND_GUEST_CHANGED, *gg);
    return g;
}

std::optional<ApiError> Daemon::platform_gone() {
    if (platform_up_) return std::nullopt;
    std::lock_guard lock(mu_);
    return ApiError::make(v1::PLATFORM_UNAVAILABLE,
                          "the platform is unreachable: " + platform_down_reason_);
}

// Reads go to the hypervisor (two domctls a guest): what a caller sees follows
// its own writes, and counters are current, not half a second old.
ApiResult<v1::Guest> Daemon::get(const std::string& name) {
    if (auto gone = platform_gone()) return *gone;
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    return describe(name, r);
}

ApiResult<v1::ListGuestsResponse> Daemon::list() {
    if (auto gone = platform_gone()) return *gone;
    std::map<std::string, Record> copy;
    v1::ListGuestsResponse out;
    {
        std::lock_guard lock(mu_);
        copy = guests_;
    }
    for (const auto& [name, r] : copy) {
        auto g = describe(name, r);
        if (auto* e = std::get_if<ApiError>(&g)) {
            if (e->reason == v1::GUEST_NOT_FOUND) continue;  // destroyed meanwhile
            return *e;
        }
        *out.add_guests() = std::get<v1::Guest>(g);
    }
    return out;
}

ApiResult<v1::Guest> Daemon::start(const std::string& name) {
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"start guest", name});
    // Running, or unpaused and waiting for its first time slice: already started.
    if (info->state == ts::DomainState::Running || info->state == ts::DomainState::Created) {
        return describe(name, r);
    }
    if (info->state == ts::DomainState::Shutdown || info->state == ts::DomainState::Crashed) {
        return ApiError::make(
            v1::GUEST_STOPPED_ITSELF,
            "start guest \"" + name + "\": it has " +
                (info->state == ts::DomainState::Crashed ? "crashed" : "shut down") +
                "; destroy and create it again",
            name);
    }
    if (auto s = hv_.unpause(r.domid); !s) return api_error(s.error(), {"start guest", name});
    crash_point("start:hypervisor");
    auto g = describe(name, r);
    if (auto* gg = std::get_if<v1::Guest>(&g)) publish(v1::Event::KIND_GUEST_CHANGED, *gg);
    return g;
}

ApiResult<v1::Guest> Daemon::stop(const std::string& name) {
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"stop guest", name});
    if (info->state == ts::DomainState::Paused || info->state == ts::DomainState::Shutdown ||
        info->state == ts::DomainState::Crashed) {
        return describe(name, r);  // already not running
    }
    if (auto s = hv_.pause(r.domid); !s) return api_error(s.error(), {"stop guest", name});
    auto g = describe(name, r);
    if (auto* gg = std::get_if<v1::Guest>(&g)) publish(v1::Event::KIND_GUEST_CHANGED, *gg);
    return g;
}

ApiResult<v1::DestroyGuestResponse> Daemon::destroy(const std::string& name, bool allow_missing) {
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) {
        if (allow_missing) return v1::DestroyGuestResponse{};
        return ApiError::not_found(name);
    }
    v1::Guest last;
    if (auto g = describe(name, r); std::holds_alternative<v1::Guest>(g)) {
        last = std::get<v1::Guest>(g);
    }
    last.set_name(name);
    if (auto st = journal_.write({r.cfg, JournalEntry::Pending::Destroy}); !st) {
        return journal_error(st.error(), name);
    }
    crash_point("destroy:journal");
    if (auto s = hv_.destroy(r.domid); !s) {
        // Gone already (destroyed behind our back): the outcome is what was asked.
        if (!(s.error().kind() == ts::ErrorKind::Hypervisor &&
              s.error().err() == abi::err::kSrch)) {
            return api_error(s.error(), {"destroy guest", name});
        }
    }
    crash_point("destroy:hypervisor");
    journal_.remove(name);
    {
        std::lock_guard l(mu_);
        guests_.erase(name);
    }
    publish(v1::Event::KIND_GUEST_REMOVED, last);
    v1::DestroyGuestResponse out;
    out.set_existed(true);
    return out;
}

ApiResult<v1::GuestConsole> Daemon::console(const std::string& name, uint64_t from) {
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto c = hv_.console_read(r.domid, from, 4096);
    if (!c) return api_error(c.error(), {"read console", name});
    v1::GuestConsole out;
    out.set_data(c->data);
    out.set_next(c->next);
    out.set_lost(c->lost);
    return out;
}

ApiResult<v1::WriteGuestConsoleResponse> Daemon::console_write(const std::string& name,
                                                               const std::string& data) {
    if (data.empty() || data.size() > abi::kConsoleInputMax) {
        return ApiError::invalid(
            "data", "1 to " + std::to_string(abi::kConsoleInputMax) + " bytes per request");
    }
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto n =
        hv_.console_input(r.domid, {reinterpret_cast<const uint8_t*>(data.data()), data.size()});
    if (!n) return api_error(n.error(), {"write to the console of", name});
    v1::WriteGuestConsoleResponse out;
    out.set_accepted(*n);
    return out;
}

ApiResult<v1::TeeCapabilities> Daemon::capabilities() {
    auto info = hv_.tee_info();
    if (!info) return api_error(info.error(), {"describe the TEE", ""});
    v1::TeeCapabilities c;
    c.set_type(to_proto(info->type));
    if (info->type != ts::TeeType::None) {
        c.set_os_revision(std::to_string(info->os_major) + "." + std::to_string(info->os_minor));
    }
    c.set_guest_limit(info->guest_limit);
    c.set_guest_limit_known(info->guest_limit != 0);
    c.set_guests_in_use(info->guests_in_use);
    c.set_threads(info->threads);
    return c;
}

ApiResult<v1::GuestTee> Daemon::get_tee(const std::string& name) {
    if (auto gone = platform_gone()) return *gone;
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    return describe_tee(name, r);
}

ApiResult<v1::GuestTee> Daemon::enable_tee(const v1::EnableTeeRequest& req) {
    const std::string& name = req.guest();
    if (req.type() == v1::TEE_TYPE_NONE) {
        return ApiError::invalid("type", "use DisableTee to turn the TEE off");
    }
    if (req.type() != v1::TEE_TYPE_UNSPECIFIED && req.type() != v1::TEE_TYPE_OPTEE) {
        return ApiError::invalid(
            "type", "unknown TEE type " + std::to_string(req.type()) + ": expected TEE_TYPE_OPTEE");
    }
    if (!v1::TeeMethod_IsValid(req.method())) {
        return ApiError::invalid("method", "unknown method " + std::to_string(req.method()) +
                                               ": expected TEE_METHOD_SMC or TEE_METHOD_HVC");
    }
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto method = method_of(req.method());
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"enable TEE", name});
    if (info->tee == ts::TeeType::Optee) {
        if (r.cfg.tee_method == method) return describe_tee(name, r);  // same settings: done
        return ApiError::make(v1::TEE_SETTINGS_CONFLICT,
                              "enable TEE for \"" + name + "\": already enabled with method " +
                                  ts::to_string(r.cfg.tee_method) + ", not " +
                                  ts::to_string(method),
                              name);
    }
    if (info->has_run) {
        return ApiError::make(v1::GUEST_ALREADY_STARTED,
                              "enable TEE for \"" + name +
                                  "\": the guest has already run; a guest finds its TEE at boot",
                              name);
    }
    auto cfg = r.cfg;
    cfg.tee = ts::TeeType::Optee;
    cfg.tee_method = method;
    if (auto st = journal_.write({cfg, JournalEntry::Pending::TeeChange}); !st) {
        return journal_error(st.error(), name);
    }
    crash_point("tee-enable:journal");
    if (auto s = hv_.tee_enable(r.domid, ts::TeeType::Optee, cfg.quotas.tee()); !s) {
        journal_.write({r.cfg, JournalEntry::Pending::None});
        return api_error(s.error(), {"enable TEE", name});
    }
    crash_point("tee-enable:hypervisor");
    if (auto s = builder_.rewrite_device_tree(r.domid, cfg); !s) {
        hv_.tee_disable(r.domid);  // never half-enabled
        journal_.write({r.cfg, JournalEntry::Pending::None});
        return api_error(s.error(), {"enable TEE", name});
    }
    crash_point("tee-enable:device-tree");
    return tee_changed(name, r, cfg);
}

ApiResult<v1::GuestTee> Daemon::set_tee_quotas(const v1::SetTeeQuotasRequest& req) {
    const std::string& name = req.guest();
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto cfg = r.cfg;
    if (req.quotas().tee_sessions()) cfg.quotas.tee_sessions = req.quotas().tee_sessions();
    if (req.quotas().tee_shm_pages()) cfg.quotas.tee_shm_pages = req.quotas().tee_shm_pages();
    if (auto v = ts::validate_guest_config(cfg); !v) {
        return api_error(v.error(), {"set TEE quotas", name});  // field: quotas.*
    }
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"set TEE quotas", name});
    if (info->tee != ts::TeeType::None) {
        // Enforced by the hypervisor: it refuses limits below what the guest holds.
        if (auto s = hv_.tee_set_quotas(r.domid, cfg.quotas.tee()); !s) {
            return api_error(s.error(), {"set TEE quotas", name});
        }
    }
    // Recorded where a restarted daemon finds them (the hypervisor's tool data).
    if (auto s = builder_.record_tool_data(r.domid, cfg); !s) {
        return api_error(s.error(), {"set TEE quotas", name});
    }
    return tee_changed(name, r, cfg);
}

// A TEE change done in the hypervisor: recorded, remembered, told to watchers.
ApiResult<v1::GuestTee> Daemon::tee_changed(const std::string& name, Record& r,
                                            const ts::GuestConfig& cfg) {
    if (auto st = journal_.write({cfg, JournalEntry::Pending::None}); !st) {
        spdlog::warn("journal: {} (the TEE change is done; a restart finishes the entry)",
                     st.error().reason());
    }
    {
        std::lock_guard l(mu_);
        guests_[name].cfg = cfg;
        r.cfg = cfg;
    }
    auto tee = describe_tee(name, r);
    if (auto g = describe(name, r); std::holds_alternative<v1::Guest>(g)) {
        publish(v1::Event::KIND_TEE_CHANGED, std::get<v1::Guest>(g));
    }
    return tee;
}

ApiResult<v1::GuestTee> Daemon::disable_tee(const std::string& name) {
    auto lock = guest_lock(name);
    std::lock_guard guard(*lock);
    Record r;
    if (!find(name, r)) return ApiError::not_found(name);
    auto info = hv_.get_info(r.domid);
    if (!info) return api_error(info.error(), {"disable TEE", name});
    if (info->tee == ts::TeeType::None) return describe_tee(name, r);  // already off
    if (info->state == ts::DomainState::Running) {
        return ApiError::make(v1::GUEST_RUNNING,
                              "disable TEE for \"" + name + "\": stop the guest first", name);
    }
    auto cfg = r.cfg;
    cfg.tee = ts::TeeType::None;
    if (auto st = journal_.write({cfg, JournalEntry::Pending::TeeChange}); !st) {
        return journal_error(st.error(), name);
    }
    crash_point("tee-disable:journal");
    if (auto s = hv_.tee_disable(r.domid); !s) {
        journal_.write({r.cfg, JournalEntry::Pending::None});
        return api_error(s.error(), {"disable TEE", name});
    }
    crash_point("tee-disable:hypervisor");
    if (!info->has_run) builder_.rewrite_device_tree(r.domid, cfg);
    crash_point("tee-disable:device-tree");
    return tee_changed(name, r, cfg);
}

std::vector<v1::Guest> Daemon::snapshot_and_subscribe(
    std::shared_ptr<EventBus::Subscription>& sub) {
    auto l = list();
    std::vector<v1::Guest> out;
    if (auto* resp = std::get_if<v1::ListGuestsResponse>(&l)) {
        out.assign(resp->guests().begin(), resp->guests().end());
    }
    sub = bus_.subscribe();
    return out;
}

bool Daemon::poll() {
    std::map<std::string, Record> copy;
    {
        std::lock_guard lock(mu_);
        copy = guests_;
    }
    for (const auto& [name, r] : copy) {
        // Under the guest's lock, so a change in flight is not overwritten by an
        // older description.
        auto lock = guest_lock(name);
        std::lock_guard guard(*lock);
        Record now_r;
        if (!find(name, now_r)) continue;  // destroyed meanwhile
        auto d = describe(name, now_r);
        if (auto* e = std::get_if<ApiError>(&d)) {
            if (e->code() == StatusCode::UNAVAILABLE) {
                std::lock_guard l(mu_);
                platform_down_reason_ = e->message;
                platform_up_ = false;
                return false;
            }
            continue;
        }
        const auto& g = std::get<v1::Guest>(d);
        bool changed;
        {
            std::lock_guard l(mu_);
            auto it = last_.find(name);
            changed = it == last_.end() || worth_an_event(it->second, g);
        }
        if (changed) publish(v1::Event::KIND_GUEST_CHANGED, g);
    }
    if (copy.empty()) {
        auto p = hv_.ping();
        if (!p) {
            std::lock_guard l(mu_);
            platform_down_reason_ = p.error().message();
            platform_up_ = false;
            return false;
        }
    }
    platform_up_ = true;
    return true;
}

}  // namespace warden::wardend
