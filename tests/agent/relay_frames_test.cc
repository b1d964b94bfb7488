// SPDX-License-Identifier: Apache-2.0
// The dom0 agent's relay over the real virtio console: starts the platform in
// QEMU (firmware, hypervisor, the agent as dom0, the relay socket), then sends
// good frames, broken frames and garbage, and checks each answer and that the
// agent keeps serving. The agent answers strictly in order, so every check reads
// "the next frame" and an unexpected extra frame fails the following check.
//
// Usage: relay_frames_test --qemu BIN --images DIR --log-dir DIR [--name NAME]
//                          [--icount on]
// Without --icount QEMU runs in real time, so the LOAD throughput it prints is
// wall-clock; host I/O drives the test, so -icount would not make it repeatable.
// QEMU runs with the log directory as its working directory; its console goes to
// NAME.log there, and it is killed when the test ends, whatever happens.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "relay_codec.h"
#include "warden/crc32.h"
#include "warden/domctl.h"
#include "warden/errno.h"
#include "warden/relay.h"

namespace {

namespace abi = warden::abi;
namespace err = warden::abi::err;
namespace fs = std::filesystem;
using warden::toolstack::as_bytes;
using warden::toolstack::encode_frame;
using warden::toolstack::Frame;
using warden::toolstack::FrameReader;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

constexpr auto kBootWait = std::chrono::seconds(40);
constexpr auto kAnswerWait = std::chrono::seconds(10);
constexpr uint64_t kDom0Base = 0x48000000;  // where the test loads the agent
constexpr uint64_t kGuestRamBase = 0x40000000;

int g_failures = 0;

void check(bool ok, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void check(bool ok, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::printf("%s: ", ok ? "ok" : "FAIL");
    std::vprintf(fmt, ap);
    std::printf("\n");
    std::fflush(stdout);
    va_end(ap);
    if (!ok) ++g_failures;
}

// QEMU as a child that cannot outlive the test: killed by the destructor, and
// by the kernel if the test itself dies (PR_SET_PDEATHSIG).
class Qemu {
public:
    bool start(const std::vector<std::string>& args, const fs::path& log) {
        std::vector<char*> argv;
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) return false;
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) _exit(126);
            int in = ::open("/dev/null", O_RDONLY);
            int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (in < 0 || out < 0) _exit(125);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            ::execvp(argv[0], argv.data());
            _exit(127);
        }
        return true;
    }
    // Empty while running; otherwise how it ended.
    std::string ended() {
        if (pid_ <= 0) return "not started";
        if (!exited_) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                exited_ = true;
                status_ = st;
            }
        }
        if (!exited_) return "";
        if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
        return "killed by signal " + std::to_string(WTERMSIG(status_));
    }
    void stop() {
        if (pid_ <= 0 || !ended().empty()) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100 && ended().empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (ended().empty()) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
            exited_ = true;
            status_ = st;
        }
    }
    ~Qemu() { stop(); }

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
};

class Relay {
public:
    explicit Relay(Qemu& qemu) : qemu_(qemu) {}
    ~Relay() {
        if (fd_ >= 0) ::close(fd_);
    }

    // QEMU creates the socket once it is up: retry until then, boundedly.
    bool connect(const std::string& path, Clock::duration wait) {
        auto deadline = Clock::now() + wait;
        while (Clock::now() < deadline && qemu_.ended().empty()) {
            int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
            if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
                fd_ = fd;
                return true;
            }
            if (fd >= 0) ::close(fd);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    void send(const Bytes& bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                check(false, "send to the relay socket: %s", std::strerror(errno));
                return;
            }
            done += static_cast<size_t>(n);
        }
    }

    std::optional<Frame> next(Clock::duration wait = kAnswerWait) {
        auto deadline = Clock::now() + wait;
        for (;;) {
            if (auto f = reader_.next()) return f;
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0 || !qemu_.ended().empty()) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
            if (r < 0 && errno != EINTR) return std::nullopt;
            if (r <= 0) continue;
            uint8_t buf[65536];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n == 0) return std::nullopt;
            if (n > 0) reader_.feed({buf, static_cast<size_t>(n)});
        }
    }

