// SPDX-License-Identifier: Apache-2.0
#include "commands.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "config_source.h"
#include "warden/domctl.h"
#include "words.h"

namespace warden::cli {
namespace {

using HealthStatus = grpc::health::v1::HealthCheckResponse;

template <typename Response>
using Call = std::function<grpc::Status(grpc::ClientContext*, Response*)>;
template <typename Response>
using Render = std::function<std::string(const Response&)>;

template <typename Response>
int unary(Session& s, const Call<Response>& call, const Render<Response>& render) {
    grpc::ClientContext ctx;
    s.client.set_deadline(ctx);
    Response response;
    grpc::Status status = call(&ctx, &response);
    if (!status.ok()) return s.fail(status);
    s.out << render(response) << std::flush;
    return static_cast<int>(ExitCode::kOk);
}

v1::TeeMethod tee_method(const std::string& m) {
    if (m == "smc") return v1::TEE_METHOD_SMC;
    if (m == "hvc") return v1::TEE_METHOD_HVC;
    return v1::TEE_METHOD_UNSPECIFIED;
}

v1::TeeType tee_type(const std::string& t) {
    if (t == "optee") return v1::TEE_TYPE_OPTEE;
    if (t == "none") return v1::TEE_TYPE_NONE;
    return v1::TEE_TYPE_UNSPECIFIED;
}

Render<v1::Guest> guest_renderer(const Session& s) {
    return [f = s.format](const v1::Guest& g) { return render_guest(g, f); };
}

Render<v1::GuestTee> tee_renderer(const Session& s) {
    return [f = s.format](const v1::GuestTee& t) { return render_guest_tee(t, f); };
}

}  // namespace

int Session::fail(const grpc::Status& status) {
    RpcError e = decode_error(status);
    auto rename = [&](std::string& text) {
        for (const auto& [api, mine] : aliases) {
            for (size_t at = text.find(api); at != std::string::npos;
                 at = text.find(api, at + mine.size())) {
                text.replace(at, api.size(), mine);
            }
        }
    };
    rename(e.message);
    for (auto& [k, v] : e.metadata) rename(v);
    for (auto& v : e.field_violations) {
        rename(v.field);
        rename(v.description);
    }
    err << (format == Format::kJson ? render_error_json(e, where) : render_error_text(e, where))
        << std::flush;
    return static_cast<int>(e.exit_code());
}

int Session::fail(ExitCode code, const std::string& message) {
    err << (format == Format::kJson ? render_local_error_json(message, code)
                                    : render_local_error_text(message))
        << std::flush;
    return static_cast<int>(code);
}

int guest_create(Session& s, const CreateArgs& a) {
    v1::CreateGuestRequest req;
    if (!a.config.empty()) {
        s.aliases = {{"config_toml", a.config}};
    } else {
        s.aliases = {{"spec.tee_method", "--tee-method"}, {"spec.name", "--name"},
                     {"spec.kernel", "--kernel"},         {"spec.memory", "--memory"},
                     {"spec.vcpus", "--vcpus"},           {"spec.tee", "--tee"},
                     {"spec.bootargs", "--bootargs"},     {"spec.initrd", "--initrd"}};
    }
    if (!a.config.empty()) {
        ConfigText config = load_config_text(a.config);
        if (!config.error.empty()) return s.fail(ExitCode::kUsage, config.error);
        req.set_config_toml(config.text);
    } else {
        v1::GuestSpec* spec = req.mutable_spec();
        spec->set_name(a.name);
        // The daemon resolves nothing against our working directory.
        std::error_code ec;
        std::filesystem::path kernel = std::filesystem::absolute(a.kernel, ec);
        spec->set_kernel(ec ? a.kernel : kernel.lexically_normal().string());
        if (!a.initrd.empty()) {
            std::filesystem::path initrd = std::filesystem::absolute(a.initrd, ec);
            spec->set_initrd(ec ? a.initrd : initrd.lexically_normal().string());
        }
        if (!a.memory.empty()) {
            uint64_t bytes = parse_size(a.memory);
            if (bytes == 0) {
                return s.fail(ExitCode::kUsage,
                              "--memory: \"" + a.memory + "\" is not a size such as 64M or 1G");
            }
            spec->set_memory_bytes(bytes);
        }
        spec->set_vcpus(a.vcpus);
        spec->set_tee(tee_type(a.tee));
        spec->set_tee_method(tee_method(a.tee_method));
        spec->set_bootargs(a.bootargs);
    }
    req.set_start(a.start);
    req.set_validate_only(a.validate_only);
    Render<v1::Guest> render = guest_renderer(s);
    if (a.validate_only) {
        render = [f = s.format](const v1::Guest& g) { return render_validated(g, f); };
    }
    return unary<v1::Guest>(
        s, [&](auto* ctx, auto* r) { return s.client.guests().CreateGuest(ctx, req, r); }, render);
}

int guest_list(Session& s) {
    return unary<v1::ListGuestsResponse>(
        s,
        [&](auto* ctx, auto* r) {
            return s.client.guests().ListGuests(ctx, v1::ListGuestsRequest(), r);
        },
        [f = s.format](const v1::ListGuestsResponse& l) { return render_guests(l, f); });
}

int guest_get(Session& s, const std::string& name) {
    v1::GetGuestRequest req;
    req.set_name(name);
    return unary<v1::Guest>(
        s, [&](auto* ctx, auto* r) { return s.client.guests().GetGuest(ctx, req, r); },
        guest_renderer(s));
}

int guest_start(Session& s, const std::string& name) {
    v1::StartGuestRequest req;
    req.set_name(name);
    return unary<v1::Guest>(
        s, [&](auto* ctx, auto* r) { return s.client.guests().StartGuest(ctx, req, r); },
        guest_renderer(s));
}

int guest_stop(Session& s, const std::string& name) {
    v1::StopGuestRequest req;
    req.set_name(name);
    return unary<v1::Guest>(
        s, [&](auto* ctx, auto* r) { return s.client.guests().StopGuest(ctx, req, r); },
        guest_renderer(s));
}

int guest_destroy(Session& s, const std::string& name, bool allow_missing) {
    v1::DestroyGuestRequest req;
    req.set_name(name);
    req.set_allow_missing(allow_missing);
    return unary<v1::DestroyGuestResponse>(
        s, [&](auto* ctx, auto* r) { return s.client.guests().DestroyGuest(ctx, req, r); },
        [&](const v1::DestroyGuestResponse& r) {
            return render_destroyed(name, r.existed(), s.format);
        });
}

namespace {

// The terminal in raw mode while attached (keys go to the guest as typed, Ctrl-C
// included), restored however the command ends.
class RawTerminal {
public:
    explicit RawTerminal(int fd) : fd_(fd) {
        if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) != 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }
    bool active() const { return active_; }

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

// Reads the attached input on a thread of its own: what arrives waits in
// `pending` until the guest takes it; kDetach or the end of the input stop it.
struct InputPump {
    std::mutex mu;
    std::string pending;
    std::atomic<bool> detach = false, eof = false, stop = false;
    std::thread reader;

