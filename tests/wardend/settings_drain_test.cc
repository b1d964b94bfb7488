// SPDX-License-Identifier: Apache-2.0
// wardend's start and stop, apart from main(): how the configuration file and the
// command line combine, and the drain sequence against a real server, daemon and
// Watch stream.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core_transport.h"
#include "daemon.h"
#include "drain.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server.h"
#include "service.h"
#include "settings.h"
#include "warden/v1/warden.grpc.pb.h"

namespace warden::wardend {
namespace {

using toolstack::testing::CoreTransport;

class SettingsTest : public ::testing::Test {
protected:
    std::string path = "/tmp/warden-settings-" + std::to_string(::getpid()) + ".toml";
    void TearDown() override { std::filesystem::remove(path); }
    std::string write(const std::string& text) {
        std::ofstream(path) << text;
        return path;
    }
};

TEST_F(SettingsTest, FileOverDefaultsAndGivenFlagsOverTheFile) {
    Settings flags;
    flags.tee_guests = 3;             // --tee-guests 3
    flags.socket = "/tmp/flag.sock";  // not given: the default was changed by nobody
    write(
        "socket = \"/run/file.sock\"\n"
        "log_level = \"debug\"\n"
        "[platform]\n"
        "tee_guests = 7\n"
        "memory_mib = 2048\n"
        "no_tee = true\n");
    auto s = resolve_settings(flags, {"tee_guests"}, path);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->tee_guests, 3u) << "given on the command line";
    EXPECT_EQ(s->socket, "/run/file.sock") << "not given: the file's";
    EXPECT_EQ(s->log_level, "debug");
    EXPECT_EQ(s->memory_mib, 2048u);
    EXPECT_TRUE(s->no_tee);
    EXPECT_EQ(s->run_dir, Settings{}.run_dir) << "in neither: the default";

    auto none = resolve_settings(flags, {}, "");
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->socket, "/tmp/flag.sock") << "no file: the flags as they are";
}

TEST(Settings, TheShippedExampleIsValid) {
    auto s = resolve_settings({}, {}, WARDEN_SOURCE_DIR "/deploy/examples/wardend.toml");
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->group, "warden");
    EXPECT_EQ(s->tee_guests, 2u);
}

TEST_F(SettingsTest, MistakesNameTheFileLineAndKey) {
    const struct {
        const char* text;
        const char* error;
    } kCases[] = {
        {"sockt = \"/x\"\n", ":1: sockt: unknown key"},
        {"[platform]\ntee_guests = 0\n",
         ":2: platform.tee_guests: expected an integer from 1 to 16"},
        {"[platform]\nmemory_mib = \"1G\"\n", ":2: platform.memory_mib: expected an integer"},
        {"[platform]\nno_tee = 1\n", ":2: platform.no_tee: expected true or false"},
        {"[platform]\nimages = 5\n", ":2: platform.images: expected a string"},
        {"[platform]\nrelay = \"/x\"\n", ":2: platform.relay: unknown key"},
        {"log_level = \"loud\"\n", ":1: log_level: expected trace, debug, info, warn or error"},
        {"platform = 3\n", ":1: platform: expected a table [platform]"},
        {"socket = \"/x\n", ":1: "},
    };
    for (const auto& c : kCases) {
        write(c.text);
        auto s = resolve_settings({}, {}, path);
        ASSERT_FALSE(s.ok()) << c.text;
        EXPECT_NE(s.error().message().find(path + c.error), std::string::npos)
            << c.text << " -> " << s.error().message();
    }
}

// What a drain did, step by step, and what a client saw after each.
class Observed final : public Drainable {
public:
    Observed(ServingDrain& real, const std::string& socket) : real_(real) {
        auto ch = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
        health_ = grpc::health::v1::Health::NewStub(ch);
        guests_ = v1::Guests::NewStub(ch);
    }
    std::vector<std::string> steps;
    grpc::health::v1::HealthCheckResponse::ServingStatus health_after_stop_serving{};
    grpc::Status create_after_stop_serving;