private:
    Qemu& qemu_;
    int fd_ = -1;
    FrameReader reader_;
};

// --- frames ---------------------------------------------------------------------

Bytes frame(uint16_t type, uint32_t seq, const Bytes& payload = {}) {
    return encode_frame(type, seq, payload);
}

template <typename T>
Bytes bytes_of(const T& v) {
    auto s = as_bytes(v);
    return Bytes(s.begin(), s.end());
}

// A frame whose header is re-sealed after `edit` changed it.
template <typename Edit>
Bytes edited_frame(uint16_t type, uint32_t seq, const Bytes& payload, Edit edit) {
    Bytes f = frame(type, seq, payload);
    abi::RelayHeader h;
    std::memcpy(&h, f.data(), sizeof h);
    edit(h);
    h.header_crc = abi::crc32(&h, offsetof(abi::RelayHeader, header_crc));
    std::memcpy(f.data(), &h, sizeof h);
    return f;
}

abi::Domctl create_domctl(const char* name, uint64_t ram) {
    abi::Domctl op = abi::make_domctl(abi::kCreateDomain, 0);
    op.u.create.ram_size = ram;
    op.u.create.vcpus = 1;
    std::snprintf(op.u.create.name, sizeof op.u.create.name, "%s", name);
    return op;
}

Bytes load_payload(uint16_t domid, uint64_t dst, const uint8_t* data, size_t n) {
    abi::RelayLoad l{};
    l.domid = domid;
    l.dst = dst;
    Bytes p = bytes_of(l);
    p.insert(p.end(), data, data + n);
    return p;
}

// --- the checks --------------------------------------------------------------------

class Session {
public:
    explicit Session(Relay& relay) : relay_(relay) {}

    uint32_t seq() { return next_seq_++; }

    // The next frame must be the response to (type, seq); returns its payload.
    std::optional<Frame> expect_response(const char* what, uint16_t type, uint32_t seq,
                                         Clock::duration wait = kAnswerWait) {
        auto f = relay_.next(wait);
        if (!f) {
            check(false, "%s: no answer", what);
            return std::nullopt;
        }
        uint16_t want = static_cast<uint16_t>(type | abi::kRelayResponse);
        if (f->type != want || f->seq != seq) {
            std::string detail;
            if (f->type == abi::kRelayError && f->payload.size() >= sizeof(abi::RelayErrorReply)) {
                abi::RelayErrorReply e;
                std::memcpy(&e, f->payload.data(), sizeof e);
                detail = " (" + warden::toolstack::relay_error_name(e.code) + ")";
            }
            check(false, "%s: got type 0x%x seq %u%s, expected type 0x%x seq %u", what, f->type,
                  f->seq, detail.c_str(), want, seq);
            return std::nullopt;
        }
        return f;
    }

    void expect_error(const char* what, uint32_t seq, uint32_t code, uint32_t bad_type) {
        auto f = relay_.next();
        if (!f) {
            check(false, "%s: no error frame", what);
            return;
        }
        abi::RelayErrorReply e{};
        bool ok = f->type == abi::kRelayError && f->seq == seq && f->payload.size() == sizeof e;
        if (ok) std::memcpy(&e, f->payload.data(), sizeof e);
        check(ok && e.code == code && e.bad_type == bad_type,
              "%s: error frame seq %u code %u (%s) type 0x%x [got type 0x%x seq %u code %u type "
              "0x%x]",
              what, seq, code, warden::toolstack::relay_error_name(code).c_str(), bad_type, f->type,
              f->seq, e.code, e.bad_type);
    }

