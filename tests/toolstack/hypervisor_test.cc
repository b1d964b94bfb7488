// SPDX-License-Identifier: Apache-2.0
// The typed Hypervisor operations and their error messages, over the real core.
#include "hypervisor.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core_transport.h"
#include "relay_codec.h"
#include "warden/crc32.h"
#include "warden/errno.h"
#include "warden/relay_frame.h"

namespace warden::toolstack {
namespace {

using testing::CoreTransport;

TEST(HypervisorOps, LifecycleAndQueries) {
    auto t = std::make_shared<CoreTransport>();
    Hypervisor hv(t);
    auto id = hv.create_domain({"db", 4ull << 20, 1, 7});
    ASSERT_TRUE(id.ok());
    auto info = hv.get_info(*id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->name, "db");
    EXPECT_EQ(info->tool_data, 7u);
    EXPECT_EQ(info->state, DomainState::Paused);
    EXPECT_EQ(info->ram_size, 4ull << 20);

    auto q = hv.tee_query(*id);
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(q->type, TeeType::None);
    ASSERT_TRUE(hv.tee_enable(*id, TeeType::Optee).ok());
    q = hv.tee_query(*id);
    EXPECT_EQ(q->client_id, *id + 1);
    EXPECT_EQ(q->guests_in_use, 1u);

    auto again = hv.tee_enable(*id, TeeType::Optee);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().err(), abi::err::kExist);
    EXPECT_EQ(again.error().message(), "enable TEE of domain 1: TEE already enabled (EEXIST)");

    auto missing = hv.get_info(9);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message(), "get domain info of domain 9: no such domain (ESRCH)");

    auto info_tee = hv.tee_info();
    ASSERT_TRUE(info_tee.ok());
    EXPECT_EQ(info_tee->type, TeeType::Optee);
    EXPECT_EQ(info_tee->os_major, 4u);
    EXPECT_EQ(info_tee->os_minor, 10u);
    EXPECT_EQ(info_tee->guests_in_use, 1u);
    EXPECT_EQ(info_tee->guest_limit, 0u) << "not known until OP-TEE refuses a guest";

    auto unpause = hv.unpause(*id);
    EXPECT_EQ(unpause.error().err(), abi::err::kInval) << "no entry point yet";
    ASSERT_TRUE(hv.destroy(*id).ok());
    EXPECT_EQ(t->optee().partitions(), 0u);
    EXPECT_EQ(hv.list()->size(), 1u);
}

TEST(HypervisorOps, NamesAreCheckedBeforeSending) {
    auto t = std::make_shared<CoreTransport>();
    Hypervisor hv(t);
    EXPECT_EQ(hv.create_domain({"", 2ull << 20, 1, 0}).error().kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(hv.create_domain({std::string(40, 'a'), 2ull << 20, 1, 0}).error().kind(),
              ErrorKind::InvalidInput);
}

TEST(HypervisorOps, ConsoleReadGoesThroughTheRing) {
    auto t = std::make_shared<CoreTransport>();
    Hypervisor hv(t);
    auto id = hv.create_domain({"c", 2ull << 20, 1, 0});
    t->domain(*id)->console_put("line one\n", 9);
    auto c = hv.console_read(*id, 0);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->data, "line one\n");
    EXPECT_EQ(c->next, 9u);
    c = hv.console_read(*id, c->next);
    EXPECT_EQ(c->data, "");
}

TEST(HypervisorOps, ConsoleInputFillsTheGuestsUartAndSaysWhenItIsFull) {
    auto t = std::make_shared<CoreTransport>();
    Hypervisor hv(t);
    auto id = hv.create_domain({"c", 2ull << 20, 1, 0});
    ASSERT_TRUE(id.ok());
    const std::string line = "uname -a\n";
    auto n = hv.console_input(*id, {reinterpret_cast<const uint8_t*>(line.data()), line.size()});
    ASSERT_TRUE(n.ok()) << n.error().message();
    EXPECT_EQ(*n, line.size());
    EXPECT_EQ(t->domain(*id)->uart().rx_count, line.size());
    std::vector<uint8_t> big(abi::kConsoleInputMax, 'x');
    n = hv.console_input(*id, big);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, abi::kConsoleInputMax - line.size()) << "the rest of the buffer";
    n = hv.console_input(*id, big);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 0u) << "full: nothing taken, nothing lost";
    big.push_back('y');
    EXPECT_EQ(hv.console_input(*id, big).error().kind(), ErrorKind::InvalidInput);
    EXPECT_EQ(hv.console_input(*id, {}).error().kind(), ErrorKind::InvalidInput);
    EXPECT_FALSE(hv.console_input(42, {big.data(), 1}).ok()) << "no such domain";
}

