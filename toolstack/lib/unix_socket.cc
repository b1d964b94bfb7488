// SPDX-License-Identifier: Apache-2.0
#include "unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace warden::toolstack {

Result<int> unix_connect(const std::filesystem::path& path) {
    std::string target = path.string();
    int dir = -1;
    if (target.size() > kUnixPathMax) {
        dir = ::open(path.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) {
            return Error(ErrorKind::Unavailable, "cannot open " + path.parent_path().string() +
                                                     ": " + std::strerror(errno));
        }
        target = "/proc/self/fd/" + std::to_string(dir) + "/" + path.filename().string();
        if (target.size() > kUnixPathMax) {
            ::close(dir);
            return Error(ErrorKind::InvalidInput,
                         "socket name " + path.filename().string() + " is too long");
        }
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        err = errno;
        ::close(fd);
        fd = -1;
    }
    if (dir >= 0) ::close(dir);
    if (fd < 0) return Error(ErrorKind::Unavailable, path.string() + ": " + std::strerror(err));
    return fd;
}

}  // namespace warden::toolstack
