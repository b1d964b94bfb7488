// SPDX-License-Identifier: Apache-2.0
// The embedded QEMU platform: the secure-world firmware, the Warden hypervisor
// and the dom0 agent, started and supervised as one QEMU process, reached through
// the relay socket. A crash of QEMU is reported to callers as Unavailable with
// what happened, never as a hang.
//
// The platform started for users has no semihosting and no other channel to host
// files (it would hand every guest the host's files with QEMU's rights); only
// test_mode adds semihosting, so a test run can report a status.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "relay_transport.h"
#include "status.h"

namespace warden::toolstack {

struct PlatformOptions {
    std::filesystem::path images_dir;  // firmware.bin, warden.bin, warden-agent.bin
    std::filesystem::path run_dir;     // relay socket and logs go here
    std::string qemu = "qemu-system-aarch64";
    uint32_t memory_mib = 1024;
    uint32_t tee_guests = 2;              // room in the TEE (OP-TEE model's guest limit)
    bool no_tee = false;                  // a platform without TEE
    bool test_mode = false;               // semihosting on, for test runs only
    bool icount = false;                  // deterministic instruction counting (benchmarks)
    std::vector<std::string> extra_args;  // refused if they open a host-file channel
    std::chrono::milliseconds boot_timeout{30000};
    std::chrono::milliseconds request_timeout{3000};
    // Asked while waiting for the platform to boot: true stops QEMU and fails
    // the start (a daemon told to stop during start-up).
    std::function<bool()> cancelled;
};

// Where the images are, when not configured: $WARDEN_IMAGES, then beside the
// executable (../share/warden/images for an install, ../images in a build tree).
std::filesystem::path default_images_dir(const std::filesystem::path& executable);

class Platform {
public:
    // Checks the options, starts QEMU and waits until the dom0 agent answers. If
    // the run directory holds a live platform an earlier daemon started, takes it
    // over instead (its guests keep running).
    static Result<std::unique_ptr<Platform>> start(const PlatformOptions& opts);
    // The QEMU command line for these options (or why they are refused).
    static Result<std::vector<std::string>> command_line(const PlatformOptions& opts);

    ~Platform();
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    std::shared_ptr<RelayTransport> transport() { return transport_; }
    // Empty while QEMU runs; otherwise how it ended ("QEMU exited with status 1",
    // "QEMU was killed by signal 9").
    std::string down_reason();
    bool running() { return down_reason().empty(); }
    pid_t pid() const { return pid_; }
    const PlatformOptions& options() const { return opts_; }
    std::filesystem::path console_log() const { return opts_.run_dir / "console.log"; }
    std::filesystem::path secure_log() const { return opts_.run_dir / "secure-console.log"; }
    std::filesystem::path qemu_log() const { return opts_.run_dir / "qemu.log"; }
    // True when start() took over a platform an earlier daemon had started.
    bool adopted() const { return adopted_; }
    // Lets go without stopping QEMU (it keeps running for the next daemon).
    void detach() { proc_.reset(); }
    // Stops QEMU: SIGTERM, then SIGKILL after `grace`.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

    // The QEMU process, shared with the transport (which asks it whether the
    // platform is down) so it stays valid as long as either needs it.
    struct Process;

private:
    Platform() = default;
    static std::unique_ptr<Platform> adopt(const PlatformOptions& opts);

    PlatformOptions opts_;
    pid_t pid_ = -1;
    std::shared_ptr<Process> proc_;
    std::shared_ptr<RelayTransport> transport_;
    bool adopted_ = false;
};

}  // namespace warden::toolstack