    std::optional<abi::RelayPingReply> ping(const char* what, Clock::duration wait = kAnswerWait) {
        uint32_t s = seq();
        relay_.send(frame(abi::kRelayPing, s));
        auto f = expect_response(what, abi::kRelayPing, s, wait);
        abi::RelayPingReply r{};
        if (!f || f->payload.size() != sizeof r) {
            if (f) check(false, "%s: ping reply of %zu bytes", what, f->payload.size());
            return std::nullopt;
        }
        std::memcpy(&r, f->payload.data(), sizeof r);
        return r;
    }

    void still_serving(const char* after) {
        std::string what = std::string("PING answered after ") + after;
        check(ping(what.c_str()).has_value(), "%s", what.c_str());
    }

    struct DomctlResult {
        int64_t rc = -9999;
        abi::Domctl op{};
        Frame frame;
    };
    DomctlResult domctl(const char* what, const abi::Domctl& op, std::optional<uint32_t> s = {}) {
        uint32_t n = s ? *s : seq();
        relay_.send(frame(abi::kRelayDomctl, n, bytes_of(op)));
        DomctlResult r;
        auto f = expect_response(what, abi::kRelayDomctl, n);
        if (!f) return r;
        if (f->payload.size() != sizeof(abi::RelayDomctlReply)) {
            check(false, "%s: domctl reply of %zu bytes", what, f->payload.size());
            return r;
        }
        abi::RelayDomctlReply rep;
        std::memcpy(&rep, f->payload.data(), sizeof rep);
        r.rc = rep.rc;
        r.op = rep.op;
        r.frame = *f;
        return r;
    }

    int64_t load(uint16_t domid, uint64_t dst, const uint8_t* data, size_t n,
                 uint32_t reserved1 = 0) {
        Bytes p = load_payload(domid, dst, data, n);
        if (reserved1) std::memcpy(p.data() + 4, &reserved1, 4);
        uint32_t s = seq();
        relay_.send(frame(abi::kRelayLoad, s, p));
        auto f = expect_response("LOAD", abi::kRelayLoad, s);
        abi::RelayStatus st{};
        if (!f || f->payload.size() != sizeof st) return -9999;
        std::memcpy(&st, f->payload.data(), sizeof st);
        return st.rc;
    }

    struct Console {
        int64_t rc = -9999;
        abi::RelayConsoleReply rep{};
        std::string text;
    };
    Console console_read(uint16_t domid, uint64_t from, uint32_t max) {
        abi::RelayConsoleRead q{};
        q.domid = domid;
        q.from = from;
        q.max_bytes = max;
        uint32_t s = seq();
        relay_.send(frame(abi::kRelayConsoleRead, s, bytes_of(q)));
        Console c;
        auto f = expect_response("CONSOLE_READ", abi::kRelayConsoleRead, s);
        if (!f || f->payload.size() < sizeof c.rep) return c;
        std::memcpy(&c.rep, f->payload.data(), sizeof c.rep);
        c.rc = c.rep.rc;
        if (f->payload.size() != sizeof c.rep + c.rep.length) {
            check(false, "CONSOLE_READ: %zu payload bytes for length %u", f->payload.size(),
                  c.rep.length);
            return c;
        }
        c.text.assign(reinterpret_cast<const char*>(f->payload.data()) + sizeof c.rep,
                      c.rep.length);
        return c;
    }

    // Every domain, by listing with kInfoFirstAtOrAfter.
    std::vector<abi::DomctlGetDomainInfo> domains() {
        std::vector<abi::DomctlGetDomainInfo> out;
        for (unsigned next = 0; next < 0x10000;) {
            abi::Domctl op = abi::make_domctl(abi::kGetDomainInfo, static_cast<uint16_t>(next));
            op.u.info.flags = abi::kInfoFirstAtOrAfter;
            auto r = domctl("list domains", op);
            if (r.rc != 0) break;
            out.push_back(r.op.u.info);
            next = r.op.u.info.domid + 1u;
        }
        return out;
    }

