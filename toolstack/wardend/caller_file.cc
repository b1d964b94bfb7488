// SPDX-License-Identifier: Apache-2.0
#include "caller_file.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace warden::wardend {
namespace {

// Supplementary groups of the caller's user, looked up before the fork (NSS is
// not for a child of a threaded process).
std::vector<gid_t> groups_of(uid_t uid, gid_t gid) {
    std::vector<gid_t> groups{gid};
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
    struct passwd pw;
    struct passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return groups;
    int n = 64;
    std::vector<gid_t> all(static_cast<size_t>(n));
    if (::getgrouplist(pw.pw_name, gid, all.data(), &n) < 0) {
        all.resize(static_cast<size_t>(n));
        if (::getgrouplist(pw.pw_name, gid, all.data(), &n) < 0) return groups;
    }
    all.resize(static_cast<size_t>(n));
    return all;
}

// The child: raw system calls only (it is a fork of a threaded process).
[[noreturn]] void open_in_child(int sock, uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                                const char* path) {
    int err = 0;
    if (::syscall(SYS_setgroups, groups.size(), groups.data()) != 0 ||
        ::syscall(SYS_setresgid, gid, gid, gid) != 0 ||
        ::syscall(SYS_setresuid, uid, uid, uid) != 0) {
        err = EPERM;
    }
    // Non-blocking: a FIFO must not hang the open; it is refused below anyway.
    int fd = err ? -1 : ::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && !err) err = errno;
    char data[sizeof(int)];
    std::memcpy(data, &err, sizeof err);
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t sent = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    ::_exit(sent == static_cast<ssize_t>(sizeof data) ? 0 : 1);
}

// fd opened with the caller's rights, or -1 with *err set.
int open_as(const PeerCreds& who, const std::string& path, int* err) {
    std::vector<gid_t> groups = groups_of(who.uid, who.gid);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        *err = errno;
        return -1;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        *err = errno;
        ::close(sv[0]);
        ::close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        ::close(sv[0]);
        open_in_child(sv[1], who.uid, who.gid, groups, path.c_str());
    }
    ::close(sv[1]);
    char data[sizeof(int)] = {};
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    ::close(sv[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        }
    }
    int child_err = 0;
    std::memcpy(&child_err, data, sizeof child_err);
    if (n != static_cast<ssize_t>(sizeof data) || (fd < 0 && child_err == 0)) {
        if (fd >= 0) ::close(fd);
        *err = EIO;
        return -1;
    }
    if (fd < 0) *err = child_err;
    return fd;
}

std::string reason_of(int err) {
    switch (err) {
    case ENOENT:
        return "no such file";
    case EACCES:
    case EPERM:
        return "permission denied";
    case EISDIR:
        return "not a regular file";
    default:
        return std::strerror(err);
    }
}

}  // namespace

CallerFile read_as_caller(const std::optional<PeerCreds>& caller, const std::string& path,
                          uint64_t max_bytes, bool contents) {
    CallerFile out;
    int err = 0;
    int fd = -1;
    if (!caller || caller->uid == ::geteuid()) {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) err = errno;
    } else {
        fd = open_as(*caller, path, &err);
    }
    if (fd < 0) {
        out.err = err;
        out.reason = reason_of(err);
        return out;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        out.err = EINVAL;
        out.reason = "not a regular file";
        return out;
    }
    if (st.st_size <= 0 || static_cast<uint64_t>(st.st_size) > max_bytes) {
        ::close(fd);
        out.err = EFBIG;
        out.reason = "size must be 1 byte to " + std::to_string(max_bytes >> 20) + " MiB";
        return out;
    }
    if (!contents) {
        ::close(fd);
        return out;
    }
    // Back to blocking reads of a regular file.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    out.bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.bytes.size()) {
        ssize_t n = ::read(fd, out.bytes.data() + done, out.bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    ::close(fd);
    if (done != out.bytes.size()) {
        out.bytes.clear();
        out.err = EIO;
        out.reason = "changed while being read";
    }
    return out;
}

}  // namespace warden::wardend
