// SPDX-License-Identifier: Apache-2.0
// The dom0 agent's relay server on the host, over a fake port: how it cuts a byte
// stream into frames however the bytes are split, what it answers to each kind of
// broken input, and what its retry cache does. The QEMU test
// (relay_frames_test.cc) covers the same server over the real virtio console.
#include "relay_server.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "relay_codec.h"
#include "warden/crc32.h"
#include "warden/errno.h"

namespace {

namespace abi = warden::abi;
namespace err = warden::abi::err;
using warden::toolstack::as_bytes;
using warden::toolstack::encode_frame;
using warden::toolstack::Frame;
using warden::toolstack::FrameReader;
using Bytes = std::vector<uint8_t>;

// Domctls act on a fake guest: RAM for kCopyToDomain, a console for kConsoleRead.
class FakePort final : public agent::RelayPort {
public:
    static constexpr uint16_t kGuest = 1;
    static constexpr uint64_t kGuestRam = 0x40000000;

    bool send(const void* frame, size_t len) override {
        const auto* p = static_cast<const uint8_t*>(frame);
        wire.insert(wire.end(), p, p + len);
        return !refuse_sends;
    }
    int64_t domctl(abi::Domctl* op) override {
        calls.push_back(*op);
        if (op->domid != kGuest && op->cmd != abi::kCreateDomain) return -err::kSrch;
        switch (op->cmd) {
        case abi::kCopyToDomain: {
            const auto& c = op->u.copy;
            if (c.dst < kGuestRam || c.dst - kGuestRam > ram.size() ||
                c.size > ram.size() - (c.dst - kGuestRam)) {
                return -err::kFault;
            }
            std::memcpy(ram.data() + (c.dst - kGuestRam), reinterpret_cast<const void*>(c.src),
                        c.size);
            return 0;
        }
        case abi::kConsoleRead: {
            auto& c = op->u.console;
            size_t from = c.from < console.size() ? c.from : console.size();
            size_t n = std::min<size_t>(console.size() - from, c.size);
            std::memcpy(reinterpret_cast<void*>(c.buf), console.data() + from, n);
            c.copied = static_cast<uint32_t>(n);
            c.next = from + n;
            c.lost = 0;
            return 0;
        }
        case abi::kCreateDomain:
            op->u.create.domid = static_cast<uint16_t>(++created);
            return 0;
        case abi::kConsoleInput: {
            auto& c = op->u.input;
            const auto* p = reinterpret_cast<const char*>(c.buf);
            const size_t room = 8 - std::min<size_t>(typed.size(), 8);  // an 8-byte buffer
            const size_t n = std::min<size_t>(room, c.size);
            typed.append(p, n);
            c.accepted = static_cast<uint32_t>(n);
            return 0;
        }
        default:
            return 0;
        }
    }
    uint32_t hypercall_version() override { return 0x00010000; }
    uint64_t now_ms() override { return now; }
    void log(const char* line) override { logs.emplace_back(line); }

    std::vector<Frame> frames() {
        FrameReader r;
        r.feed(wire);
        std::vector<Frame> out;
        while (auto f = r.next()) out.push_back(*f);
        EXPECT_EQ(r.corrupt_frames(), 0u);
        EXPECT_EQ(r.dropped_bytes(), 0u);
        return out;
    }

