// SPDX-License-Identifier: Apache-2.0
// Guest images are read with the caller's rights (caller_file.h). The cases that
// take another identity need root; the others run anywhere.
#include "caller_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace warden::wardend {
namespace {

namespace fs = std::filesystem;

class CallerFileTest : public ::testing::Test {
protected:
    fs::path dir;
    void SetUp() override {
        char tmpl[] = "/tmp/warden-caller-file-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        ::chmod(dir.c_str(), 0755);
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string file(const char* name, const std::string& content, mode_t mode) {
        std::string p = (dir / name).string();
        std::ofstream(p) << content;
        ::chmod(p.c_str(), mode);
        return p;
    }
    static constexpr PeerCreds kNobody{0, 65534, 65534};
};

TEST_F(CallerFileTest, TheDaemonItselfReadsRegularFilesOnly) {
    auto ok = read_as_caller(std::nullopt, file("image", "ARM", 0600), 1 << 20);
    EXPECT_EQ(ok.err, 0);
    EXPECT_EQ(std::string(ok.bytes.begin(), ok.bytes.end()), "ARM");
    EXPECT_EQ(read_as_caller(std::nullopt, (dir / "missing").string(), 1 << 20).reason,
              "no such file");
    EXPECT_EQ(read_as_caller(std::nullopt, dir.string(), 1 << 20).reason, "not a regular file");
    EXPECT_EQ(read_as_caller(std::nullopt, "/dev/zero", 1 << 20).reason, "not a regular file");
    std::string fifo = (dir / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
    EXPECT_EQ(read_as_caller(std::nullopt, fifo, 1 << 20).reason, "not a regular file")
        << "refused, not waited on";
    EXPECT_EQ(read_as_caller(std::nullopt, file("empty", "", 0644), 1 << 20).err, EFBIG);
    EXPECT_EQ(
        read_as_caller(std::nullopt, file("big", std::string(2 << 20, 'x'), 0644), 1 << 20).err,
        EFBIG);
    auto checked = read_as_caller(std::nullopt, file("image2", "ARM", 0600), 1 << 20, false);
    EXPECT_EQ(checked.err, 0);
    EXPECT_TRUE(checked.bytes.empty()) << "validation reads nothing";
}

TEST_F(CallerFileTest, AnotherCallerGetsItsOwnRights) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
    auto readable = read_as_caller(kNobody, file("public", "ARM\x64", 0644), 1 << 20);
    EXPECT_EQ(readable.err, 0);
    EXPECT_EQ(readable.bytes.size(), 4u);
    auto secret = read_as_caller(kNobody, file("secret", "root only", 0600), 1 << 20);
    EXPECT_EQ(secret.err, EACCES);
    EXPECT_EQ(secret.reason, "permission denied");
    EXPECT_TRUE(secret.bytes.empty());
    EXPECT_EQ(read_as_caller(kNobody, "/etc/shadow", 1 << 20).err, EACCES);
    // Under a directory the caller cannot search, existing and missing look alike.
    fs::create_directory(dir / "private");
    ::chmod((dir / "private").c_str(), 0700);
    std::ofstream((dir / "private" / "there").string()) << "x";
    auto there = read_as_caller(kNobody, (dir / "private" / "there").string(), 1 << 20, false);
    auto missing = read_as_caller(kNobody, (dir / "private" / "gone").string(), 1 << 20, false);
    EXPECT_EQ(there.err, EACCES);
    EXPECT_EQ(missing.err, there.err);
    EXPECT_EQ(missing.reason, there.reason);
}

}  // namespace
}  // namespace warden::wardend