    Relay& relay() { return relay_; }

private:
    Relay& relay_;
    uint32_t next_seq_ = 1;
};

unsigned count_named(const std::vector<abi::DomctlGetDomainInfo>& ds, const char* name) {
    unsigned n = 0;
    for (const auto& d : ds) n += std::strncmp(d.name, name, sizeof d.name) == 0;
    return n;
}

void good_requests(Session& s) {
    auto r = s.domctl("GetDomainInfo d0", abi::make_domctl(abi::kGetDomainInfo, 0));
    const auto& i = r.op.u.info;
    check(r.rc == 0 && i.domid == 0 && (i.dom_flags & abi::kDomainPrivileged) &&
              i.ram_base == kDom0Base && i.ram_size == 16u << 20,
          "DOMCTL GetDomainInfo d0: rc %ld, domid %u, flags 0x%x, RAM 0x%lx + %lu MiB", r.rc,
          i.domid, i.dom_flags, i.ram_base, i.ram_size >> 20);

    auto c = s.console_read(0, 0, 4096);
    check(c.rc == 0 && c.text.find("agent: relay on virtio console at 0x") != std::string::npos,
          "CONSOLE_READ d0 shows the agent's banner (rc %ld, %zu bytes)", c.rc, c.text.size());
    c = s.console_read(0, 0, 0xffffffff);
    check(c.rc == 0 && c.rep.length > 0,
          "CONSOLE_READ with max_bytes 0xffffffff is clamped (rc %ld)", c.rc);
    c = s.console_read(77, 0, 100);
    check(c.rc == -err::kSrch && c.rep.length == 0, "CONSOLE_READ of a missing domain: rc %ld",
          c.rc);

    abi::Domctl bad = abi::make_domctl(abi::kGetDomainInfo, 0);
    bad.interface_version = 0x20000;
    r = s.domctl("DOMCTL with a wrong interface version", bad);
    check(r.rc == -err::kInval, "DOMCTL with a wrong interface version: the hypervisor says %ld",
          r.rc);
    abi::Domctl copy = abi::make_domctl(abi::kCopyToDomain, 0);
    copy.u.copy = {kGuestRamBase, kDom0Base, 4096};
    r = s.domctl("raw kCopyToDomain", copy);
    check(r.rc == -err::kInval, "raw kCopyToDomain through DOMCTL is refused: rc %ld", r.rc);
}

