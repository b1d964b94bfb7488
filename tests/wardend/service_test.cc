// SPDX-License-Identifier: Apache-2.0
// wardend's services over an in-process gRPC channel, with the real hypervisor
// core (CoreTransport) behind them: every error mapping, idempotency,
// validation, Watch, restart recovery and concurrent exhaustion.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <functional>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core_transport.h"
#include "daemon.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "notify.h"
#include "server.h"
#include "service.h"

namespace warden::wardend {
namespace {

namespace fs = std::filesystem;
using toolstack::testing::CoreTransport;
using toolstack::testing::CoreTransportConfig;

fs::path make_kernel() {
    fs::path p = fs::temp_directory_path() / ("warden-svc-kernel-" + std::to_string(::getpid()));
    std::vector<char> k(8192, 0);
    uint64_t size = k.size();
    std::memcpy(k.data() + 16, &size, 8);
    std::memcpy(k.data() + 0x38, "ARM\x64", 4);
    std::ofstream(p, std::ios::binary).write(k.data(), static_cast<long>(k.size()));
    return p;
}

struct Decoded {
    grpc::StatusCode code;
    std::string reason;
    std::map<std::string, std::string> metadata;
    std::string field;
};

Decoded decode(const grpc::Status& s) {
    Decoded d{s.error_code(), "", {}, ""};
    google::rpc::Status st;
    if (!st.ParseFromString(s.error_details())) return d;
    for (const auto& any : st.details()) {
        google::rpc::ErrorInfo info;
        google::rpc::BadRequest br;
        if (any.UnpackTo(&info)) {
            d.reason = info.reason();
            d.metadata.insert(info.metadata().begin(), info.metadata().end());
        } else if (any.UnpackTo(&br) && br.field_violations_size()) {
            d.field = br.field_violations(0).field();
        }
    }
    return d;
}

class ServiceTest : public ::testing::Test {
protected:
    fs::path kernel = make_kernel();
    std::shared_ptr<CoreTransport> core;
    std::unique_ptr<Daemon> daemon;
    PeerRegistry peers;
    std::unique_ptr<ServiceContext> ctx;
    std::unique_ptr<GuestsService> guests_svc;
    std::unique_ptr<TeeService> tee_svc;
    std::unique_ptr<EventsService> events_svc;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::Guests::Stub> guests;
    std::unique_ptr<v1::Tee::Stub> tee;
    std::unique_ptr<v1::Events::Stub> events;

    void SetUp() override { start(CoreTransportConfig{}); }
    void TearDown() override {
        if (server) server->Shutdown();
        fs::remove(kernel);
    }

    void start(const CoreTransportConfig& cfg, std::shared_ptr<CoreTransport> reuse = nullptr) {
        if (server) server->Shutdown();
        server.reset();
        daemon.reset();
        if (!reuse) core.reset();  // one fake machine at a time
        core = reuse ? reuse : std::make_shared<CoreTransport>(cfg);
        daemon = std::make_unique<Daemon>(core);
        ASSERT_TRUE(daemon->recover().ok());
        ctx = std::make_unique<ServiceContext>(ServiceContext{*daemon, peers, {}, true, nullptr});
        guests_svc = std::make_unique<GuestsService>(*ctx);
        tee_svc = std::make_unique<TeeService>(*ctx);
        events_svc = std::make_unique<EventsService>(*ctx);
        grpc::ServerBuilder b;
        b.RegisterService(guests_svc.get());
        b.RegisterService(tee_svc.get());
        b.RegisterService(events_svc.get());
        server = b.BuildAndStart();
        auto ch = server->InProcessChannel(grpc::ChannelArguments());
        guests = v1::Guests::NewStub(ch);
        tee = v1::Tee::NewStub(ch);
        events = v1::Events::NewStub(ch);
    }

