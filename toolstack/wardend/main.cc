// SPDX-License-Identifier: Apache-2.0
// wardend: the control domain's daemon. With no arguments it boots the bundled
// platform in QEMU and serves the warden.v1 API on /run/warden/wardend.sock.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "daemon.h"
#include "drain.h"
#include "notify.h"
#include "platform.h"
#include "relay_transport.h"
#include "server.h"
#include "service.h"
#include "settings.h"

namespace {

namespace fs = std::filesystem;
using namespace warden;

// Exit status when the platform died under the daemon (systemd restarts it).
constexpr int kExitPlatformLost = 3;
// Less free space than this under the run directory counts as full.
constexpr uint64_t kMinFreeBytes = 1024 * 1024;

std::atomic<bool> g_stop_requested{false};

void on_startup_signal(int) {
    g_stop_requested = true;
}

// An exclusive lock on <run dir>/wardend.lock for the daemon's lifetime (not
// inherited by QEMU, which may outlive it and be taken over). -1 after logging
// why when another daemon holds it.
int take_run_dir_lock(const std::string& run_dir) {
    std::error_code ec;
    fs::create_directories(run_dir, ec);
    fs::path path = fs::path(run_dir) / "wardend.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        spdlog::error("cannot open {}: {}", path.string(), std::strerror(errno));
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        spdlog::error(
            "another wardend (pid {}) is using the run directory {}: stop it first, or "
            "give this one its own --run-dir",
            pid, run_dir);
        ::close(fd);
        return -1;
    }
    std::string me = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
        spdlog::warn("cannot record the pid in {}", path.string());
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wardend: Warden's control-domain daemon (gRPC API warden.v1 on a unix socket)"};
    app.option_defaults()->always_capture_default();  // --help shows every default
    app.footer(
        "With no options it boots the bundled platform in QEMU (firmware, hypervisor, dom0\n"
        "agent) and serves on /run/warden/wardend.sock. Flags override the config file.\n"
        "Example: wardend --tee-guests 2 --group warden\n"
        "Exit status: 0 stopped by SIGTERM/SIGINT; 1 could not start (another daemon on the\n"
        "run directory or socket, no platform); 2 bad configuration; 3 the platform died and\n"
        "its guests are lost (a supervisor should start wardend again).");
    wardend::Settings s;
    std::string config;
    app.add_option("-c,--config", config, "TOML configuration file")->check(CLI::ExistingFile);
    app.add_option("--socket", s.socket, "API socket path");
    app.add_option("--group", s.group, "group allowed to change guests");
    app.add_option("--log-level", s.log_level, "trace|debug|info|warn|error")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(wardend::kLogLevels),
                                                       std::end(wardend::kLogLevels))));
    app.add_option("--platform-socket", s.platform_socket,
                   "use an already running platform's relay socket");
    app.add_option("--images", s.images, "directory of the platform images");
    app.add_option("--run-dir", s.run_dir,
                   "the platform's logs and relay socket, and the guest journal (guests/)");
    app.add_option("--tee-guests", s.tee_guests, "guests the TEE can hold")
        ->check(CLI::Range(1, 16));
    app.add_flag("--no-tee", s.no_tee, "start the platform without a TEE");
    app.add_flag("--test-mode", s.test_mode, "platform for tests (semihosting on)")
        ->group("");  // hidden
    std::string crash_at;
    app.add_option("--test-crash-at", crash_at,
                   "tests only: exit at this point of an operation (fault injection)")
        ->group("");  // hidden
    CLI11_PARSE(app, argc, argv);

    // Flags given on the command line win over the file.
    std::set<std::string> given;
    for (const CLI::Option* o : app.get_options()) {
        if (o->count() == 0 || o->get_lnames().empty()) continue;
        std::string name = o->get_lnames().front();
        for (char& c : name) c = c == '-' ? '_' : c;
        given.insert(name);
    }
    auto resolved = wardend::resolve_settings(s, given, config);
    if (!resolved) {
        spdlog::error("{}", resolved.error().message());
        return 2;
    }
    s = *resolved;
    spdlog::set_level(spdlog::level::from_str(s.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");

    wardend::AccessPolicy policy;
    if (!s.group.empty()) {
        struct group* g = ::getgrnam(s.group.c_str());
        if (!g) {
            spdlog::error("group \"{}\" does not exist", s.group);
            return 2;
        }
        policy.group = g->gr_gid;
    }

    // One daemon per run directory and per socket: refuse at once, before
    // touching the platform another daemon may be driving.
    int lock = take_run_dir_lock(s.run_dir);
    if (lock < 0) return 1;
    if (wardend::socket_is_live(s.socket)) {
        spdlog::error(
            "{} is in use: another wardend is serving there; stop it, or give this "
            "one another --socket",
            s.socket);
        return 1;
    }

    // Until the API is up, SIGTERM/SIGINT just ask the start-up to stop (it
    // polls the flag); from then on the main thread takes them synchronously.
    signal(SIGTERM, on_startup_signal);
    signal(SIGINT, on_startup_signal);
    signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<toolstack::Platform> platform;
    std::shared_ptr<toolstack::Transport> transport;
    if (!s.platform_socket.empty()) {
        toolstack::RelayOptions ro;
        ro.socket_path = s.platform_socket;
        transport = std::make_shared<toolstack::RelayTransport>(ro);
        spdlog::info("using the platform at {}", s.platform_socket);
    } else {
        toolstack::PlatformOptions po;
        po.images_dir = s.images.empty()
                            ? toolstack::default_images_dir(fs::canonical("/proc/self/exe"))
                            : fs::path(s.images);
        po.run_dir = s.run_dir;
        po.tee_guests = s.tee_guests;
        po.no_tee = s.no_tee;
        po.memory_mib = s.memory_mib;
        po.test_mode = s.test_mode;
        po.cancelled = [] { return g_stop_requested.load(); };
        spdlog::info(
            "platform in {} (images {}, TEE {}): taking over a running one, or "
            "starting it",
            po.run_dir.string(), po.images_dir.string(),
            s.no_tee ? "none" : "OP-TEE, room for " + std::to_string(s.tee_guests));
        auto p = toolstack::Platform::start(po);
        if (!p) {
            spdlog::error("{}", p.error().message());
            return 1;
        }
        platform = std::move(*p);
        transport = platform->transport();
        spdlog::info(
            "{} (QEMU pid {}, console {})",
            platform->adopted() ? "took over the running platform, its guests kept" : "platform up",
            platform->pid(), platform->console_log().string());
    }

    if (g_stop_requested) {
        spdlog::info("signal during start-up: stopping");
        if (platform) platform->stop();
        return 0;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    // A signal that came between the check above and the block is pending now.

    wardend::Daemon daemon(transport);
    if (auto st = daemon.use_journal(fs::path(s.run_dir) / "guests"); !st) {
        spdlog::error("{}", st.error().message());
        if (platform) platform->stop();
        return 1;
    }
    if (!crash_at.empty()) {
        const auto& known = wardend::Daemon::crash_points();
        if (std::find(known.begin(), known.end(), crash_at) == known.end()) {
            spdlog::error("--test-crash-at {}: not a crash point", crash_at);
            return 2;
        }
        spdlog::warn("test crash point armed: {}", crash_at);
        daemon.set_crash_point(crash_at);
    }
    if (auto st = daemon.recover(); !st) {
        spdlog::error("cannot read the platform's guests: {}", st.error().message());
        return 1;
    }
    std::atomic<bool> shutting_down{false};
    wardend::PeerRegistry peers;
    wardend::ServiceContext ctx{daemon, peers, policy, false, &shutting_down};
    wardend::GuestsService guests(ctx);
    wardend::TeeService tee(ctx);
    wardend::EventsService events(ctx);
    wardend::ServerOptions so;
    so.socket_path = s.socket;
    so.group = policy.group;
    auto server = wardend::UnixServer::start(so, {&guests, &tee, &events}, peers);
    if (!server) {
        spdlog::error("{}", server.error().message());
        return 1;
    }
    (*server)->set_serving(true);
    spdlog::info("serving warden.v1 on {}", s.socket);
    wardend::notify_systemd("READY=1\nSTATUS=serving warden.v1 on " + s.socket);

    // Losing the platform loses every guest: the daemon tells watchers, then
    // exits with kExitPlatformLost so its supervisor starts it again, and with
    // it a fresh platform (docs/api.md, "Losing the platform").
    std::atomic<bool> platform_lost{false};
    // A full disk under the run directory stops the platform's console log and
    // the journal (so every change is refused): said once, and in health.
    (*server)->set_serving(wardend::kStorageHealth, true);
    bool storage_full = false;
    auto check_storage = [&] {
        struct statvfs st {};
        if (::statvfs(s.run_dir.c_str(), &st) != 0) return;
        uint64_t free_bytes = uint64_t{st.f_bavail} * st.f_frsize;
        bool full = free_bytes < kMinFreeBytes;
        if (full == storage_full) return;
        storage_full = full;
        (*server)->set_serving(wardend::kStorageHealth, !full);
        if (full) {
            spdlog::error(
                "the filesystem of {} is full ({} KiB free): the platform's console log "
                "has stopped and guest changes are refused until there is room",
                s.run_dir, free_bytes / 1024);
        } else {
            spdlog::info("the filesystem of {} has room again", s.run_dir);
        }
    };
    std::thread poller([&] {
        bool was_up = true;
        while (!shutting_down) {
            check_storage();
            if (platform && !platform_lost && !platform->down_reason().empty()) {
                std::string why = platform->down_reason();
                spdlog::error(
                    "the platform is gone ({}): every guest is lost; exiting with "
                    "status {} so that a supervisor restarts wardend with a fresh "
                    "platform",
                    why, kExitPlatformLost);
                (*server)->set_serving(false);
                daemon.events().publish(v1::Event::KIND_PLATFORM_LOST, v1::Guest(),
                                        "the platform stopped (" + why + "); its guests are lost");
                platform_lost = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it reach them
                ::kill(::getpid(), SIGTERM);
                return;
            }
            bool up = daemon.poll();
            if (up != was_up) {
                (*server)->set_serving(up);
                if (up) {
                    spdlog::info("platform reachable again");
                } else {
                    spdlog::error("platform unreachable{}",
                                  platform ? ": " + platform->down_reason() : "");
                }
                was_up = up;
            }
            for (int i = 0; i < 5 && !shutting_down; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    });

    int sig = 0;
    sigwait(&sigs, &sig);
    if (platform_lost) {
        spdlog::info("shutting down: the platform is lost");
    } else {
        spdlog::info("signal {}: shutting down", sig);
    }
    wardend::ServingDrain parts(daemon, **server, shutting_down, poller, platform.get());
    wardend::drain(parts);
    spdlog::info("stopped");
    return platform_lost ? kExitPlatformLost : 0;
}