void bad_frames(Session& s) {
    Relay& relay = s.relay();
    Bytes garbage(100 * 1024);
    uint32_t x = 12345;
    for (auto& b : garbage) {
        x = x * 1103515245 + 12345;
        b = static_cast<uint8_t>(x >> 16);
        if (b == 'W') b = 'w';  // no magic anywhere
    }
    relay.send(garbage);
    s.still_serving("100 KiB of garbage (no error frame expected)");

    Bytes fake = {'W', 'R', 'D', 'N'};
    fake.resize(40, 0x5a);
    relay.send(fake);
    s.expect_error("a magic followed by junk", 0, abi::kRelayErrBadHeaderCrc, 0);
    s.still_serving("a magic followed by junk");

    uint32_t t = s.seq();
    Bytes truncated =
        frame(abi::kRelayDomctl, t, bytes_of(abi::make_domctl(abi::kGetDomainInfo, 0)));
    truncated.resize(sizeof(abi::RelayHeader) + 10);
    uint32_t v = s.seq();
    Bytes valid = frame(abi::kRelayPing, v);
    truncated.insert(truncated.end(), valid.begin(), valid.end());
    relay.send(truncated);
    s.expect_error("a truncated frame", t, abi::kRelayErrBadLength, abi::kRelayDomctl);
    check(
        s.expect_response("the valid frame after a truncated one", abi::kRelayPing, v).has_value(),
        "the valid frame after a truncated one is served");

    Bytes bad_header = frame(abi::kRelayPing, s.seq());
    bad_header[sizeof(abi::RelayHeader) - 1] ^= 0x40;
    relay.send(bad_header);
    s.expect_error("a bad header CRC", 0, abi::kRelayErrBadHeaderCrc, 0);
    s.still_serving("a bad header CRC");

    uint32_t b = s.seq();
    relay.send(edited_frame(abi::kRelayDomctl, b, bytes_of(create_domctl("never", 2 << 20)),
                            [](abi::RelayHeader& h) { h.payload_crc ^= 1; }));
    s.expect_error("a bad payload CRC", b, abi::kRelayErrBadPayloadCrc, abi::kRelayDomctl);
    s.still_serving("a bad payload CRC");

    uint32_t o = s.seq();
    relay.send(edited_frame(abi::kRelayLoad, o, {},
                            [](abi::RelayHeader& h) { h.length = abi::kRelayMaxPayload + 1; }));
    s.expect_error("an oversized length", o, abi::kRelayErrTooLarge, abi::kRelayLoad);
    s.still_serving("an oversized length");

    for (uint16_t type : {uint16_t{0x55}, uint16_t{abi::kRelayPing | abi::kRelayResponse},
                          uint16_t{abi::kRelayError}}) {
        uint32_t u = s.seq();
        relay.send(frame(type, u));
        char what[64];
        std::snprintf(what, sizeof what, "unknown type 0x%x", type);
        s.expect_error(what, u, abi::kRelayErrUnknownType, type);
    }
    s.still_serving("unknown types");

    uint32_t w = s.seq();
    relay.send(edited_frame(abi::kRelayPing, w, {}, [](abi::RelayHeader& h) { h.version = 2; }));
    s.expect_error("a wrong version", w, abi::kRelayErrBadVersion, abi::kRelayPing);
    s.still_serving("a wrong version");

    struct {
        const char* what;
        uint16_t type;
        size_t length;
    } short_ones[] = {{"a DOMCTL with a short payload", abi::kRelayDomctl, 64},
                      {"a DOMCTL with a long payload", abi::kRelayDomctl, 136},
                      {"a PING with a payload", abi::kRelayPing, 4},
                      {"a LOAD without data", abi::kRelayLoad, sizeof(abi::RelayLoad)},
                      {"a CONSOLE_READ with a short payload", abi::kRelayConsoleRead, 8}};
    for (const auto& c : short_ones) {
        uint32_t n = s.seq();
        relay.send(frame(c.type, n, Bytes(c.length, 0)));
        s.expect_error(c.what, n, abi::kRelayErrBadLength, c.type);
    }
    s.still_serving("payloads of the wrong size");

    check(count_named(s.domains(), "never") == 0, "the request with a bad payload CRC never ran");
    auto c = s.console_read(0, 0, 4096);
    check(c.text.find("agent: seq " + std::to_string(b) + ": bad payload CRC") != std::string::npos,
          "the agent's console names the protocol errors");
}

void retries(Session& s) {
    uint32_t n = s.seq();
    abi::Domctl create = create_domctl("retry", 2 << 20);
    auto first = s.domctl("CreateDomain", create, n);
    auto again = s.domctl("CreateDomain again, same seq", create, n);
    check(first.rc == 0 && again.rc == 0 && first.frame.payload == again.frame.payload,
          "a repeated request gets the identical response (rc %ld, domid %u)", first.rc,
          first.op.u.create.domid);
    // A host that reuses a seq for a different request (a restarted toolstack) must
    // not be answered from the cache.
    abi::Domctl other = create_domctl("retry-other", 2 << 20);
    auto third = s.domctl("CreateDomain, same seq, different payload", other, n);
    auto all = s.domains();
    check(count_named(all, "retry") == 1, "a repeated request is executed once");
    check(third.rc == 0 && count_named(all, "retry-other") == 1,
          "the same seq with a different payload is a new request");
}