    v1::CreateGuestRequest spec(const std::string& name, bool with_tee = true) {
        v1::CreateGuestRequest r;
        r.mutable_spec()->set_name(name);
        r.mutable_spec()->set_kernel(kernel.string());
        r.mutable_spec()->set_memory_bytes(4ull << 20);
        if (with_tee) r.mutable_spec()->set_tee(v1::TEE_TYPE_OPTEE);
        return r;
    }
    grpc::Status create(const v1::CreateGuestRequest& r, v1::Guest* out = nullptr) {
        grpc::ClientContext c;
        v1::Guest g;
        return guests->CreateGuest(&c, r, out ? out : &g);
    }
    grpc::Status enable(const std::string& name, v1::TeeMethod m = v1::TEE_METHOD_SMC,
                        v1::GuestTee* out = nullptr) {
        grpc::ClientContext c;
        v1::EnableTeeRequest r;
        r.set_guest(name);
        r.set_method(m);
        v1::GuestTee t;
        return tee->EnableTee(&c, r, out ? out : &t);
    }
    int guest_count() {
        grpc::ClientContext c;
        v1::ListGuestsResponse l;
        EXPECT_TRUE(guests->ListGuests(&c, {}, &l).ok());
        return l.guests_size();
    }
};

TEST_F(ServiceTest, CreateWithTeeAndQuery) {
    v1::Guest g;
    auto st = create(spec("web"), &g);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(g.state(), v1::GUEST_STATE_CREATED);
    EXPECT_EQ(g.tee().state(), v1::TEE_STATE_ENABLED);
    EXPECT_EQ(g.tee().client_id(), g.domain_id() + 1);
    grpc::ClientContext c;
    v1::GetTeeRequest gt;
    gt.set_guest("web");
    v1::GuestTee t;
    ASSERT_TRUE(tee->GetTee(&c, gt, &t).ok());
    EXPECT_EQ(t.type(), v1::TEE_TYPE_OPTEE);
    EXPECT_EQ(t.quotas().tee_sessions(), 16u);
    grpc::ClientContext c2;
    v1::StartGuestRequest s;
    s.set_name("web");
    ASSERT_TRUE(guests->StartGuest(&c2, s, &g).ok());
    grpc::ClientContext c3;
    v1::TeeCapabilities caps;
    ASSERT_TRUE(tee->GetCapabilities(&c3, {}, &caps).ok());
    EXPECT_EQ(caps.type(), v1::TEE_TYPE_OPTEE);
    EXPECT_EQ(caps.os_revision(), "4.10");
    EXPECT_EQ(caps.guests_in_use(), 1u);
    EXPECT_FALSE(caps.guest_limit_known());
}

TEST_F(ServiceTest, ExhaustionIsResourceExhaustedWithReasonAndMetadata) {
    ASSERT_TRUE(create(spec("a")).ok());
    ASSERT_TRUE(create(spec("b")).ok());
    auto st = create(spec("c"));
    auto d = decode(st);
    EXPECT_EQ(d.code, grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(d.reason, "TEE_CLIENT_IDS_EXHAUSTED");
    EXPECT_EQ(d.metadata["guest"], "c");
    EXPECT_EQ(d.metadata["limit"], "2");
    EXPECT_EQ(d.metadata["in_use"], "2");
    EXPECT_EQ(st.error_message(),
              "enable TEE for \"c\": the TEE has no room for another guest (2 of 2 client IDs "
              "in use)");
    EXPECT_EQ(guest_count(), 2) << "the failed guest was rolled back";

    // A guest created without TEE and enabled later hits the same wall.
    ASSERT_TRUE(create(spec("d", false)).ok());
    d = decode(enable("d"));
    EXPECT_EQ(d.code, grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(d.reason, "TEE_CLIENT_IDS_EXHAUSTED");
    // Destroying one frees a slot.
    grpc::ClientContext c;
    v1::DestroyGuestRequest dr;
    dr.set_name("a");
    v1::DestroyGuestResponse resp;
    ASSERT_TRUE(guests->DestroyGuest(&c, dr, &resp).ok());
    EXPECT_TRUE(enable("d").ok());
}

TEST_F(ServiceTest, AnInitrdIsReadAsTheCallerAndLoadedBelowTheDeviceTree) {
    fs::path rd = kernel;
    rd += ".initrd";
    std::string bytes(70000, 'r');
    std::ofstream(rd, std::ios::binary) << bytes;
    auto r = spec("rd", false);
    r.mutable_spec()->set_initrd(rd.string());
    v1::Guest g;
    auto st = create(r, &g);
    fs::remove(rd);
    ASSERT_TRUE(st.ok()) << st.error_message();
    Domain* d = core->domain(static_cast<uint16_t>(g.domain_id()));
    ASSERT_NE(d, nullptr);
    const uint64_t at = toolstack::initrd_address(4ull << 20, bytes.size());
    std::string loaded(bytes.size(), '\0');
    ASSERT_TRUE(d->copy_from_guest(loaded.data(), Ipa(at), loaded.size()));
    EXPECT_EQ(loaded, bytes);
    auto again = create(r);  // the same spec again: the same guest, not an error
    EXPECT_TRUE(again.ok()) << again.error_message();
    EXPECT_EQ(guest_count(), 1);
}

TEST_F(ServiceTest, ValidationNamesTheField) {
    auto d = decode(create(spec("Bad_Name")));
    EXPECT_EQ(d.code, grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(d.reason, "INVALID_FIELD");
    EXPECT_EQ(d.field, "spec.name");
    auto r = spec("m");
    r.mutable_spec()->set_memory_bytes(3ull << 20);
    d = decode(create(r));
    EXPECT_EQ(d.field, "spec.memory");
    r = spec("k");
    r.mutable_spec()->set_kernel("relative/path.bin");
    d = decode(create(r));
    EXPECT_EQ(d.field, "kernel");
    r = spec("missing");
    r.mutable_spec()->set_kernel("/nonexistent/kernel.bin");
    EXPECT_EQ(decode(create(r)).field, "kernel");
    r = spec("rd");
    r.mutable_spec()->set_initrd("relative/initrd.gz");
    EXPECT_EQ(decode(create(r)).field, "initrd");
    r.mutable_spec()->set_initrd("/nonexistent/initrd.gz");
    d = decode(create(r));
    EXPECT_EQ(d.field, "initrd");
    EXPECT_EQ(d.metadata["path"], "/nonexistent/initrd.gz");
    r.mutable_spec()->set_initrd(std::string("/tmp/x\0y", 8));
    EXPECT_EQ(decode(create(r)).field, "spec.initrd") << "a NUL byte";
    v1::CreateGuestRequest empty;
    EXPECT_EQ(decode(create(empty)).field, "source");
    v1::CreateGuestRequest toml;
    toml.set_config_toml("name = \"t\"\nkernel = \"" + kernel.string() + "\"\nvcpus = 9\n");
    d = decode(create(toml));
    EXPECT_EQ(d.code, grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(d.field, "config_toml");
    EXPECT_NE(d.metadata["field"], "");
    EXPECT_EQ(guest_count(), 0);
}

// Every field as documented: nothing coerced, nothing cut short.
TEST_F(ServiceTest, BadFieldsAreRefusedNamingTheField) {
    struct Case {
        const char* what;
        std::function<void(v1::CreateGuestRequest&)> mutate;
        const char* field;
    };
    const std::string nul_kernel = kernel.string() + std::string("\0.evil", 6);
    const Case cases[] = {
        {"undefined TEE type",
         [](auto& r) { r.mutable_spec()->set_tee(static_cast<v1::TeeType>(7)); }, "spec.tee"},
        {"undefined method",
         [](auto& r) { r.mutable_spec()->set_tee_method(static_cast<v1::TeeMethod>(9)); },
         "spec.tee_method"},
        {"NUL in the kernel path", [&](auto& r) { r.mutable_spec()->set_kernel(nul_kernel); },
         "spec.kernel"},
        {"NUL in bootargs", [](auto& r) { r.mutable_spec()->set_bootargs(std::string("a\0b", 3)); },
         "spec.bootargs"},
        {"NUL in the name", [](auto& r) { r.mutable_spec()->set_name(std::string("ok\0x", 4)); },
         "spec.name"},
        {"name ending in '-'", [](auto& r) { r.mutable_spec()->set_name("web-"); }, "spec.name"},
        {"name with a capital", [](auto& r) { r.mutable_spec()->set_name("Web"); }, "spec.name"},
        {"32-character name", [](auto& r) { r.mutable_spec()->set_name(std::string(32, 'a')); },
         "spec.name"},
    };
    for (const auto& c : cases) {
        auto r = spec("good");
        c.mutate(r);
        auto d = decode(create(r));
        EXPECT_EQ(d.code, grpc::StatusCode::INVALID_ARGUMENT) << c.what;
        EXPECT_EQ(d.field, c.field) << c.what;
    }
    EXPECT_EQ(guest_count(), 0);

    ASSERT_TRUE(create(spec("g", false)).ok());
    grpc::ClientContext c1;
    v1::EnableTeeRequest e;
    e.set_guest("g");
    e.set_type(static_cast<v1::TeeType>(99));
    v1::GuestTee t;
    auto d = decode(tee->EnableTee(&c1, e, &t));
    EXPECT_EQ(d.code, grpc::StatusCode::INVALID_ARGUMENT) << "type 99 is not OP-TEE";
    EXPECT_EQ(d.field, "type");
    grpc::ClientContext ctx2;
    e.set_type(v1::TEE_TYPE_OPTEE);
    e.set_method(static_cast<v1::TeeMethod>(9));
    d = decode(tee->EnableTee(&ctx2, e, &t));
    EXPECT_EQ(d.field, "method");
}

TEST_F(ServiceTest, ValidateOnlyChangesNothing) {
    auto r = spec("dry");
    r.set_validate_only(true);
    v1::Guest g;
    ASSERT_TRUE(create(r, &g).ok());
    EXPECT_EQ(g.name(), "dry");
    EXPECT_EQ(guest_count(), 0);
    EXPECT_EQ(core->optee().partitions(), 0u);
}

TEST_F(ServiceTest, IdempotencyAndConflicts) {
    ASSERT_TRUE(create(spec("x", false)).ok());
    v1::GuestTee t1, t2;
    ASSERT_TRUE(enable("x", v1::TEE_METHOD_HVC, &t1).ok());
    ASSERT_TRUE(enable("x", v1::TEE_METHOD_HVC, &t2).ok()) << "same settings: success";
    EXPECT_EQ(t1.client_id(), t2.client_id());
    EXPECT_EQ(core->optee().partitions(), 1u);
    auto d = decode(enable("x", v1::TEE_METHOD_SMC));
    EXPECT_EQ(d.code, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(d.reason, "TEE_SETTINGS_CONFLICT");
    EXPECT_EQ(decode(create(spec("x"))).code, grpc::StatusCode::ALREADY_EXISTS);

    grpc::ClientContext c;
    v1::DestroyGuestRequest dr;
    dr.set_name("ghost");
    v1::DestroyGuestResponse resp;
    EXPECT_EQ(decode(guests->DestroyGuest(&c, dr, &resp)).reason, "GUEST_NOT_FOUND");
    grpc::ClientContext c2;
    dr.set_allow_missing(true);
    EXPECT_TRUE(guests->DestroyGuest(&c2, dr, &resp).ok());

    grpc::ClientContext c3;
    v1::DisableTeeRequest dis;
    dis.set_guest("x");
    ASSERT_TRUE(tee->DisableTee(&c3, dis, &t1).ok());
    EXPECT_EQ(t1.state(), v1::TEE_STATE_DISABLED);
    grpc::ClientContext c4;
    EXPECT_TRUE(tee->DisableTee(&c4, dis, &t1).ok()) << "disabling again succeeds";
    EXPECT_EQ(core->optee().partitions(), 0u);
}

// A client that gave up waiting retries: the same spec gets the guest that was
// made, not ALREADY_EXISTS; anything different still conflicts.
TEST_F(ServiceTest, RetryingACreateWithTheSameSpecIsSafe) {
    v1::Guest first, again;
    ASSERT_TRUE(create(spec("r"), &first).ok());
    auto retry = create(spec("r"), &again);
    ASSERT_TRUE(retry.ok()) << retry.error_message();
    EXPECT_EQ(again.domain_id(), first.domain_id());
    EXPECT_EQ(core->optee().partitions(), 1u) << "nothing was made twice";
    EXPECT_EQ(guest_count(), 1);
    auto other = spec("r");
    other.mutable_spec()->set_memory_bytes(8ull << 20);
    EXPECT_EQ(decode(create(other)).code, grpc::StatusCode::ALREADY_EXISTS);
    auto started = spec("r");
    started.set_start(true);
    v1::Guest now;
    ASSERT_TRUE(create(started, &now).ok()) << "the retry may also start it";
    EXPECT_EQ(now.domain_id(), first.domain_id());
}

TEST_F(ServiceTest, StartedGuestCannotChangeItsTee) {
    ASSERT_TRUE(create(spec("s", false)).ok());
    core->domain(1)->mark_running();  // as if the guest had been scheduled
    auto d = decode(enable("s"));
    EXPECT_EQ(d.code, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(d.reason, "GUEST_ALREADY_STARTED");
}

TEST_F(ServiceTest, NotFoundAndBadNames) {
    grpc::ClientContext c;
    v1::GetGuestRequest r;
    r.set_name("nobody");
    v1::Guest g;
    auto d = decode(guests->GetGuest(&c, r, &g));
    EXPECT_EQ(d.code, grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(d.reason, "GUEST_NOT_FOUND");
    EXPECT_EQ(d.metadata["guest"], "nobody");
    grpc::ClientContext c2;
    r.set_name(std::string(5000, 'x'));
    EXPECT_EQ(decode(guests->GetGuest(&c2, r, &g)).code, grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, PlatformWithoutTee) {
    start(CoreTransportConfig{0});
    ASSERT_TRUE(create(spec("n", false)).ok());
    auto d = decode(enable("n"));
    EXPECT_EQ(d.code, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(d.reason, "TEE_UNAVAILABLE");
    grpc::ClientContext c;
    v1::TeeCapabilities caps;
    ASSERT_TRUE(tee->GetCapabilities(&c, {}, &caps).ok());
    EXPECT_EQ(caps.type(), v1::TEE_TYPE_NONE);
}

TEST_F(ServiceTest, PlatformDownIsUnavailable) {
    ASSERT_TRUE(create(spec("u", false)).ok());
    core->inject = [](uint32_t) -> std::optional<toolstack::Result<int64_t>> {
        return toolstack::Result<int64_t>(
            toolstack::Error(toolstack::ErrorKind::Unavailable, "platform down: QEMU exited"));
    };
    EXPECT_FALSE(daemon->poll()) << "wardend's poller notices";
    grpc::ClientContext c;
    v1::ListGuestsResponse l;
    auto d = decode(guests->ListGuests(&c, {}, &l));
    EXPECT_EQ(d.code, grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(d.reason, "PLATFORM_UNAVAILABLE");
    grpc::ClientContext c2;
    v1::Guest g;
    EXPECT_EQ(decode(guests->StartGuest(
                         &c2,
                         [] {
                             v1::StartGuestRequest r;
                             r.set_name("u");
                             return r;
                         }(),
                         &g))
                  .code,
              grpc::StatusCode::UNAVAILABLE)
        << "changes go to the platform and fail there too";
    core->inject = nullptr;
    EXPECT_TRUE(daemon->poll());
    grpc::ClientContext c3;
    EXPECT_TRUE(guests->ListGuests(&c3, {}, &l).ok()) << "and reads come back with it";
}

TEST_F(ServiceTest, RestartRecoversGuestsAndTeeState) {
    ASSERT_TRUE(create(spec("keep", false)).ok());
    ASSERT_TRUE(enable("keep", v1::TEE_METHOD_HVC).ok());
    ASSERT_TRUE(create(spec("plain", false)).ok());
    start({}, core);  // a new daemon over the same hypervisor
    EXPECT_EQ(guest_count(), 2);
    grpc::ClientContext c;
    v1::GetTeeRequest r;
    r.set_guest("keep");
    v1::GuestTee t;
    ASSERT_TRUE(tee->GetTee(&c, r, &t).ok());
    EXPECT_EQ(t.state(), v1::TEE_STATE_ENABLED);
    EXPECT_EQ(t.method(), v1::TEE_METHOD_HVC);
    EXPECT_EQ(t.client_id(), 2u);
}

TEST_F(ServiceTest, ConcurrentEnablesLetExactlyTheAvailableNumberSucceed) {
    constexpr int kGuests = 14;  // the hypervisor's domain table holds 16
    for (int i = 0; i < kGuests; ++i)
        ASSERT_TRUE(create(spec("g" + std::to_string(i), false)).ok());
    std::atomic<int> ok{0}, exhausted{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&, i] {
            auto st = enable("g" + std::to_string(i % kGuests));
            if (st.ok()) {
                ++ok;
            } else if (decode(st).reason == "TEE_CLIENT_IDS_EXHAUSTED") {
                ++exhausted;
            } else {
                ++other;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(core->optee().partitions(), 2u);
    int enabled = 0;
    for (int i = 0; i < kGuests; ++i) {
        grpc::ClientContext c;
        v1::GetTeeRequest r;
        r.set_guest("g" + std::to_string(i));
        v1::GuestTee t;
        ASSERT_TRUE(tee->GetTee(&c, r, &t).ok());
        enabled += t.state() == v1::TEE_STATE_ENABLED;
    }
    EXPECT_EQ(enabled, 2);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(ok + exhausted, 50);
}

TEST_F(ServiceTest, QuotasReachTheHypervisorAndCanChangeWithinUse) {
    auto req = spec("web");
    req.mutable_spec()->mutable_quotas()->set_tee_sessions(4);
    req.mutable_spec()->mutable_quotas()->set_tee_shm_pages(64);
    v1::Guest g;
    ASSERT_TRUE(create(req, &g).ok());
    Domain* d = core->domain(static_cast<uint16_t>(g.domain_id()));
    EXPECT_EQ(d->tee().quotas.sessions, 4u) << "the hypervisor enforces what was asked";
    EXPECT_EQ(d->tee().quotas.shm_pages, 64u);
    EXPECT_EQ(g.tee().quotas().tee_sessions(), 4u);
    EXPECT_EQ(g.tee().in_use().tee_sessions(), 0u);

    auto set = [&](uint32_t sessions, uint32_t pages, v1::GuestTee* out) {
        grpc::ClientContext c;
        v1::SetTeeQuotasRequest r;
        r.set_guest("web");
        r.mutable_quotas()->set_tee_sessions(sessions);
        r.mutable_quotas()->set_tee_shm_pages(pages);
        return tee->SetTeeQuotas(&c, r, out);
    };
    v1::GuestTee t;
    ASSERT_TRUE(set(8, 0, &t).ok());
    EXPECT_EQ(t.quotas().tee_sessions(), 8u);
    EXPECT_EQ(t.quotas().tee_shm_pages(), 64u) << "0 keeps the current value";
    EXPECT_EQ(d->tee().quotas.sessions, 8u);

    // The guest holds 5 sessions and 50 pages (the mediator's counts).
    d->tee().in_use = {5, 50};
    auto st = set(4, 0, &t);
    auto e = decode(st);
    EXPECT_EQ(e.code, grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(e.reason, "TEE_QUOTA_BELOW_USAGE");
    EXPECT_EQ(e.metadata["sessions_in_use"], "5");
    EXPECT_EQ(e.metadata["shm_pages_in_use"], "50");
    EXPECT_EQ(d->tee().quotas.sessions, 8u) << "nothing changed";
    ASSERT_TRUE(set(5, 50, &t).ok());
    EXPECT_EQ(t.in_use().tee_sessions(), 5u);
    d->tee().in_use = {};

    EXPECT_EQ(decode(set(129, 0, &t)).reason, "INVALID_FIELD");
    EXPECT_EQ(decode(set(129, 0, &t)).field, "quotas.tee_sessions");

    // A restarted daemon reads the quotas back from the hypervisor.
    start({}, core);
    grpc::ClientContext c;
    v1::GetTeeRequest gr;
    gr.set_guest("web");
    ASSERT_TRUE(tee->GetTee(&c, gr, &t).ok());
    EXPECT_EQ(t.quotas().tee_sessions(), 5u);
    EXPECT_EQ(t.quotas().tee_shm_pages(), 50u);
}

TEST_F(ServiceTest, ReadsFollowWritesAndCountersAreCurrent) {
    auto req = spec("web");
    req.set_start(true);
    v1::Guest g;
    ASSERT_TRUE(create(req, &g).ok());
    // Started, not scheduled yet (nothing runs guests here): that is running.
    EXPECT_EQ(g.state(), v1::GUEST_STATE_RUNNING);
    {
        grpc::ClientContext c;
        v1::GetGuestRequest r;
        r.set_name("web");
        v1::Guest now;
        ASSERT_TRUE(guests->GetGuest(&c, r, &now).ok());
        EXPECT_EQ(now.state(), v1::GUEST_STATE_RUNNING);
    }
    // The guest makes TEE calls; no poll runs in this test, so only a read that
    // goes to the hypervisor can see them.
    auto& counters = core->domain(static_cast<uint16_t>(g.domain_id()))->tee();
    counters.calls_forwarded = 6;
    counters.calls_refused = 4;
    grpc::ClientContext c;
    v1::GetTeeRequest r;
    r.set_guest("web");
    v1::GuestTee t;
    ASSERT_TRUE(tee->GetTee(&c, r, &t).ok());
    EXPECT_EQ(t.calls_forwarded(), 6u);
    EXPECT_EQ(t.calls_refused(), 4u);
    grpc::ClientContext c2;
    v1::ListGuestsResponse l;
    ASSERT_TRUE(guests->ListGuests(&c2, {}, &l).ok());
    ASSERT_EQ(l.guests_size(), 1);
    EXPECT_EQ(l.guests(0).tee().calls_forwarded(), 6u);
}

TEST(WatchChanges, CountersAloneAreNotAChange) {
    v1::Guest a;
    a.set_name("web");
    a.set_state(v1::GUEST_STATE_RUNNING);
    a.mutable_tee()->set_client_id(2);
    v1::Guest b = a;
    b.mutable_tee()->set_calls_forwarded(100);
    b.mutable_tee()->set_calls_refused(3);
    EXPECT_FALSE(worth_an_event(a, b));
    b.set_state(v1::GUEST_STATE_SHUTDOWN);
    EXPECT_TRUE(worth_an_event(a, b));
    b = a;
    b.set_shutdown_reason("poweroff");
    EXPECT_TRUE(worth_an_event(a, b));
    b = a;
    b.mutable_tee()->set_state(v1::TEE_STATE_DISABLED);
    EXPECT_TRUE(worth_an_event(a, b));
    b = a;
    b.set_memory_bytes(1);
    EXPECT_TRUE(worth_an_event(a, b)) << "every other field counts, not a chosen few";
}

TEST_F(ServiceTest, WatchSendsSnapshotThenChanges) {
    ASSERT_TRUE(create(spec("before", false)).ok());
    grpc::ClientContext c;
    auto reader = events->Watch(&c, {});
    v1::Event e;
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::Event::KIND_SNAPSHOT);
    EXPECT_EQ(e.guest().name(), "before");
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::Event::KIND_SNAPSHOT_DONE);
    ASSERT_TRUE(create(spec("after", false)).ok());
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::Event::KIND_GUEST_CHANGED);
    EXPECT_EQ(e.guest().name(), "after");
    ASSERT_TRUE(enable("after").ok());
    ASSERT_TRUE(reader->Read(&e));
    EXPECT_EQ(e.kind(), v1::Event::KIND_TEE_CHANGED);
    EXPECT_EQ(e.guest().tee().state(), v1::TEE_STATE_ENABLED);
    c.TryCancel();
}

TEST_F(ServiceTest, ConsoleReadsFollowPositions) {
    ASSERT_TRUE(create(spec("talk", false)).ok());
    core->domain(1)->console_put("booted\n", 7);
    grpc::ClientContext c;
    v1::GetGuestConsoleRequest r;
    r.set_name("talk");
    v1::GuestConsole out;
    ASSERT_TRUE(guests->GetGuestConsole(&c, r, &out).ok());
    EXPECT_EQ(out.data(), "booted\n");
    EXPECT_EQ(out.next(), 7u);
    grpc::ClientContext c2;
    r.set_from(out.next());
    ASSERT_TRUE(guests->GetGuestConsole(&c2, r, &out).ok());
    EXPECT_EQ(out.data(), "");
}

TEST_F(ServiceTest, ConsoleInputReachesTheGuestsUartWithinItsBounds) {
    ASSERT_TRUE(create(spec("talk", false)).ok());
    auto write = [&](const std::string& name, const std::string& data,
                     v1::WriteGuestConsoleResponse* out) {
        grpc::ClientContext c;
        v1::WriteGuestConsoleRequest r;
        r.set_name(name);
        r.set_data(data);
        return guests->WriteGuestConsole(&c, r, out);
    };
    v1::WriteGuestConsoleResponse out;
    ASSERT_TRUE(write("talk", "ls\n", &out).ok());
    EXPECT_EQ(out.accepted(), 3u);
    EXPECT_EQ(core->domain(1)->uart().rx_count, 3u);
    ASSERT_TRUE(write("talk", std::string(256, 'x'), &out).ok());
    EXPECT_EQ(out.accepted(), 253u) << "what the 256-byte buffer had room for";
    ASSERT_TRUE(write("talk", "y", &out).ok());
    EXPECT_EQ(out.accepted(), 0u) << "full: the caller sends it again later";
    EXPECT_EQ(decode(write("talk", "", &out)).field, "data");
    EXPECT_EQ(decode(write("talk", std::string(257, 'x'), &out)).field, "data");
    EXPECT_EQ(write("nobody", "x", &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, UnknownCallersAreDeniedChangesWhenNotTrusted) {
    ctx->trust_unknown_peers = false;
    auto d = decode(create(spec("denied")));
    EXPECT_EQ(d.code, grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(guest_count(), 0) << "reads still work";
}

}  // namespace
}  // namespace warden::wardend

namespace warden::wardend {
namespace {

// The real socket path: credentials come from SO_PEERCRED. A child process that
// dropped to an unprivileged user may read but not change anything.
TEST(ServerAuthz, UnprivilegedUsersMayReadButNotChange) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create an unprivileged caller";
    auto core = std::make_shared<CoreTransport>();
    Daemon daemon(core);
    ASSERT_TRUE(daemon.recover().ok());
    PeerRegistry peers;
    ServiceContext ctx{daemon, peers, {}, false, nullptr};
    GuestsService guests(ctx);
    TeeService tee(ctx);
    EventsService events(ctx);
    // The caller needs a wardenctl and a socket it can reach wherever the checkout
    // is (a clone under /root is mode 0700): both go into a private directory it
    // may enter, so what is tested is authorisation and not the checkout's place.
    char tmpl[] = "/tmp/warden-authz-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{dir};
    ::chmod(dir.c_str(), 0755);
    static std::string bin = (dir / "wardenctl").string();
    std::filesystem::copy_file(WARDENCTL_BINARY, bin);
    ::chmod(bin.c_str(), 0755);
    ServerOptions so;
    so.socket_path = (dir / "wardend.sock").string();
    auto server = UnixServer::start(so, {&guests, &tee, &events}, peers);
    ASSERT_TRUE(server.ok()) << server.error().message();
    ::chmod(so.socket_path.c_str(), 0666);  // let the unprivileged child connect at all

    // gRPC is not fork-safe once it runs threads: the child execs wardenctl.
    auto run_as_nobody = [&](std::vector<std::string> args) {
        pid_t child = ::fork();
        if (child == 0) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(100);
            std::vector<char*> argv;
            static std::string sock_opt = "--socket";
            argv.push_back(bin.data());
            argv.push_back(sock_opt.data());
            argv.push_back(so.socket_path.data());
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            int devnull = ::open("/dev/null", O_WRONLY);
            ::dup2(devnull, 1);
            ::dup2(devnull, 2);
            ::execv(argv[0], argv.data());
            _exit(101);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    EXPECT_EQ(run_as_nobody({"guest", "list"}), 0) << "reads are open to whoever can connect";
    EXPECT_EQ(run_as_nobody({"guest", "destroy", "anything"}), 9) << "exit 9: permission denied";
    EXPECT_EQ(run_as_nobody({"tee", "enable", "anything"}), 9);

    // Root, through the same socket, may change things.
    auto ch = grpc::CreateChannel("unix:" + so.socket_path, grpc::InsecureChannelCredentials());
    auto stub = v1::Guests::NewStub(ch);
    grpc::ClientContext c;
    v1::DestroyGuestRequest d;
    d.set_name("anything");
    d.set_allow_missing(true);
    v1::DestroyGuestResponse resp;
    EXPECT_TRUE(stub->DestroyGuest(&c, d, &resp).ok());
    (*server)->shutdown(std::chrono::milliseconds(500));
    EXPECT_FALSE(std::filesystem::exists(so.socket_path)) << "the socket is removed on shutdown";
}

TEST(ServerAuthz, ALiveDaemonsSocketIsNotTakenOver) {
    auto core = std::make_shared<CoreTransport>();
    Daemon daemon(core);
    PeerRegistry peers;
    ServiceContext ctx{daemon, peers, {}, false, nullptr};
    GuestsService guests(ctx);
    ServerOptions so;
    so.socket_path = "/tmp/warden-live-" + std::to_string(::getpid()) + ".sock";
    auto first = UnixServer::start(so, {&guests}, peers);
    ASSERT_TRUE(first.ok());
    GuestsService guests2(ctx);
    auto second = UnixServer::start(so, {&guests2}, peers);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().reason().find("another wardend is running"), std::string::npos);
    (*first)->shutdown(std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace warden::wardend

namespace warden::wardend {
namespace {

TEST(SystemdNotify, SendsTheStateToNotifySocketAndIsQuietWithoutOne) {
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_TRUE(notify_systemd("READY=1")) << "not under systemd: nothing to do";
    std::string path = "/tmp/warden-notify-" + std::to_string(::getpid());
    ::unlink(path.c_str());
    int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    EXPECT_TRUE(notify_systemd("READY=1\nSTATUS=serving"));
    char buf[64] = {};
    ssize_t n = ::recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "READY=1\nSTATUS=serving");
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd);
    ::unlink(path.c_str());
}

}  // namespace
}  // namespace warden::wardend
