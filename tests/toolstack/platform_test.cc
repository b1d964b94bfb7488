// SPDX-License-Identifier: Apache-2.0
// The platform's QEMU command line: what users get and what they can never get.
#include "platform.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace warden::toolstack {
namespace {

namespace fs = std::filesystem;

class PlatformOptionsTest : public ::testing::Test {
protected:
    fs::path dir = fs::temp_directory_path() / ("warden-images-" + std::to_string(::getpid()));
    PlatformOptions opts;
    void SetUp() override {
        fs::create_directories(dir);
        for (const char* f : {"firmware.bin", "warden.bin", "warden-agent.bin"}) {
            std::ofstream(dir / f) << "x";
        }
        opts.images_dir = dir;
        opts.run_dir = dir / "run";
    }
    void TearDown() override { fs::remove_all(dir); }
    static bool contains(const std::vector<std::string>& v, const std::string& needle) {
        return std::any_of(v.begin(), v.end(), [&](const std::string& s) {
            return s.find(needle) != std::string::npos;
        });
    }
};

TEST_F(PlatformOptionsTest, UserPlatformHasNoSemihosting) {
    auto cl = Platform::command_line(opts);
    ASSERT_TRUE(cl.ok()) << cl.error().message();
    EXPECT_FALSE(contains(*cl, "semihosting"));
    EXPECT_FALSE(contains(*cl, "test-mode"));
    EXPECT_TRUE(contains(*cl, "virtualization=on,secure=on"));
    EXPECT_TRUE(contains(*cl, "name=opt/warden/tee-guests,string=2"));
    // Relative: QEMU runs in the run directory, whatever its depth.
    EXPECT_TRUE(contains(*cl, "socket,id=relay,path=relay.sock,server=on,wait=off"));
    EXPECT_TRUE(contains(*cl, "warden-agent.bin"));
}

TEST_F(PlatformOptionsTest, HostFileChannelsAreRefused) {
    for (const char* a : {"-semihosting", "-semihosting-config", "-virtfs", "-fsdev", "-plugin"}) {
        opts.extra_args = {a, "enable=on"};
        auto cl = Platform::command_line(opts);
        ASSERT_FALSE(cl.ok()) << a;
        EXPECT_EQ(cl.error().kind(), ErrorKind::InvalidInput);
        EXPECT_NE(cl.error().reason().find("refused"), std::string::npos);
    }
    opts.extra_args = {"-d", "guest_errors"};
    EXPECT_TRUE(Platform::command_line(opts).ok());
}

TEST_F(PlatformOptionsTest, TestModeAndTeeOptions) {
    opts.test_mode = true;
    opts.no_tee = true;
    auto cl = Platform::command_line(opts);
    ASSERT_TRUE(cl.ok());
    EXPECT_TRUE(contains(*cl, "semihosting"));
    EXPECT_TRUE(contains(*cl, "name=opt/warden/no-tee,string=1"));
    EXPECT_FALSE(contains(*cl, "tee-guests"));
    opts.no_tee = false;
    opts.tee_guests = 0;
    EXPECT_FALSE(Platform::command_line(opts).ok());
    opts.tee_guests = 2;
    opts.memory_mib = 64;
    EXPECT_FALSE(Platform::command_line(opts).ok());
}

TEST_F(PlatformOptionsTest, MissingImagesAreNamed) {
    fs::remove(dir / "warden-agent.bin");
    auto cl = Platform::command_line(opts);
    ASSERT_FALSE(cl.ok());
    EXPECT_NE(cl.error().reason().find("warden-agent.bin"), std::string::npos);
    auto p = Platform::start(opts);
    EXPECT_FALSE(p.ok()) << "nothing is started with a bad configuration";
}

TEST_F(PlatformOptionsTest, QemuThatCannotStartIsReportedNotAwaited) {
    opts.qemu = "/nonexistent/qemu";
    opts.boot_timeout = std::chrono::milliseconds(5000);
    auto start = std::chrono::steady_clock::now();
    auto p = Platform::start(opts);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().kind(), ErrorKind::Unavailable);
    EXPECT_NE(p.error().reason().find("exited with status 127"), std::string::npos)
        << p.error().reason();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

}  // namespace
}  // namespace warden::toolstack