TEST(RelayCodec, RoundTripAndResynchronisation) {
    std::vector<uint8_t> payload(100, 7);
    auto f1 = encode_frame(abi::kRelayPing, 1, {});
    auto f2 = encode_frame(abi::kRelayDomctl, 2, payload);
    auto f3 = encode_frame(abi::kRelayLoad, 3, payload);
    f3[30] ^= 1;  // corrupt the payload of the third
    auto f4 = encode_frame(abi::kRelayPing, 4, {});

    FrameReader r;
    std::vector<uint8_t> stream = {'j', 'u', 'n', 'k', 'W', 'R'};
    for (auto* f : {&f1, &f2, &f3, &f4}) stream.insert(stream.end(), f->begin(), f->end());
    // Feed byte by byte: frames split anywhere must still come out whole.
    std::vector<Frame> got;
    for (uint8_t b : stream) {
        r.feed({&b, 1});
        while (auto f = r.next()) got.push_back(*f);
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].seq, 1u);
    EXPECT_EQ(got[1].seq, 2u);
    EXPECT_EQ(got[1].payload, payload);
    EXPECT_EQ(got[2].seq, 4u);
    EXPECT_EQ(r.corrupt_frames(), 1u);
    EXPECT_GE(r.dropped_bytes(), 6u);
}

TEST(RelayCodec, AFrameOfAnotherVersionIsDroppedAndCounted) {
    auto theirs = encode_frame(abi::kRelayPing | abi::kRelayResponse, 1, {});
    abi::RelayHeader h;
    std::memcpy(&h, theirs.data(), sizeof h);
    h.version = abi::kRelayVersion + 1;  // a sound header, of another version
    h.header_crc = abi::crc32(&h, abi::relay::kHeaderCrcBytes);
    std::memcpy(theirs.data(), &h, sizeof h);
    EXPECT_EQ(abi::relay::check_header(h), abi::relay::HeaderVerdict::BadVersion);
    auto ours = encode_frame(abi::kRelayPing | abi::kRelayResponse, 2, {});
    FrameReader r;
    r.feed(theirs);
    r.feed(ours);
    auto f = r.next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->seq, 2u);
    EXPECT_EQ(r.wrong_version_frames(), 1u);
    EXPECT_EQ(r.corrupt_frames(), 0u);
}

TEST(RelayCodec, MagicOffset) {
    const uint8_t m[4] = {'W', 'R', 'D', 'N'};
    std::vector<uint8_t> b = {1, 2, m[0], m[1], m[2], m[3], 9};
    EXPECT_EQ(abi::relay::magic_offset(b.data(), b.size()), 2u);
    std::vector<uint8_t> tail = {1, 2, 3, m[0], m[1]};
    EXPECT_EQ(abi::relay::magic_offset(tail.data(), tail.size()), 3u) << "a prefix may complete";
    std::vector<uint8_t> none = {1, m[0], 3, m[0], m[1], 5};
    EXPECT_EQ(abi::relay::magic_offset(none.data(), none.size()), none.size());
    EXPECT_EQ(abi::relay::magic_offset(nullptr, 0), 0u);
}

TEST(RelayCodec, Crc32KnownValue) {
    // The standard check value of CRC-32/ISO-HDLC.
    EXPECT_EQ(abi::crc32("123456789", 9), 0xCBF43926u);
}

}  // namespace
}  // namespace warden::toolstack

namespace warden::toolstack {
namespace {

TEST(HypervisorOps, AFullDomainTableSaysItsLimitAndTheWayOut) {
    std::string r = domctl_error_reason(abi::kCreateDomain, 0, -abi::err::kNoSpc);
    EXPECT_EQ(r,
              "create domain: the hypervisor's domain table is full (64 domains, the control "
              "domain included): destroy a guest first");
    EXPECT_EQ(r.find("of domain"), std::string::npos) << "a new domain has no number yet";
}

}  // namespace
}  // namespace warden::toolstack