    Bytes wire;
    std::vector<abi::Domctl> calls;
    std::vector<std::string> logs;
    Bytes ram = Bytes(1 << 20);
    std::string console = "agent: hello\n";
    std::string typed;  // what kConsoleInput delivered
    uint64_t now = 1000;
    unsigned created = 0;
    bool refuse_sends = false;
};

class RelayServerTest : public ::testing::Test {
protected:
    void feed(const Bytes& b, size_t chunk = SIZE_MAX) {
        for (size_t off = 0; off < b.size();) {
            size_t n = std::min(chunk, b.size() - off);
            size_t took = server->feed(b.data() + off, n);
            ASSERT_GT(took, 0u);
            off += took;
        }
    }
    static Bytes cat(std::initializer_list<Bytes> parts) {
        Bytes out;
        for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
        return out;
    }
    static Bytes ping(uint32_t seq) { return encode_frame(abi::kRelayPing, seq, {}); }
    static abi::Domctl domctl_op(uint32_t cmd, uint16_t domid = FakePort::kGuest) {
        abi::Domctl op;
        std::memset(&op, 0, sizeof op);
        op.cmd = cmd;
        op.interface_version = abi::kDomctlInterfaceVersion;
        op.domid = domid;
        return op;
    }
    static Bytes domctl(uint32_t seq, const abi::Domctl& op) {
        return encode_frame(abi::kRelayDomctl, seq, as_bytes(op));
    }
    static Bytes load(uint32_t seq, uint64_t dst, const Bytes& data) {
        abi::RelayLoad l{};
        l.domid = FakePort::kGuest;
        l.dst = dst;
        Bytes p(reinterpret_cast<const uint8_t*>(&l), reinterpret_cast<const uint8_t*>(&l + 1));
        p.insert(p.end(), data.begin(), data.end());
        return encode_frame(abi::kRelayLoad, seq, p);
    }
    static void expect_error(const Frame& f, uint32_t seq, uint32_t code, uint32_t type) {
        EXPECT_EQ(f.type, abi::kRelayError);
        EXPECT_EQ(f.seq, seq);
        abi::RelayErrorReply e{};
        ASSERT_EQ(f.payload.size(), sizeof e);
        std::memcpy(&e, f.payload.data(), sizeof e);
        EXPECT_EQ(e.code, code);
        EXPECT_EQ(e.bad_type, type);
    }
    static void expect_response(const Frame& f, uint16_t type, uint32_t seq) {
        EXPECT_EQ(f.type, type | abi::kRelayResponse);
        EXPECT_EQ(f.seq, seq);
    }
    static int64_t rc_of(const Frame& f) {
        int64_t rc = 0;
        EXPECT_GE(f.payload.size(), sizeof rc);
        std::memcpy(&rc, f.payload.data(), sizeof rc);
        return rc;
    }

    FakePort port;
    std::unique_ptr<agent::RelayServer> server = std::make_unique<agent::RelayServer>(port);
};

TEST_F(RelayServerTest, PingFedOneByteAtATimeIsAnsweredOnce) {
    feed(ping(7), 1);
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 1u);
    expect_response(fs[0], abi::kRelayPing, 7);
    abi::RelayPingReply r{};
    ASSERT_EQ(fs[0].payload.size(), sizeof r);
    std::memcpy(&r, fs[0].payload.data(), sizeof r);
    EXPECT_EQ(r.agent_version, abi::kRelayVersion);
    EXPECT_EQ(r.hypercall_version, 0x00010000u);
    EXPECT_EQ(r.max_payload, abi::kRelayMaxPayload);
}

TEST_F(RelayServerTest, FramesSplitAnywhereAreServedInOrder) {
    Bytes stream = cat({ping(1), domctl(2, domctl_op(abi::kGetDomainInfo)), ping(3)});
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{23}, size_t{25}, size_t{4096}}) {
        port.wire.clear();
        auto fresh = std::make_unique<agent::RelayServer>(port);
        server.swap(fresh);
        feed(stream, chunk);
        auto fs = port.frames();
        ASSERT_EQ(fs.size(), 3u) << "chunk " << chunk;
        expect_response(fs[0], abi::kRelayPing, 1);
        expect_response(fs[1], abi::kRelayDomctl, 2);
        expect_response(fs[2], abi::kRelayPing, 3);
    }
}

TEST_F(RelayServerTest, GarbageIsSkippedWithOneLineAndNoErrorFrame) {
    Bytes junk(5000, 'x');
    junk[100] = 'W';  // a lone first magic byte is no magic
    junk[101] = 'R';
    feed(cat({junk, Bytes{'W', 'R'}}), 4096);
    Bytes p9 = ping(9);
    feed(cat({Bytes{'D', 'N'}, Bytes(p9.begin() + 4, p9.end())}));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 1u);
    expect_response(fs[0], abi::kRelayPing, 9);
    ASSERT_EQ(port.logs.size(), 1u);
    EXPECT_EQ(port.logs[0], "agent: skipped 5000 byte(s) that were not a frame");
    EXPECT_EQ(server->stats().garbage_bytes, 5000u);
}

TEST_F(RelayServerTest, GarbageWithoutAFrameIsReportedWhenTheLineGoesQuiet) {
    feed(Bytes(300, 0));
    server->idle();
    EXPECT_TRUE(port.logs.empty());
    port.now += agent::RelayServer::kStallMs;
    server->idle();
    ASSERT_EQ(port.logs.size(), 1u);
    EXPECT_EQ(port.logs[0], "agent: skipped 300 byte(s) that were not a frame");
}