void loads(Session& s, const fs::path& images) {
    constexpr uint64_t kRam = 8 << 20;
    auto r = s.domctl("CreateDomain for LOAD", create_domctl("load", kRam));
    uint16_t dom = r.op.u.create.domid;
    check(r.rc == 0, "created d%u with 8 MiB for LOAD", dom);

    constexpr size_t kSize = 4 << 20;
    constexpr size_t kChunk = abi::kRelayMaxPayload - sizeof(abi::RelayLoad);
    Bytes image(kSize);
    for (size_t i = 0; i < kSize; ++i) image[i] = static_cast<uint8_t>(i * 7 + (i >> 12));
    unsigned failed = 0, frames = 0;
    auto t0 = Clock::now();
    for (size_t off = 0; off < kSize; off += kChunk) {
        size_t n = std::min(kChunk, kSize - off);
        failed += s.load(dom, kGuestRamBase + off, image.data() + off, n) != 0;
        ++frames;
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    check(failed == 0, "LOAD of 4 MiB in %u frames: every one rc 0", frames);
    std::printf("info: LOAD throughput %.1f MB/s (4 MiB in %.3f s, %u frames of up to %zu bytes)\n",
                kSize / secs / 1e6, secs, frames, kChunk);

    Bytes page(8192, 0xab);
    int64_t rc = s.load(dom, kGuestRamBase + kRam - 4096, page.data(), page.size());
    check(rc == -err::kFault, "LOAD beyond the domain's RAM: rc %ld", rc);
    rc = s.load(77, kGuestRamBase, page.data(), 16);
    check(rc == -err::kSrch, "LOAD into a missing domain: rc %ld", rc);
    rc = s.load(dom, kGuestRamBase, page.data(), 16, 1);
    check(rc == -err::kInval, "LOAD with a reserved field set: rc %ld", rc);

    // What LOAD wrote must be exactly the image: a test guest loaded this way runs.
    std::ifstream in(images / "tg_hello.bin", std::ios::binary);
    Bytes hello((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    r = s.domctl("CreateDomain for tg_hello", create_domctl("hello", 2 << 20));
    uint16_t h = r.op.u.create.domid;
    bool loaded = !hello.empty() && r.rc == 0;
    for (size_t off = 0; loaded && off < hello.size(); off += kChunk) {
        loaded = s.load(h, kGuestRamBase + off, hello.data() + off,
                        std::min(kChunk, hello.size() - off)) == 0;
    }
    abi::Domctl entry = abi::make_domctl(abi::kSetVcpuEntry, h);
    entry.u.entry.pc = kGuestRamBase;
    entry.u.entry.x0 = kGuestRamBase + (2 << 20) - 4096;  // no device tree there: zeros
    bool started = loaded && s.domctl("SetVcpuEntry", entry).rc == 0 &&
                   s.domctl("Unpause", abi::make_domctl(abi::kUnpause, h)).rc == 0;
    std::string text;
    for (int i = 0; started && i < 100 && text.find("hello: done") == std::string::npos; ++i) {
        text = s.console_read(h, 0, 4096).text;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    check(text.find("hello: done") != std::string::npos,
          "tg_hello.bin (%zu bytes) loaded over the relay runs: \"%s\"", hello.size(),
          text.substr(0, text.find('\n')).c_str());
}

struct Options {
    std::string qemu = "qemu-system-aarch64";
    fs::path images;
    fs::path log_dir;
    std::string name = "relay_bad_frames";
    bool icount = false;
};

std::vector<std::string> qemu_args(const Options& o, const std::string& sock) {
    auto img = [&](const char* f) { return (o.images / f).string(); };
    return {o.qemu,
            "-M",
            "virt,virtualization=on,secure=on,gic-version=2,dtb-randomness=off",
            "-bios",
            img("firmware.bin"),
            "-semihosting-config",
            "enable=on,target=native",
            "-fw_cfg",
            "name=opt/warden/test-mode,string=1",
            "-cpu",
            "cortex-a57",
            "-smp",
            "1",
            "-m",
            "1G",
            "-net",
            "none",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "stdio",
            "-serial",
            "file:" + o.name + ".secure.log",
            "-kernel",
            img("warden.bin"),
            "-global",
            "virtio-mmio.force-legacy=false",
            "-device",
            "virtio-serial-device",
            "-chardev",
            "socket,id=relay,path=" + sock + ",server=on,wait=off",
            "-device",
            "virtconsole,chardev=relay",
            "-device",
            "guest-loader,addr=0x48000000,kernel=" + img("warden-agent.bin") +
                ",bootargs=warden.agent"};
}

int run(const Options& o) {
    for (const char* f : {"firmware.bin", "warden.bin", "warden-agent.bin", "tg_hello.bin"}) {
        if (!fs::exists(o.images / f)) {
            std::printf("FAIL: %s missing (build the images first)\n", (o.images / f).c_str());
            return 1;
        }
    }
    fs::create_directories(o.log_dir);
    // A relative socket path: unix socket paths are short, build directories not.
    if (::chdir(o.log_dir.c_str()) != 0) {
        std::printf("FAIL: cannot enter %s\n", o.log_dir.c_str());
        return 1;
    }
    std::string sock = o.name + ".sock";
    fs::remove(sock);
    fs::path log = o.log_dir / (o.name + ".log");
    auto args = qemu_args(o, sock);
    if (o.icount) args.insert(args.end(), {"-icount", "shift=4,sleep=off"});
    {
        std::ofstream cmd(o.name + ".cmd");
        for (const auto& a : args) cmd << a << ' ';
        cmd << '\n';
    }

    Qemu qemu;
    if (!qemu.start(args, log)) {
        std::printf("FAIL: cannot start %s\n", o.qemu.c_str());
        return 1;
    }
    Relay relay(qemu);
    bool up = relay.connect(sock, kBootWait);
    check(up, "connected to the relay socket");
    if (up) {
        Session s(relay);
        auto p = s.ping("first PING", kBootWait);
        check(p && p->agent_version == abi::kRelayVersion && p->hypercall_version == 0x00010000 &&
                  p->max_payload == abi::kRelayMaxPayload,
              "PING: agent version %u, hypercall version 0x%x, max payload %u",
              p ? p->agent_version : 0, p ? p->hypercall_version : 0, p ? p->max_payload : 0);
        if (p) {
            good_requests(s);
            bad_frames(s);
            retries(s);
            loads(s, o.images);
            s.still_serving("everything");
        }
    }
    std::string ended = qemu.ended();
    check(ended.empty(), "QEMU still running at the end%s%s", ended.empty() ? "" : ": ",
          ended.c_str());
    qemu.stop();
    fs::remove(sock);

    std::ifstream in(log);
    std::stringstream console;
    console << in.rdbuf();
    check(console.str().find("PANIC") == std::string::npos &&
              console.str().find("FAIL") == std::string::npos,
          "no panic or failure on the console");
    if (g_failures) {
        std::printf("qemu.%s: %d check(s) failed\n----- console (%s) -----\n%s", o.name.c_str(),
                    g_failures, log.c_str(), console.str().c_str());
        return 1;
    }
    std::printf("qemu.%s: passed (log: %s)\n", o.name.c_str(), log.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--qemu") {
            o.qemu = argv[i + 1];
        } else if (k == "--images") {
            o.images = fs::absolute(argv[i + 1]);
        } else if (k == "--log-dir") {
            o.log_dir = fs::absolute(argv[i + 1]);
        } else if (k == "--name") {
            o.name = argv[i + 1];
        } else if (k == "--icount") {
            o.icount = std::string(argv[i + 1]) == "on";
        } else {
            std::fprintf(stderr, "relay_frames_test: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (o.images.empty() || o.log_dir.empty()) {
        std::fprintf(stderr, "usage: relay_frames_test --qemu BIN --images DIR --log-dir DIR\n");
        return 2;
    }
    return run(o);
}
