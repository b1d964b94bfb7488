// SPDX-License-Identifier: Apache-2.0
// The whole command line, in-process, against the fake daemon over a real unix
// socket: what a user would see on stdout and stderr, and the exit code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include <unistd.h>

#include "app.h"
#include "commands.h"
#include "fake_wardend.h"
#include "golden.h"

namespace warden::cli {
namespace {

using test::expect_golden;
using test::FakeWardend;
using test::read_golden;

struct Result {
    int code;
    std::string out;
    std::string err;
};

class Wardenctl : public ::testing::Test {
protected:
    Result run_cli(std::vector<std::string> args, const RunOptions& options = {}) {
        std::ostringstream out, err;
        int code = run(args, out, err, options);
        return {code, out.str(), err.str()};
    }
    // With --socket pointing at the fake.
    Result cli(std::vector<std::string> args) {
        args.insert(args.begin(), {"--socket", daemon_.socket()});
        return run_cli(std::move(args));
    }

    FakeWardend daemon_;
};

TEST_F(Wardenctl, GuestListTable) {
    Result r = cli({"guest", "list"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, read_golden("guest_list.txt"));
    EXPECT_EQ(r.err, "");
}

TEST_F(Wardenctl, GuestListJsonWithOptionsAfterTheCommand) {
    Result r = run_cli({"guest", "list", "-o", "json", "--socket", daemon_.socket()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, read_golden("guest_list.json"));
}

TEST_F(Wardenctl, SocketFromTheEnvironment) {
    RunOptions options;
    options.env_socket = daemon_.socket();
    Result r = run_cli({"guest", "get", "web-1"}, options);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, read_golden("guest_get.txt"));
}

TEST_F(Wardenctl, SocketOptionBeatsTheEnvironment) {
    RunOptions options;
    options.env_socket = "/tmp/wardenctl-test-nothing-here.sock";
    Result r = run_cli({"--socket", daemon_.socket(), "guest", "list"}, options);
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Wardenctl, MissingGuestIsNotFound) {
    Result r = cli({"guest", "get", "nope"});
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "error: no guest named \"nope\"\n"
              "reason: GUEST_NOT_FOUND\n"
              "  guest: nope\n"
              "hint: `wardenctl guest list` shows the guests that exist\n");
}

TEST_F(Wardenctl, TeeExhaustionAsText) {
    Result r = cli({"tee", "enable", "db"});
    EXPECT_EQ(r.code, 6);
    EXPECT_EQ(r.out, "");
    expect_golden("error_exhausted.txt", r.err);
}

TEST_F(Wardenctl, TeeExhaustionAsJsonOnStderr) {
    Result r = cli({"-o", "json", "tee", "enable", "db"});
    EXPECT_EQ(r.code, 6);
    EXPECT_EQ(r.out, "");
    expect_golden("error_exhausted.json", r.err);
    auto j = nlohmann::json::parse(r.err);
    EXPECT_EQ(j["error"]["reason"], "TEE_CLIENT_IDS_EXHAUSTED");
    EXPECT_EQ(j["error"]["metadata"]["limit"], "2");
}

TEST_F(Wardenctl, TeeSettingsConflictIsExitFour) {
    Result r = cli({"tee", "enable", "web-1", "--method", "hvc"});
    EXPECT_EQ(r.code, 4) << r.err;
    EXPECT_NE(r.err.find("reason: TEE_SETTINGS_CONFLICT\n"), std::string::npos);
}

TEST_F(Wardenctl, TeeEnableAgainWithTheSameSettingsSucceeds) {
    Result r = cli({"tee", "enable", "web-1", "--method", "smc"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, read_golden("tee_get.txt"));
}

TEST_F(Wardenctl, TeeDisableOfAStartedGuestIsAPrecondition) {
    Result r = cli({"tee", "disable", "web-1"});
    EXPECT_EQ(r.code, 5);
    EXPECT_NE(r.err.find("hint: TEE access can only change before a guest first runs"),
              std::string::npos);
}

TEST_F(Wardenctl, TeeQuotaRaisesAndRefusesBelowUse) {
    Result up = cli({"tee", "quota", "web-1", "--sessions", "32"});
    EXPECT_EQ(up.code, 0) << up.err;
    EXPECT_NE(up.out.find("2/32"), std::string::npos) << up.out;
    Result down = cli({"tee", "quota", "web-1", "--shm-pages", "8"});
    EXPECT_EQ(down.code, 5) << down.err;
    EXPECT_NE(down.err.find("reason: TEE_QUOTA_BELOW_USAGE\n"), std::string::npos) << down.err;
    EXPECT_NE(down.err.find("shm_pages_in_use: 40"), std::string::npos) << down.err;
    Result none = cli({"tee", "quota", "web-1"});
    EXPECT_EQ(none.code, 2) << "nothing to change is a usage error";
    Result bad = cli({"tee", "quota", "web-1", "--sessions", "129"});
    EXPECT_EQ(bad.code, 2) << bad.err;
}

TEST_F(Wardenctl, TeeGetAndCaps) {
    Result get = cli({"tee", "get", "web-1", "-o", "json"});
    EXPECT_EQ(get.code, 0) << get.err;
    EXPECT_EQ(get.out, read_golden("tee_get.json"));
    Result caps = cli({"tee", "caps"});
    EXPECT_EQ(caps.code, 0) << caps.err;
    EXPECT_EQ(caps.out, read_golden("tee_caps.txt"));
}

TEST_F(Wardenctl, CreateFromOptions) {
    Result r = cli({"guest", "create", "--name", "web-2", "--kernel", "images/web.bin", "--memory",
                    "64M", "--vcpus", "2", "--tee", "optee", "--tee-method", "hvc", "--bootargs",
                    "console=hvc0", "--start"});
    EXPECT_EQ(r.code, 0) << r.err;
    expect_golden("guest_create.txt", r.out);
    v1::CreateGuestRequest req = daemon_.last_create();
    ASSERT_TRUE(req.has_spec());
    EXPECT_EQ(req.spec().name(), "web-2");
    EXPECT_EQ(req.spec().kernel(), (std::filesystem::current_path() / "images/web.bin").string());
    EXPECT_EQ(req.spec().memory_bytes(), 64ull << 20);
    EXPECT_EQ(req.spec().vcpus(), 2u);
    EXPECT_EQ(req.spec().tee(), v1::TEE_TYPE_OPTEE);
    EXPECT_EQ(req.spec().tee_method(), v1::TEE_METHOD_HVC);
    EXPECT_EQ(req.spec().bootargs(), "console=hvc0");
    EXPECT_TRUE(req.start());
    EXPECT_FALSE(req.validate_only());
}

TEST_F(Wardenctl, CreateLeavesUnsetOptionsToTheDaemon) {
    Result r = cli({"guest", "create", "--name", "x", "--kernel", "/k"});
    EXPECT_EQ(r.code, 0) << r.err;
    v1::CreateGuestRequest req = daemon_.last_create();
    EXPECT_EQ(req.spec().memory_bytes(), 0u);
    EXPECT_EQ(req.spec().vcpus(), 0u);
    EXPECT_EQ(req.spec().tee(), v1::TEE_TYPE_UNSPECIFIED);
    EXPECT_EQ(req.spec().tee_method(), v1::TEE_METHOD_UNSPECIFIED);
    EXPECT_FALSE(req.start());
}

TEST_F(Wardenctl, CreateFromConfigSendsItsTextWithTheKernelResolved) {
    char dir[] = "/tmp/wardenctl-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string file = std::string(dir) + "/web.toml";
    std::ofstream(file) << "name = \"web-3\"\n# comment\nkernel = \"web.bin\"\ntee = \"optee\"\n";
    Result r = cli({"guest", "create", "--config", file, "--validate-only"});
    std::filesystem::remove_all(dir);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("; nothing was created (--validate-only)\n"), std::string::npos) << r.out;
    v1::CreateGuestRequest req = daemon_.last_create();
    EXPECT_EQ(req.config_toml(), "name = \"web-3\"\n# comment\nkernel = \"" + std::string(dir) +
                                     "/web.bin\"\ntee = \"optee\"\n");
    EXPECT_TRUE(req.validate_only());
}

TEST_F(Wardenctl, CreateOfAnExistingNameIsExitFour) {
    Result r = cli({"guest", "create", "--name", "web-1", "--kernel", "/k"});
    EXPECT_EQ(r.code, 4);
    EXPECT_NE(r.err.find("reason: GUEST_ALREADY_EXISTS"), std::string::npos);
}

TEST_F(Wardenctl, StartStopDestroy) {
    Result start = cli({"guest", "start", "db"});
    EXPECT_EQ(start.code, 0) << start.err;
    EXPECT_NE(start.out.find("\ndb    2   running"), std::string::npos) << start.out;
    Result stop = cli({"guest", "stop", "web-1", "-o", "json"});
    EXPECT_EQ(stop.code, 0) << stop.err;
    EXPECT_EQ(nlohmann::json::parse(stop.out)["state"], "stopped");
    Result destroy = cli({"guest", "destroy", "db"});
    EXPECT_EQ(destroy.code, 0) << destroy.err;
    EXPECT_EQ(destroy.out, "destroyed db\n");
}

// --attach with a pipe for input: every byte reaches the guest though it takes
// five at a time, and the output comes back.
TEST_F(Wardenctl, ConsoleAttachSendsEverythingAndPrintsTheReply) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::string line = "echo attached-$((6*7))\n";
    ASSERT_EQ(::write(fds[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
    ::close(fds[1]);
    RunOptions o;
    o.input_fd = fds[0];
    Result r = run_cli({"--socket", daemon_.socket(), "guest", "console", "web-1", "--attach",
                        "--until", "6*7))\n", "--wait", "20"},
                       o);
    ::close(fds[0]);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(daemon_.typed(), line);
    EXPECT_GE(daemon_.console_writes(), 5u) << "resent until the guest took it all";
    EXPECT_NE(r.out.find(line), std::string::npos) << r.out;
}

// Ctrl-] ends the session: what came before it is sent, nothing after.
TEST_F(Wardenctl, ConsoleAttachDetachesAtCtrlRightBracket) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::string keys = std::string("ls\n") + kDetach + "rm -rf /\n";
    ASSERT_EQ(::write(fds[1], keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
    RunOptions o;
    o.input_fd = fds[0];
    Result r = run_cli({"--socket", daemon_.socket(), "guest", "console", "web-1", "--attach"}, o);
    ::close(fds[1]);
    ::close(fds[0]);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(daemon_.typed(), "ls\n");
}

TEST_F(Wardenctl, DestroyMissing) {
    EXPECT_EQ(cli({"guest", "destroy", "ghost"}).code, 3);
    Result r = cli({"guest", "destroy", "ghost", "--allow-missing"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "ghost: no such guest; nothing to destroy\n");
}

TEST_F(Wardenctl, Health) {
    Result up = cli({"health"});
    EXPECT_EQ(up.code, 0) << up.err;
    EXPECT_EQ(up.out, "serving\n");
    daemon_.set_serving(false);
    Result down = cli({"health", "-o", "json"});
    EXPECT_EQ(down.code, 7);
    EXPECT_EQ(down.out, "{\n  \"status\": \"not_serving\"\n}\n");
}

TEST_F(Wardenctl, TimeoutIsUnavailable) {
    Result r = cli({"--timeout", "0.2", "guest", "stop", "slow"});
    EXPECT_EQ(r.code, 7);
    EXPECT_NE(r.err.find("code: DEADLINE_EXCEEDED\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("within 0.2 s"), std::string::npos) << r.err;
}

TEST_F(Wardenctl, CompletionScript) {
    Result r = run_cli({"completion", "bash"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("complete -F _wardenctl wardenctl"), std::string::npos);
    char path[] = "/tmp/wardenctl-completion-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << r.out;
    EXPECT_EQ(std::system(("bash -n " + std::string(path)).c_str()), 0) << "bash rejects it";
    std::filesystem::remove(path);
}

// ---- without a daemon ----

TEST(WardenctlAlone, NoDaemonIsUnavailableAndNamesTheSocket) {
    std::ostringstream out, err;
    const std::string socket = "/tmp/wardenctl-test-nothing-here.sock";
    int code = run({"--socket", socket, "guest", "list"}, out, err, {});
    EXPECT_EQ(code, 7);
    EXPECT_EQ(out.str(), "");
    EXPECT_NE(err.str().find("hint: " + socket + " does not exist"), std::string::npos)
        << err.str();
}

TEST(WardenctlAlone, NoDaemonAsJson) {
    std::ostringstream out, err;
    int code =
        run({"--socket", "/tmp/wardenctl-test-nothing-here.sock", "-o", "json", "tee", "caps"}, out,
            err, {});
    EXPECT_EQ(code, 7);
    auto j = nlohmann::json::parse(err.str());
    EXPECT_EQ(j["error"]["status"], "UNAVAILABLE");
    EXPECT_EQ(j["error"]["exit_code"], 7);
}

struct UsageCase {
    std::vector<std::string> args;
    std::string says;
};

TEST(WardenctlAlone, UsageErrorsAreExitTwo) {
    const UsageCase cases[] = {
        {{}, "subcommand is required"},
        {{"guest"}, "subcommand is required"},
        {{"frobnicate"}, "unknown command \"frobnicate\""},
        {{"guest", "frobnicate"}, "unknown command \"frobnicate\""},
        {{"guest", "list", "--bogus"}, "--bogus"},
        {{"guest", "get"}, "name is required"},
        {{"guest", "create"}, "--config FILE, or --name and --kernel"},
        {{"guest", "create", "--name", "x"}, "--config FILE, or --name and --kernel"},
        {{"guest", "create", "--config", "/etc/hostname", "--name", "x"}, "excludes"},
        {{"guest", "create", "--config", "/nonexistent/web.toml"}, "does not exist"},
        {{"guest", "create", "--name", "x", "--kernel", "/k", "--tee", "sgx"}, "sgx"},
        {{"tee", "enable", "web-1", "--method", "svc"}, "svc"},
        {{"-o", "yaml", "guest", "list"}, "yaml"},
        {{"--timeout", "-1", "guest", "list"}, "timeout"},
        {{"completion", "zsh"}, "zsh"},
    };
    for (const UsageCase& c : cases) {
        std::ostringstream out, err;
        EXPECT_EQ(run(c.args, out, err, {}), 2) << ::testing::PrintToString(c.args);
        EXPECT_NE(err.str().find(c.says), std::string::npos)
            << ::testing::PrintToString(c.args) << ": " << err.str();
        EXPECT_EQ(out.str(), "");
    }
}

TEST(WardenctlAlone, UsageErrorPointsAtTheHelpOfThatCommand) {
    std::ostringstream out, err;
    EXPECT_EQ(run({"guest", "get"}, out, err, {}), 2);
    EXPECT_EQ(err.str(), "error: name is required (see `wardenctl guest get --help`)\n");
}

TEST(WardenctlAlone, MalformedMemoryIsAUsageErrorAndNothingIsSent) {
    std::ostringstream out, err;
    int code = run({"--socket", "/tmp/wardenctl-test-nothing-here.sock", "guest", "create",
                    "--name", "x", "--kernel", "/k", "--memory", "12Q"},
                   out, err, {});
    EXPECT_EQ(code, 2);
    EXPECT_EQ(err.str(), "error: --memory: \"12Q\" is not a size such as 64M or 1G\n");
}

TEST(WardenctlAlone, UsageErrorAsJsonWhenAskedFor) {
    std::ostringstream out, err;
    EXPECT_EQ(run({"-o", "json", "guest", "get"}, out, err, {}), 2);
    auto j = nlohmann::json::parse(err.str());
    EXPECT_EQ(j["error"]["exit_code"], 2);
    EXPECT_NE(j["error"]["message"].get<std::string>().find("name is required"), std::string::npos);
}

TEST(WardenctlAlone, HelpEverywhereExitsZero) {
    const std::vector<std::vector<std::string>> cases = {{"--help"},
                                                         {"guest", "--help"},
                                                         {"guest", "create", "--help"},
                                                         {"tee", "--help"},
                                                         {"tee", "watch", "-h"},
                                                         {"health", "--help"},
                                                         {"guest", "destroy", "--help"}};
    for (const auto& args : cases) {
        std::ostringstream out, err;
        EXPECT_EQ(run(args, out, err, {}), 0) << ::testing::PrintToString(args);
        EXPECT_NE(out.str().find("Examples:"), std::string::npos)
            << ::testing::PrintToString(args) << out.str();
    }
    std::ostringstream out, err;
    run({"--help"}, out, err, {});
    EXPECT_NE(out.str().find("Exit codes:"), std::string::npos);
    EXPECT_NE(out.str().find("/run/warden/wardend.sock"), std::string::npos);
}

TEST(WardenctlAlone, HelpShowsTheSocketFromTheEnvironmentAsTheDefault) {
    std::ostringstream out, err;
    RunOptions options;
    options.env_socket = "/tmp/elsewhere.sock";
    run({"--help"}, out, err, options);
    EXPECT_NE(out.str().find("/tmp/elsewhere.sock"), std::string::npos) << out.str();
}

// ---- tee watch, interrupted the way main() would: from another thread ----

class ManualInterrupt final : public Interrupt {
public:
    void arm(std::function<void()> f) override {
        std::lock_guard lock(mu_);
        on_ = std::move(f);
        ++armed_;
    }
    void disarm() override {
        std::lock_guard lock(mu_);
        on_ = nullptr;
    }
    void fire() {
        std::lock_guard lock(mu_);
        if (on_) on_();
    }
    int armed() {
        std::lock_guard lock(mu_);
        return armed_;
    }

private:
    std::mutex mu_;
    std::function<void()> on_;
    int armed_ = 0;
};

// A stream that calls back on every flush: wardenctl flushes after each event,
// so the test can interrupt exactly when the last one is out.
class FlushHook : public std::stringbuf {
public:
    explicit FlushHook(std::function<void(const std::string&)> f) : on_flush_(std::move(f)) {}

protected:
    int sync() override {
        on_flush_(str());
        return 0;
    }

private:
    std::function<void(const std::string&)> on_flush_;
};

Result watch(const std::string& socket, const std::string& format, const std::string& last) {
    ManualInterrupt interrupt;
    FlushHook buf([&](const std::string& so_far) {
        if (so_far.find(last) != std::string::npos) interrupt.fire();
    });
    std::ostream out(&buf);
    std::ostringstream err;
    RunOptions options;
    options.interrupt = &interrupt;
    int code = run({"--socket", socket, "-o", format, "tee", "watch"}, out, err, options);
    EXPECT_EQ(interrupt.armed(), 1);
    return {code, buf.str(), err.str()};
}

TEST_F(Wardenctl, WatchPrintsTheSnapshotThenChangesAndCtrlCEndsItCleanly) {
    Result r = watch(daemon_.socket(), "table", "guest_removed");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, read_golden("watch.txt"));
}

TEST_F(Wardenctl, WatchAsJsonLines) {
    Result r = watch(daemon_.socket(), "json", "guest_removed");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, read_golden("watch.jsonl"));
}

TEST(WardenctlAlone, WatchWithoutADaemonIsUnavailable) {
    Result r = watch("/tmp/wardenctl-test-nothing-here.sock", "table", "never");
    EXPECT_EQ(r.code, 7);
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace warden::cli

namespace warden::cli {
namespace {

TEST_F(Wardenctl, ExplicitZeroVcpusIsAUsageError) {
    Result r = cli({"guest", "create", "--name", "z", "--kernel", "/k", "--vcpus", "0"});
    EXPECT_EQ(r.code, 2) << "0 on the wire would mean the default: refused before sending";
    EXPECT_NE(r.err.find("--vcpus"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace warden::cli