TEST_F(RelayServerTest, BadHeaderCrcGetsSeqZeroAndTheNextFrameIsServed) {
    Bytes bad = ping(5);
    bad[20] ^= 1;
    feed(cat({bad, ping(6)}));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 2u);
    expect_error(fs[0], 0, abi::kRelayErrBadHeaderCrc, 0);
    expect_response(fs[1], abi::kRelayPing, 6);
}

TEST_F(RelayServerTest, AGoodFrameInsideABrokenOneIsFound) {
    // The broken frame's payload holds a complete frame: after the error, the
    // bytes behind the broken header are scanned again.
    Bytes inner = ping(11);
    Bytes payload = cat({Bytes(8, 0), inner, Bytes(8, 0)});
    Bytes outer = encode_frame(abi::kRelayLoad, 10, payload);
    outer[sizeof(abi::RelayHeader) + 2] ^= 0xff;  // payload no longer matches its CRC
    feed(outer);
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 2u);
    expect_error(fs[0], 10, abi::kRelayErrBadPayloadCrc, abi::kRelayLoad);
    expect_response(fs[1], abi::kRelayPing, 11);
    EXPECT_TRUE(port.calls.empty());
}

TEST_F(RelayServerTest, AStalledPayloadIsGivenUpAndWhatFollowsIsServed) {
    Bytes truncated = domctl(20, domctl_op(abi::kGetDomainInfo));
    truncated.resize(sizeof(abi::RelayHeader) + 10);
    feed(cat({truncated, ping(21)}));
    EXPECT_TRUE(port.wire.empty());
    port.now += agent::RelayServer::kStallMs - 1;
    server->idle();
    EXPECT_TRUE(port.wire.empty()) << "gave up too early";
    port.now += 1;
    server->idle();
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 2u);
    expect_error(fs[0], 20, abi::kRelayErrBadLength, abi::kRelayDomctl);
    expect_response(fs[1], abi::kRelayPing, 21);
    EXPECT_TRUE(port.calls.empty());
}

TEST_F(RelayServerTest, BytesArrivingKeepAFrameAlive) {
    Bytes f = load(30, FakePort::kGuestRam, Bytes(1000, 0x42));
    for (size_t off = 0; off < f.size(); off += 100) {
        feed(Bytes(f.begin() + off, f.begin() + std::min(off + 100, f.size())));
        port.now += agent::RelayServer::kStallMs - 1;
        server->idle();
    }
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 1u);
    expect_response(fs[0], abi::kRelayLoad, 30);
    EXPECT_EQ(rc_of(fs[0]), 0);
}

TEST_F(RelayServerTest, HeaderProblemsAreAnsweredWithTheirSeq) {
    auto edited = [](uint16_t type, uint32_t seq, auto edit) {
        Bytes f = encode_frame(type, seq, {});
        abi::RelayHeader h;
        std::memcpy(&h, f.data(), sizeof h);
        edit(h);
        h.header_crc = abi::crc32(&h, offsetof(abi::RelayHeader, header_crc));
        std::memcpy(f.data(), &h, sizeof h);
        return f;
    };
    feed(edited(abi::kRelayPing, 1, [](abi::RelayHeader& h) { h.version = 0; }));
    feed(edited(abi::kRelayLoad, 2,
                [](abi::RelayHeader& h) { h.length = abi::kRelayMaxPayload + 1; }));
    feed(encode_frame(0x1234, 3, {}));
    feed(encode_frame(abi::kRelayDomctl, 4, Bytes(127, 0)));
    feed(encode_frame(abi::kRelayConsoleRead, 5, Bytes(17, 0)));
    feed(ping(6));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 6u);
    expect_error(fs[0], 1, abi::kRelayErrBadVersion, abi::kRelayPing);
    expect_error(fs[1], 2, abi::kRelayErrTooLarge, abi::kRelayLoad);
    expect_error(fs[2], 3, abi::kRelayErrUnknownType, 0x1234);
    expect_error(fs[3], 4, abi::kRelayErrBadLength, abi::kRelayDomctl);
    expect_error(fs[4], 5, abi::kRelayErrBadLength, abi::kRelayConsoleRead);
    expect_response(fs[5], abi::kRelayPing, 6);
    EXPECT_TRUE(port.calls.empty());
    EXPECT_EQ(server->stats().errors, 5u);
}

