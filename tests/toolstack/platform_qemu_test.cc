// SPDX-License-Identifier: Apache-2.0
// The toolstack library against the real platform in QEMU: the relay, the dom0
// agent, the domctls and the OP-TEE mediator, from the host.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "guest_builder.h"
#include "platform.h"
#include "warden/errno.h"

namespace warden::toolstack {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

PlatformOptions options(const std::string& name, uint32_t tee_guests = 2) {
    PlatformOptions o;
    o.images_dir = WARDEN_IMAGE_DIR;
    o.run_dir = fs::path(WARDEN_RUN_DIR) / name;
    o.tee_guests = tee_guests;
    o.test_mode = true;
    o.boot_timeout = 60s;
    return o;
}

std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

GuestConfig optee_guest(const std::string& name) {
    GuestConfig c;
    c.name = name;
    c.kernel = fs::path(WARDEN_IMAGE_DIR) / "tg_optee_client.bin";
    c.memory = 16ull << 20;
    c.tee = TeeType::Optee;
    c.bootargs = "expect=optee";
    return c;
}

// Polls a guest's console until `needle` shows up (bounded).
std::string wait_console(Hypervisor& hv, uint16_t id, const std::string& needle,
                         std::chrono::seconds limit = 30s) {
    std::string all;
    uint64_t pos = 0;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        auto c = hv.console_read(id, pos);
        if (!c) return all + " [console read failed: " + c.error().message() + "]";
        all += c->data;
        pos = c->next;
        if (all.find(needle) != std::string::npos) return all;
        std::this_thread::sleep_for(50ms);
    }
    return all;
}

TEST(PlatformQemu, BuildGuestFindsOpteeThroughItsDeviceTree) {
    auto p = Platform::start(options("build_guest"));
    ASSERT_TRUE(p.ok()) << p.error().message();
    Hypervisor hv((*p)->transport());
    auto kernel = read_file(fs::path(WARDEN_IMAGE_DIR) / "tg_optee_client.bin");
    ASSERT_FALSE(kernel.empty());
    GuestBuilder b(hv);
    auto id = b.build(optee_guest("web"), kernel);
    ASSERT_TRUE(id.ok()) << id.error().message();
    auto console = wait_console(hv, *id, "optee_client: done");
    EXPECT_NE(console.find("optee: found over smc: OP-TEE 4.10"), std::string::npos) << console;
    EXPECT_NE(console.find("optee_client: done"), std::string::npos) << console;
    auto info = hv.get_info(*id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->name, "web");
    EXPECT_EQ(info->tee, TeeType::Optee);
    auto q = hv.tee_query(*id);
    ASSERT_TRUE(q.ok());
    EXPECT_GT(q->calls_forwarded, 0u) << "the guest's calls reached OP-TEE through the mediator";
}

