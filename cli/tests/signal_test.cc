// SPDX-License-Identifier: Apache-2.0
// The real binary under a real SIGINT: `tee watch` must end with exit 0 and
// everything it printed intact. In-process tests cannot do this, since the
// signal would reach the test runner too.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "fake_wardend.h"
#include "golden.h"

extern char** environ;

namespace warden::cli {
namespace {

using Clock = std::chrono::steady_clock;

class Child {
public:
    explicit Child(std::vector<std::string> args) {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        // Whatever the test runner blocks or ignores, the child starts clean.
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGTERM);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        std::vector<char*> argv;
        args.insert(args.begin(), WARDENCTL_BINARY);
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        EXPECT_EQ(posix_spawn(&pid_, WARDENCTL_BINARY, &actions, &attr, argv.data(), environ), 0);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        close(fds[1]);
        out_fd_ = fds[0];
    }

    ~Child() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(out_fd_);
    }

    // Reads stdout until it contains `what`; false after `limit`.
    bool read_until(const std::string& what, std::chrono::seconds limit) {
        auto end = Clock::now() + limit;
        while (out_.find(what) == std::string::npos) {
            if (!read_some(end)) return false;
        }
        return true;
    }

    // Waits for the exit, reading the rest of stdout; -1 after `limit`.
    int wait_status(std::chrono::seconds limit) {
        auto end = Clock::now() + limit;
        while (read_some(end)) {
        }
        while (Clock::now() < end) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                reaped_ = true;
                return status;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

    pid_t pid() const { return pid_; }
    const std::string& out() const { return out_; }

private:
    bool read_some(Clock::time_point end) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{out_fd_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buf[4096];
        ssize_t n = read(out_fd_, buf, sizeof buf);
        if (n <= 0) return false;
        out_.append(buf, static_cast<size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    bool reaped_ = false;
    int out_fd_ = -1;
    std::string out_;
};

TEST(WardenctlProcess, CtrlCEndsTeeWatchWithExitZero) {
    test::FakeWardend daemon;
    Child child({"--socket", daemon.socket(), "tee", "watch", "-o", "json"});
    ASSERT_TRUE(child.read_until("guest_removed", std::chrono::seconds(30))) << child.out();
    ASSERT_EQ(kill(child.pid(), SIGINT), 0);
    int status = child.wait_status(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(child.out(), test::read_golden("watch.jsonl"));
}

TEST(WardenctlProcess, ExitCodeReachesTheShell) {
    test::FakeWardend daemon;
    Child child({"--socket", daemon.socket(), "tee", "enable", "db"});
    int status = child.wait_status(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 6);
}

}  // namespace
}  // namespace warden::cli