    explicit InputPump(int fd) {
        reader = std::thread([this, fd] {
            char buf[256];
            while (!stop) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 100) <= 0) continue;
                ssize_t n = ::read(fd, buf, sizeof buf);
                if (n <= 0) {
                    eof = true;
                    return;
                }
                std::string_view chunk(buf, static_cast<size_t>(n));
                const size_t esc = chunk.find(kDetach);
                std::lock_guard l(mu);
                pending.append(chunk.substr(0, esc));
                if (esc != std::string_view::npos) {
                    detach = true;
                    return;
                }
            }
        });
    }
    ~InputPump() {
        stop = true;
        reader.join();
    }
};

}  // namespace

int guest_console(Session& s, const std::string& name, bool follow, const std::string& until,
                  int wait_seconds, bool attach) {
    std::atomic<bool> interrupted = false;
    if (s.interrupt) s.interrupt->arm([&] { interrupted = true; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
    std::optional<RawTerminal> raw;
    std::optional<InputPump> input;
    if (attach) {
        follow = true;
        raw.emplace(s.in_fd);
        if (raw->active()) {
            s.err << "[attached to " << name << ": Ctrl-] detaches]\r\n" << std::flush;
        }
        input.emplace(s.in_fd);
    }
    uint64_t from = 0;
    std::string seen;  // only what `until` needs: the tail of the output
    int rc = static_cast<int>(ExitCode::kOk);
    // One read of the console from `from`: printed, and `from` moves on.
    auto read_console = [&](v1::GuestConsole& out) {
        grpc::ClientContext ctx;
        s.client.set_deadline(ctx);
        v1::GetGuestConsoleRequest req;
        req.set_name(name);
        req.set_from(from);
        grpc::Status status = s.client.guests().GetGuestConsole(&ctx, req, &out);
        if (!status.ok()) return status;
        if (out.lost()) s.err << "[" << out.lost() << " bytes of console output lost]\n";
        s.out << out.data() << std::flush;
        from = out.next();
        return status;
    };
    if (attach) {
        // What the guest said before anything was typed is shown, but --until
        // looks only at what comes after: the answer to the input.
        v1::GuestConsole history;
        if (grpc::Status st = read_console(history); !st.ok()) {
            if (s.interrupt) s.interrupt->disarm();
            return s.fail(st);
        }
    }
    for (;;) {
        // Input first: as much as the guest takes now, the rest next time round.
        bool sent_some = false;
        if (input) {
            std::string chunk;
            {
                std::lock_guard l(input->mu);
                chunk = input->pending.substr(0, abi::kConsoleInputMax);
            }
            if (!chunk.empty()) {
                grpc::ClientContext ctx;
                s.client.set_deadline(ctx);
                v1::WriteGuestConsoleRequest req;
                req.set_name(name);
                req.set_data(chunk);
                v1::WriteGuestConsoleResponse resp;
                grpc::Status status = s.client.guests().WriteGuestConsole(&ctx, req, &resp);
                if (!status.ok()) {
                    rc = s.fail(status);
                    break;
                }
                const size_t taken = std::min<size_t>(resp.accepted(), chunk.size());
                std::lock_guard l(input->mu);
                input->pending.erase(0, taken);
                sent_some = taken > 0;
            }
            std::lock_guard l(input->mu);
            if (input->detach && input->pending.empty()) {
                if (raw->active()) s.err << "\r\n[detached from " << name << "]\r\n" << std::flush;
                break;
            }
        }
        v1::GuestConsole out;
        if (grpc::Status status = read_console(out); !status.ok()) {
            rc = s.fail(status);
            break;
        }
        if (!until.empty()) {
            seen += out.data();
            if (seen.find(until) != std::string::npos) break;
            if (seen.size() > 2 * until.size() + 4096) seen.erase(0, seen.size() - until.size());
            if (std::chrono::steady_clock::now() > deadline) {
                rc = s.fail(ExitCode::kUnavailable, "\"" + until + "\" did not appear on " + name +
                                                        "'s console within " +
                                                        std::to_string(wait_seconds) + " s");
                break;
            }
        } else if (!follow) {
            break;
        } else if (out.data().empty()) {
            // Nothing new: a guest that has stopped for good will say no more.
            grpc::ClientContext gctx;
            s.client.set_deadline(gctx);
            v1::GetGuestRequest greq;
            greq.set_name(name);
            v1::Guest g;
            if (s.client.guests().GetGuest(&gctx, greq, &g).ok() &&
                (g.state() == v1::GUEST_STATE_SHUTDOWN || g.state() == v1::GUEST_STATE_CRASHED)) {
                s.err << "[" << name << " has " << word(g.state()) << "; its console ends here]\n";
                break;
            }
        }
        if (interrupted) break;
        if (!sent_some) {
            std::this_thread::sleep_for(std::chrono::milliseconds(attach ? 50 : 200));
        }
    }
    if (s.interrupt) s.interrupt->disarm();
    return rc;
}

int tee_caps(Session& s) {
    return unary<v1::TeeCapabilities>(
        s,
        [&](auto* ctx, auto* r) {
            return s.client.tee().GetCapabilities(ctx, v1::GetCapabilitiesRequest(), r);
        },
        [f = s.format](const v1::TeeCapabilities& c) { return render_capabilities(c, f); });
}

int tee_enable(Session& s, const std::string& guest, const std::string& method) {
    v1::EnableTeeRequest req;
    req.set_guest(guest);
    req.set_method(tee_method(method));
    return unary<v1::GuestTee>(
        s, [&](auto* ctx, auto* r) { return s.client.tee().EnableTee(ctx, req, r); },
        tee_renderer(s));
}

int tee_disable(Session& s, const std::string& guest) {
    v1::DisableTeeRequest req;
    req.set_guest(guest);
    return unary<v1::GuestTee>(
        s, [&](auto* ctx, auto* r) { return s.client.tee().DisableTee(ctx, req, r); },
        tee_renderer(s));
}

int tee_quota(Session& s, const std::string& guest, uint32_t sessions, uint32_t shm_pages) {
    if (!sessions && !shm_pages) {
        return s.fail(ExitCode::kUsage, "tee quota: give --sessions, --shm-pages or both");
    }
    v1::SetTeeQuotasRequest req;
    req.set_guest(guest);
    req.mutable_quotas()->set_tee_sessions(sessions);
    req.mutable_quotas()->set_tee_shm_pages(shm_pages);
    return unary<v1::GuestTee>(
        s, [&](auto* ctx, auto* r) { return s.client.tee().SetTeeQuotas(ctx, req, r); },
        tee_renderer(s));
}

int tee_get(Session& s, const std::string& guest) {
    v1::GetTeeRequest req;
    req.set_guest(guest);
    return unary<v1::GuestTee>(
        s, [&](auto* ctx, auto* r) { return s.client.tee().GetTee(ctx, req, r); }, tee_renderer(s));
}

int tee_watch(Session& s) {
    grpc::ClientContext ctx;
    std::atomic<bool> interrupted = false;
    if (s.interrupt) {
        s.interrupt->arm([&] {
            interrupted = true;
            ctx.TryCancel();
        });
    }
    auto reader = s.client.events().Watch(&ctx, v1::WatchRequest());
    EventPrinter printer(s.format);
    v1::Event event;
    while (reader->Read(&event)) s.out << printer.on_event(event) << std::flush;
    s.out << printer.finish() << std::flush;
    grpc::Status status = reader->Finish();
    if (s.interrupt) s.interrupt->disarm();
    if (interrupted) return static_cast<int>(ExitCode::kOk);
    if (!status.ok()) return s.fail(status);
    // Only Ctrl-C ends a watch: a stream the daemon closed is a lost stream.
    s.err << "error: the event stream ended: wardend closed it (restarted or stopped?)\n";
    return static_cast<int>(ExitCode::kUnavailable);
}

int health(Session& s) {
    HealthStatus::ServingStatus serving = HealthStatus::UNKNOWN;
    int rc = unary<HealthStatus>(
        s,
        [&](auto* ctx, auto* r) {
            return s.client.health().Check(ctx, grpc::health::v1::HealthCheckRequest(), r);
        },
        [&](const HealthStatus& r) {
            serving = r.status();
            return render_health(r.status(), s.format);
        });
    if (rc == 0 && serving != HealthStatus::SERVING)
        return static_cast<int>(ExitCode::kUnavailable);
    if (rc != 0) return rc;
    // The daemon's storage (its run directory) is a part of its own; a daemon
    // that does not report it says nothing about it.
    grpc::ClientContext ctx;
    s.client.set_deadline(ctx);
    grpc::health::v1::HealthCheckRequest req;
    req.set_service("warden.v1.Storage");
    HealthStatus storage;
    if (s.client.health().Check(&ctx, req, &storage).ok() &&
        storage.status() == HealthStatus::NOT_SERVING) {
        s.err << "warning: storage not_serving: the daemon's run directory is full; its "
                 "platform log has stopped and guest changes are refused\n";
        return static_cast<int>(ExitCode::kUnavailable);
    }
    return rc;
}

}  // namespace warden::cli
