// SPDX-License-Identifier: Apache-2.0
// The relay transport against a fake agent: retries with the same sequence
// number are never applied twice, silence becomes a bounded Timeout, a dead
// platform becomes Unavailable, error frames become Protocol errors.
#include "relay_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "core_transport.h"
#include "fake_agent.h"

namespace warden::toolstack {
namespace {

using namespace std::chrono_literals;
using testing::CoreTransport;
using testing::FakeAgent;

std::string socket_path() {
    return "/tmp/warden-relay-test-" + std::to_string(::getpid()) + ".sock";
}

class RelayTest : public ::testing::Test {
protected:
    std::shared_ptr<CoreTransport> core = std::make_shared<CoreTransport>();
    std::string path = socket_path();
    FakeAgent agent{path, core};

    std::shared_ptr<RelayTransport> transport(std::chrono::milliseconds timeout = 300ms,
                                              int attempts = 3) {
        RelayOptions o;
        o.socket_path = path;
        o.timeout = timeout;
        o.attempts = attempts;
        return std::make_shared<RelayTransport>(o);
    }
};

TEST_F(RelayTest, RoundTrips) {
    auto t = transport();
    Hypervisor hv(t);
    auto ping = hv.ping();
    ASSERT_TRUE(ping.ok()) << ping.error().message();
    EXPECT_EQ(ping->agent_version, abi::kRelayVersion);
    auto id = hv.create_domain({"r", 2ull << 20, 1, 0});
    ASSERT_TRUE(id.ok()) << id.error().message();
    std::vector<uint8_t> image(200 * 1024, 0x42);  // several frames
    ASSERT_TRUE(hv.load(*id, 0x40000000, image).ok());
    std::vector<uint8_t> back(image.size());
    ASSERT_TRUE(core->domain(*id)->copy_from_guest(back.data(), Ipa(0x40000000), back.size()));
    EXPECT_EQ(back, image);
    auto err = hv.tee_disable(*id);
    EXPECT_EQ(err.error().err(), 2) << "errno travels through the relay";
}

TEST_F(RelayTest, LostResponseIsRetriedAndNotAppliedTwice) {
    auto t = transport();
    Hypervisor hv(t);
    ASSERT_TRUE(hv.ping().ok());
    agent.drop_responses = 1;
    auto id = hv.create_domain({"once", 2ull << 20, 1, 0});
    ASSERT_TRUE(id.ok()) << id.error().message();
    EXPECT_EQ(t->retries(), 1u);
    EXPECT_EQ(agent.deduplicated, 1);
    EXPECT_EQ(hv.list()->size(), 2u) << "dom0 and one new domain, not two";
}

TEST_F(RelayTest, SilenceIsABoundedTimeout) {
    auto t = transport(200ms, 2);
    Hypervisor hv(t);
    agent.stalled = true;
    auto start = std::chrono::steady_clock::now();
    auto r = hv.ping();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Timeout);
    EXPECT_LT(took, 5s) << "bounded: attempts x timeout plus reconnects";
}

TEST_F(RelayTest, DeadPlatformIsUnavailable) {
    RelayOptions o;
    o.socket_path = path;
    o.timeout = 200ms;
    o.platform_down = [] { return std::string("QEMU exited with status 1"); };
    Hypervisor hv(std::make_shared<RelayTransport>(o));
    agent.stalled = true;
    auto r = hv.list();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Unavailable);
    EXPECT_EQ(r.error().reason(), "platform down: QEMU exited with status 1");
}

TEST_F(RelayTest, ErrorFramesBecomeProtocolErrors) {
    auto t = transport();
    Hypervisor hv(t);
    agent.error_code = abi::kRelayErrBadPayloadCrc;
    auto r = hv.ping();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Protocol);
    EXPECT_EQ(r.error().reason(), "the dom0 agent rejected the request: bad payload CRC");
}

TEST_F(RelayTest, AnAgentOfAnotherProtocolVersionIsAProtocolError) {
    auto t = transport(200ms, 3);
    Hypervisor hv(t);
    agent.answer_version = abi::kRelayVersion + 1;
    auto r = hv.ping();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Protocol) << r.error().message();
    EXPECT_NE(r.error().reason().find("another relay protocol version"), std::string::npos);
    EXPECT_EQ(agent.executed, 1) << "no retries: they cannot help";
}

TEST(RelayNoAgent, MissingSocketIsUnavailable) {
    RelayOptions o;
    o.socket_path = "/tmp/warden-no-such-agent.sock";
    o.timeout = 100ms;
    o.attempts = 2;
    Hypervisor hv(std::make_shared<RelayTransport>(o));
    auto r = hv.ping();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Unavailable);
}

}  // namespace
}  // namespace warden::toolstack