TEST(PlatformQemu, ConsoleInputReachesTheGuestsUartThroughTheRelay) {
    auto p = Platform::start(options("console_input"));
    ASSERT_TRUE(p.ok()) << p.error().message();
    Hypervisor hv((*p)->transport());
    GuestConfig c;
    c.name = "uart";
    c.kernel = fs::path(WARDEN_IMAGE_DIR) / "tg_uart.bin";
    auto kernel = read_file(c.kernel);
    auto id = GuestBuilder(hv).build(c, kernel);
    ASSERT_TRUE(id.ok()) << id.error().message();
    const std::string line = "typed through the relay\n";
    size_t sent = 0;
    for (int tries = 0; sent < line.size() && tries < 100; ++tries) {
        auto n = hv.console_input(
            *id, {reinterpret_cast<const uint8_t*>(line.data()) + sent, line.size() - sent});
        ASSERT_TRUE(n.ok()) << n.error().message();
        sent += *n;
        if (sent < line.size()) std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(sent, line.size());
    auto console = wait_console(hv, *id, "pl011: echo typed through the relay");
    EXPECT_NE(console.find("uart: read 'typed through the relay' from the console input"),
              std::string::npos)
        << console;
}

TEST(PlatformQemu, ThirdTeeGuestIsExhaustionAndLeavesNoDomain) {
    auto p = Platform::start(options("exhaustion", 2));
    ASSERT_TRUE(p.ok()) << p.error().message();
    Hypervisor hv((*p)->transport());
    auto kernel = read_file(fs::path(WARDEN_IMAGE_DIR) / "tg_optee_client.bin");
    GuestBuilder b(hv);
    ASSERT_TRUE(b.build(optee_guest("a"), kernel).ok());
    auto second = b.build(optee_guest("b"), kernel);
    ASSERT_TRUE(second.ok()) << second.error().message();
    auto before = hv.list();
    ASSERT_TRUE(before.ok());
    auto third = b.build(optee_guest("c"), kernel);
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().kind(), ErrorKind::Hypervisor);
    EXPECT_EQ(third.error().err(), abi::err::kNoSpc);
    // The real hypervisor, through the real relay, wrote back how full the TEE is.
    ASSERT_TRUE(third.error().tee_occupancy().has_value());
    EXPECT_EQ(third.error().tee_occupancy()->limit, 2u);
    EXPECT_EQ(third.error().tee_occupancy()->in_use, 2u);
    EXPECT_EQ(third.error().message(),
              "enable TEE: enable TEE of domain 3: the TEE has no room for another guest (2 of 2 "
              "client IDs in use) (ENOSPC)");
    auto after = hv.list();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->size(), before->size()) << "the failed guest was rolled back";
    // Destroying a guest frees its client ID: the retry succeeds.
    ASSERT_TRUE(hv.destroy(*second).ok());
    auto retry = b.build(optee_guest("c"), kernel);
    ASSERT_TRUE(retry.ok()) << retry.error().message();
    auto console = wait_console(hv, *retry, "optee_client: done");
    EXPECT_NE(console.find("optee: found over smc"), std::string::npos) << console;
}

TEST(PlatformQemu, ANewDaemonTakesOverTheRunningPlatform) {
    auto first = Platform::start(options("adopt"));
    ASSERT_TRUE(first.ok()) << first.error().message();
    pid_t pid = (*first)->pid();
    {
        Hypervisor hv((*first)->transport());
        auto kernel = read_file(fs::path(WARDEN_IMAGE_DIR) / "tg_optee_client.bin");
        GuestBuilder b(hv);
        ASSERT_TRUE(b.build(optee_guest("survivor"), kernel).ok());
    }
    (*first)->detach();  // as if the daemon had been killed
    first->reset();
    auto second = Platform::start(options("adopt"));
    ASSERT_TRUE(second.ok()) << second.error().message();
    EXPECT_TRUE((*second)->adopted());
    EXPECT_EQ((*second)->pid(), pid);
    Hypervisor hv((*second)->transport());
    auto all = hv.list();
    ASSERT_TRUE(all.ok());
    bool found = false;
    for (const auto& d : *all) found = found || (d.name == "survivor" && d.tee == TeeType::Optee);
    EXPECT_TRUE(found) << "the guest and its TEE state survived the daemon";
    (*second)->stop();
    EXPECT_FALSE((*second)->running());
}

TEST(PlatformQemu, QemuStopsOnSigtermEvenWhenTheDaemonBlocksIt) {
    // wardend takes SIGTERM synchronously (blocked in every thread); QEMU must
    // not inherit that, or stopping it would wait for the SIGKILL fallback.
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &old);
    auto p = Platform::start(options("sigterm"));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto start = std::chrono::steady_clock::now();
    (*p)->stop(std::chrono::milliseconds(10000));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    std::ifstream log((*p)->qemu_log());
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("terminating on signal 15"), std::string::npos) << text;
}

TEST(PlatformQemu, CrashOfQemuIsReportedNotHung) {
    auto p = Platform::start(options("crash"));
    ASSERT_TRUE(p.ok()) << p.error().message();
    Hypervisor hv((*p)->transport());
    ASSERT_TRUE(hv.list().ok());
    ASSERT_EQ(::kill((*p)->pid(), SIGKILL), 0);
    auto start = std::chrono::steady_clock::now();
    auto r = hv.list();
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Unavailable);
    EXPECT_NE(r.error().reason().find("killed by signal 9"), std::string::npos)
        << r.error().reason();
    EXPECT_LT(took, 15s);
    EXPECT_FALSE((*p)->running());
}

}  // namespace
}  // namespace warden::toolstack
