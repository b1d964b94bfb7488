// SPDX-License-Identifier: Apache-2.0
#include "server.h"

#include <fcntl.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace warden::wardend {
namespace {

using toolstack::Error;
using toolstack::ErrorKind;

}  // namespace

// A socket file nobody answers on is left from a crash and may be replaced.
bool socket_is_live(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return live;
}

namespace {}  // namespace

toolstack::Result<std::unique_ptr<UnixServer>> UnixServer::start(
    const ServerOptions& opts, const std::vector<grpc::Service*>& services, PeerRegistry& peers) {
    std::unique_ptr<UnixServer> s(new UnixServer());
    s->opts_ = opts;
    s->peers_ = &peers;
    sockaddr_un addr{};
    if (opts.socket_path.empty() || opts.socket_path.size() >= sizeof addr.sun_path) {
        return Error(ErrorKind::InvalidInput,
                     "API socket path \"" + opts.socket_path + "\" has " +
                         std::to_string(opts.socket_path.size()) +
                         " characters; a unix socket path holds 1 to 107, so clients could not "
                         "reach it: choose a shorter --socket (the default is "
                         "/run/warden/wardend.sock)");
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(opts.socket_path).parent_path(), ec);
    if (std::filesystem::exists(opts.socket_path)) {
        if (socket_is_live(opts.socket_path)) {
            return Error(ErrorKind::InvalidInput,
                         opts.socket_path + " is in use: another wardend is running");
        }
        spdlog::info("replacing stale socket {}", opts.socket_path);
        ::unlink(opts.socket_path.c_str());
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error(ErrorKind::Internal, std::string("socket: ") + std::strerror(errno));
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, opts.socket_path.c_str(), sizeof addr.sun_path - 1);
    // Created with no access, then opened up: nobody can connect in between.
    mode_t old = ::umask(0777);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0 || ::listen(fd, 64) != 0) {
        int e = errno;
        ::close(fd);
        return Error(ErrorKind::InvalidInput,
                     "cannot listen on " + opts.socket_path + ": " + std::strerror(e));
    }
    if (opts.group && ::chown(opts.socket_path.c_str(), static_cast<uid_t>(-1), *opts.group) != 0) {
        spdlog::warn("cannot give {} to group {}: {}", opts.socket_path, *opts.group,
                     std::strerror(errno));
    }
    ::chmod(opts.socket_path.c_str(), 0660);
    s->listen_fd_ = fd;

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder b;
    b.SetMaxReceiveMessageSize(opts.max_message_bytes);
    b.SetMaxSendMessageSize(opts.max_message_bytes);
    for (auto* svc : services) b.RegisterService(svc);
    s->server_ = b.BuildAndStart();
    if (!s->server_) return Error(ErrorKind::Internal, "gRPC server did not start");
    s->acceptor_ = std::thread([p = s.get()] { p->accept_loop(); });
    return s;
}

void UnixServer::accept_loop() {
    while (!stop_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue;
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
            ::close(fd);
            continue;
        }
        // gRPC names an fd channel's peer after its descriptor.
        peers_->add("fd:" + std::to_string(fd), PeerCreds{cred.pid, cred.uid, cred.gid});
        grpc::AddInsecureChannelFromFd(server_.get(), fd);
    }
}

void UnixServer::set_serving(bool serving) {
    if (!server_) return;
    if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(serving);
}

void UnixServer::set_serving(const std::string& service, bool serving) {
    if (!server_) return;
    if (auto* h = server_->GetHealthCheckService()) h->SetServingStatus(service, serving);
}

void UnixServer::shutdown(std::chrono::milliseconds deadline) {
    set_serving(false);
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    if (listen_fd_ < 0) return;  // never started: the socket is not ours
    ::close(listen_fd_);
    listen_fd_ = -1;
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + deadline);
    ::unlink(opts_.socket_path.c_str());
}

UnixServer::~UnixServer() {
    if (!stop_) shutdown(std::chrono::milliseconds(1000));
}

}  // namespace warden::wardend