TEST_F(RelayServerTest, ARepeatedRequestIsAnsweredFromTheCache) {
    Bytes create = domctl(40, domctl_op(abi::kCreateDomain, 0));
    feed(create);
    Bytes bad = ping(41);
    bad[3] = 'X';  // garbage and an error between the attempts do not evict the cache
    feed(cat({bad, Bytes(50, 0), encode_frame(0x99, 42, {})}));
    feed(create);
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 3u);
    EXPECT_EQ(fs[0].payload, fs[2].payload);
    EXPECT_EQ(fs[2].seq, 40u);
    EXPECT_EQ(port.created, 1u);
    EXPECT_EQ(server->stats().retries, 1u);
}

TEST_F(RelayServerTest, OnlyTheSameSeqTypeAndPayloadIsARepeat) {
    abi::Domctl create = domctl_op(abi::kCreateDomain, 0);
    feed(domctl(50, create));
    create.u.create.vcpus = 2;  // same seq, another request (a restarted host)
    feed(domctl(50, create));
    EXPECT_EQ(port.created, 2u);
    feed(domctl(50, create));  // a repeat
    EXPECT_EQ(port.created, 2u);
    feed(ping(50));  // same seq, another type: executed, and now the cached one
    feed(domctl(50, create));
    EXPECT_EQ(port.created, 3u);
    EXPECT_EQ(server->stats().retries, 1u);
}

TEST_F(RelayServerTest, DomctlsTakingAnAgentAddressAreRefused) {
    abi::Domctl copy = domctl_op(abi::kCopyToDomain);
    copy.u.copy = {FakePort::kGuestRam, 0x1000, 16};
    feed(domctl(60, copy));
    feed(domctl(61, domctl_op(abi::kConsoleRead)));
    abi::Domctl input = domctl_op(abi::kConsoleInput);
    input.u.input = {0x1000, 16, 0};  // would hand the agent's own memory to a guest
    feed(domctl(62, input));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 3u);
    EXPECT_EQ(rc_of(fs[0]), -err::kInval);
    EXPECT_EQ(rc_of(fs[1]), -err::kInval);
    EXPECT_EQ(rc_of(fs[2]), -err::kInval);
    EXPECT_TRUE(port.calls.empty());
}

TEST_F(RelayServerTest, LoadCopiesTheFrameDataIntoTheTarget) {
    Bytes data(abi::kRelayMaxPayload - sizeof(abi::RelayLoad));
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
    feed(Bytes(100, 0));  // the frame starts mid-buffer
    feed(load(70, FakePort::kGuestRam + 0x1000, data), 4096);
    feed(load(71, FakePort::kGuestRam + port.ram.size() - 10, Bytes(20, 1)));
    abi::RelayLoad reserved{};
    reserved.domid = FakePort::kGuest;
    reserved.reserved1 = 1;
    Bytes p(reinterpret_cast<uint8_t*>(&reserved), reinterpret_cast<uint8_t*>(&reserved + 1));
    p.push_back(0);
    feed(encode_frame(abi::kRelayLoad, 72, p));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 3u);
    EXPECT_EQ(rc_of(fs[0]), 0);
    EXPECT_EQ(0, std::memcmp(port.ram.data() + 0x1000, data.data(), data.size()));
    EXPECT_EQ(rc_of(fs[1]), -err::kFault);
    EXPECT_EQ(rc_of(fs[2]), -err::kInval);
    ASSERT_EQ(port.calls.size(), 2u);
    EXPECT_EQ(port.calls[0].u.copy.size, data.size());
}

TEST_F(RelayServerTest, ConsoleReadIsClampedToWhatFitsInAFrame) {
    abi::RelayConsoleRead q{};
    q.domid = FakePort::kGuest;
    q.max_bytes = 0xffffffff;
    feed(encode_frame(abi::kRelayConsoleRead, 80, as_bytes(q)));
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 1u);
    abi::RelayConsoleReply rep{};
    ASSERT_GE(fs[0].payload.size(), sizeof rep);
    std::memcpy(&rep, fs[0].payload.data(), sizeof rep);
    EXPECT_EQ(rep.rc, 0);
    EXPECT_EQ(rep.length, port.console.size());
    EXPECT_EQ(rep.next, port.console.size());
    EXPECT_EQ(std::string(fs[0].payload.begin() + sizeof rep, fs[0].payload.end()), port.console);
    ASSERT_EQ(port.calls.size(), 1u);
    EXPECT_EQ(port.calls[0].u.console.size, abi::kRelayMaxPayload - sizeof rep);
}

