// SPDX-License-Identifier: Apache-2.0
// wardend's gRPC server on a unix socket it accepts itself (for SO_PEERCRED):
// the socket is created fresh (a stale one from a crash is replaced, a live
// daemon's is not), with mode 0660 and the configured group.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "peers.h"
#include "toolstack/lib/status.h"

namespace warden::wardend {

struct ServerOptions {
    std::string socket_path = "/run/warden/wardend.sock";
    std::optional<gid_t> group;  // owner group of the socket
    int max_message_bytes = 4 * 1024 * 1024;
};

// True if something accepts connections on the unix socket at `path`.
bool socket_is_live(const std::string& path);

// Health service name for the run directory's storage (journal, platform logs).
inline constexpr const char kStorageHealth[] = "warden.v1.Storage";

class UnixServer {
public:
    // Builds the server with `services` (health and reflection are added).
    static toolstack::Result<std::unique_ptr<UnixServer>> start(
        const ServerOptions& opts, const std::vector<grpc::Service*>& services,
        PeerRegistry& peers);
    ~UnixServer();

    grpc::Server& server() { return *server_; }
    void set_serving(bool serving);
    // The health of one named part (grpc.health.v1 with a service name), e.g.
    // kStorageHealth.
    void set_serving(const std::string& service, bool serving);
    // Stops accepting, drains calls in flight (up to `deadline`), removes the socket.
    void shutdown(std::chrono::milliseconds deadline);

private:
    UnixServer() = default;
    void accept_loop();

    ServerOptions opts_;
    PeerRegistry* peers_ = nullptr;
    std::unique_ptr<grpc::Server> server_;
    int listen_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
};

}  // namespace warden::wardend