    void notify(const std::string& state) override {
        steps.push_back("notify " + state.substr(0, state.find('\n')));
        real_.notify(state);
    }
    void stop_serving() override {
        steps.push_back("stop_serving");
        real_.stop_serving();
        grpc::ClientContext c;
        grpc::health::v1::HealthCheckResponse r;
        health_->Check(&c, {}, &r);
        health_after_stop_serving = r.status();
        grpc::ClientContext c2;
        v1::CreateGuestRequest req;
        req.mutable_spec()->set_name("late");
        v1::Guest g;
        create_after_stop_serving = guests_->CreateGuest(&c2, req, &g);
    }
    void end_streams() override {
        steps.push_back("end_streams");
        real_.end_streams();
    }
    void stop_poller() override {
        steps.push_back("stop_poller");
        real_.stop_poller();
    }
    void shutdown_server(std::chrono::seconds grace) override {
        steps.push_back("shutdown_server");
        real_.shutdown_server(grace);
    }
    void stop_platform() override {
        steps.push_back("stop_platform");
        real_.stop_platform();
    }

private:
    ServingDrain& real_;
    std::unique_ptr<grpc::health::v1::Health::Stub> health_;
    std::unique_ptr<v1::Guests::Stub> guests_;
};

std::string reason_of(const grpc::Status& st) {
    google::rpc::Status rich;
    if (!rich.ParseFromString(st.error_details())) return "";
    for (const auto& any : rich.details()) {
        google::rpc::ErrorInfo info;
        if (any.UnpackTo(&info)) return info.reason();
    }
    return "";
}

TEST(Drain, RefusesChangesEndsWatchersThenStopsInOrder) {
    auto core = std::make_shared<CoreTransport>();
    Daemon daemon(core);
    ASSERT_TRUE(daemon.recover().ok());
    std::atomic<bool> shutting_down{false};
    PeerRegistry peers;
    ServiceContext ctx{daemon, peers, {}, true, &shutting_down};
    GuestsService guests(ctx);
    TeeService tee(ctx);
    EventsService events(ctx);
    ServerOptions so;
    so.socket_path = "/tmp/warden-drain-" + std::to_string(::getpid()) + ".sock";
    auto server = UnixServer::start(so, {&guests, &tee, &events}, peers);
    ASSERT_TRUE(server.ok()) << server.error().message();
    (*server)->set_serving(true);
    std::atomic<int> polls{0};
    std::thread poller([&] {
        while (!shutting_down) {
            ++polls;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });

    // A watcher, past its snapshot.
    auto ch = grpc::CreateChannel("unix:" + so.socket_path, grpc::InsecureChannelCredentials());
    auto stub = v1::Events::NewStub(ch);
    grpc::ClientContext wc;
    auto reader = stub->Watch(&wc, {});
    v1::Event e;
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::Event::KIND_SNAPSHOT_DONE);

    ServingDrain real(daemon, **server, shutting_down, poller, nullptr);
    Observed seen(real, so.socket_path);
    drain(seen, std::chrono::seconds(2));

    EXPECT_EQ(seen.steps,
              (std::vector<std::string>{"notify STOPPING=1", "stop_serving", "end_streams",
                                        "stop_poller", "shutdown_server", "stop_platform"}));
    EXPECT_EQ(seen.health_after_stop_serving, grpc::health::v1::HealthCheckResponse::NOT_SERVING);
    EXPECT_EQ(seen.create_after_stop_serving.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(reason_of(seen.create_after_stop_serving), "DAEMON_SHUTTING_DOWN");
    while (reader->Read(&e)) {
    }
    grpc::Status end = reader->Finish();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(reason_of(end), "DAEMON_SHUTTING_DOWN") << "a watcher learns why its stream ended";
    EXPECT_FALSE(poller.joinable()) << "the poller was joined";
    EXPECT_GT(polls.load(), 0);
    EXPECT_FALSE(std::filesystem::exists(so.socket_path)) << "the server is down";
}

}  // namespace
}  // namespace warden::wardend