TEST_F(RelayServerTest, ConsoleInputHandsTheFramesBytesToTheGuestAndSaysHowManyWent) {
    auto input = [&](uint32_t seq, const std::string& text, uint16_t reserved = 0) {
        abi::RelayConsoleInput q{};
        q.domid = FakePort::kGuest;
        q.reserved0 = reserved;
        Bytes payload(sizeof q + text.size());
        std::memcpy(payload.data(), &q, sizeof q);
        std::memcpy(payload.data() + sizeof q, text.data(), text.size());
        feed(encode_frame(abi::kRelayConsoleInput, seq, payload));
        auto fs = port.frames();
        abi::RelayConsoleInputReply rep{};
        if (!fs.empty() && fs.back().payload.size() == sizeof rep) {
            std::memcpy(&rep, fs.back().payload.data(), sizeof rep);
        }
        return std::pair{rep.rc, rep.accepted};
    };
    EXPECT_EQ(input(90, "ls -l\n"), std::pair(int64_t{0}, 6u));
    EXPECT_EQ(input(91, "abcdef"), std::pair(int64_t{0}, 2u)) << "what the guest had room for";
    EXPECT_EQ(port.typed, "ls -l\nab");
    EXPECT_EQ(input(92, "x", 1).first, -err::kInval) << "reserved fields";
    const size_t before = port.calls.size();
    feed(encode_frame(abi::kRelayConsoleInput, 93, Bytes(sizeof(abi::RelayConsoleInput), 0)));
    feed(encode_frame(abi::kRelayConsoleInput, 94,
                      Bytes(sizeof(abi::RelayConsoleInput) + abi::kConsoleInputMax + 1, 0)));
    auto fs = port.frames();
    ASSERT_GE(fs.size(), 2u);
    EXPECT_EQ(fs[fs.size() - 2].type, abi::kRelayError) << "no bytes";
    EXPECT_EQ(fs.back().type, abi::kRelayError) << "more than the guest's buffer";
    EXPECT_EQ(port.calls.size(), before) << "neither reached the hypervisor";
}

TEST_F(RelayServerTest, ManyFullFramesInOneFeedAreAllServed) {
    Bytes stream;
    for (uint32_t s = 1; s <= 5; ++s) {
        Bytes f = load(s, FakePort::kGuestRam,
                       Bytes(abi::kRelayMaxPayload - sizeof(abi::RelayLoad), uint8_t(s)));
        stream.insert(stream.end(), f.begin(), f.end());
    }
    feed(stream);  // more than the buffer holds: feed() takes it in parts
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 5u);
    for (uint32_t s = 1; s <= 5; ++s) expect_response(fs[s - 1], abi::kRelayLoad, s);
}

TEST_F(RelayServerTest, ProtocolErrorLinesAreRateLimited) {
    for (uint32_t s = 1; s <= 100; ++s) feed(encode_frame(0x4444, s, {}));
    EXPECT_EQ(port.frames().size(), 100u);  // every bad frame is still answered
    EXPECT_EQ(port.logs.size(), 8u);
    port.now += 1000;
    server->idle();
    ASSERT_EQ(port.logs.size(), 9u);
    EXPECT_EQ(port.logs.back(), "agent: 92 more protocol error line(s) not shown");
}

TEST_F(RelayServerTest, AFailedSendIsCountedAndServingGoesOn) {
    port.refuse_sends = true;
    feed(ping(1));
    port.refuse_sends = false;
    feed(ping(2));
    EXPECT_EQ(server->stats().send_failures, 1u);
    EXPECT_EQ(port.frames().size(), 2u);
}

TEST_F(RelayServerTest, AResetStreamForgetsAPartialFrameButNotTheCache) {
    Bytes create = domctl(90, domctl_op(abi::kCreateDomain, 0));
    feed(create);
    feed(Bytes(create.begin(), create.begin() + 30));
    server->reset_stream();
    feed(create);
    auto fs = port.frames();
    ASSERT_EQ(fs.size(), 2u);
    EXPECT_EQ(fs[0].payload, fs[1].payload);
    EXPECT_EQ(port.created, 1u);
}

}  // namespace
