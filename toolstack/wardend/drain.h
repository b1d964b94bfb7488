// SPDX-License-Identifier: Apache-2.0
// How wardend stops: one sequence, so that no caller is cut off mid-change and
// the platform goes last (calls in flight still need it).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace warden::toolstack {
class Platform;
}

namespace warden::wardend {

class Daemon;
class UnixServer;

// What stopping touches; drain() calls each once, in the order declared.
class Drainable {
public:
    virtual ~Drainable() = default;
    // systemd learns the daemon is stopping ("STOPPING=1").
    virtual void notify(const std::string& state) = 0;
    // Changes are refused (DAEMON_SHUTTING_DOWN) and health says NOT_SERVING.
    virtual void stop_serving() = 0;
    // Watch streams end with UNAVAILABLE / DAEMON_SHUTTING_DOWN.
    virtual void end_streams() = 0;
    // The platform poller stops (and is joined).
    virtual void stop_poller() = 0;
    // The gRPC server lets calls in flight finish, up to `grace`, then stops.
    virtual void shutdown_server(std::chrono::seconds grace) = 0;
    // QEMU stops (for a platform the daemon started).
    virtual void stop_platform() = 0;
};

inline constexpr std::chrono::seconds kDrainGrace{5};

void drain(Drainable& d, std::chrono::seconds grace = kDrainGrace);

// The running daemon's parts, as main() puts them together. The poller loops
// until `shutting_down` is set.
class ServingDrain final : public Drainable {
public:
    ServingDrain(Daemon& daemon, UnixServer& server, std::atomic<bool>& shutting_down,
                 std::thread& poller, toolstack::Platform* platform)
        : daemon_(daemon),
          server_(server),
          shutting_down_(shutting_down),
          poller_(poller),
          platform_(platform) {}
    void notify(const std::string& state) override;
    void stop_serving() override;
    void end_streams() override;
    void stop_poller() override;
    void shutdown_server(std::chrono::seconds grace) override;
    void stop_platform() override;

private:
    Daemon& daemon_;
    UnixServer& server_;
    std::atomic<bool>& shutting_down_;
    std::thread& poller_;
    toolstack::Platform* platform_;
};

}  // namespace warden::wardend
