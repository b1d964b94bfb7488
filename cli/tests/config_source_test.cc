// SPDX-License-Identifier: Apache-2.0
#include "config_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace warden::cli {
namespace {

TEST(ConfigSource, RelativeKernelBecomesAbsoluteAndNothingElseMoves) {
    const std::string text =
        "# web guest\n"
        "name = \"web-1\"\n"
        "kernel   =  \"images/web.bin\"   # next to this file\n"
        "memory = \"64M\"\n";
    ConfigText c = resolve_file_paths(text, "/etc/warden/guests");
    EXPECT_EQ(c.error, "");
    EXPECT_EQ(c.text,
              "# web guest\n"
              "name = \"web-1\"\n"
              "kernel   =  \"/etc/warden/guests/images/web.bin\"   # next to this file\n"
              "memory = \"64M\"\n");
}

TEST(ConfigSource, ARelativeInitrdBecomesAbsoluteToo) {
    ConfigText c =
        resolve_file_paths("kernel = \"k.bin\"\ninitrd = \"rd.gz\" # ramdisk\n", "/etc/g");
    EXPECT_EQ(c.error, "");
    EXPECT_EQ(c.text, "kernel = \"/etc/g/k.bin\"\ninitrd = \"/etc/g/rd.gz\" # ramdisk\n");
    c = resolve_file_paths("kernel = \"/k\"\ninitrd = \"\"\"\nrd\"\"\"\n", "/d");
    EXPECT_NE(c.error.find("initrd: cannot make"), std::string::npos) << c.error;
}

TEST(ConfigSource, DotsAreResolvedAndLiteralStringsWork) {
    ConfigText c = resolve_file_paths("kernel = '../bin/k.bin'\n", "/srv/cfg");
    EXPECT_EQ(c.text, "kernel = \"/srv/bin/k.bin\"\n");
}

TEST(ConfigSource, NonAsciiBeforeTheValueOnItsLine) {
    ConfigText c = resolve_file_paths("bootargs = \"é\"\nkernel=\"ké.bin\" # ü\n", "/d");
    EXPECT_EQ(c.text, "bootargs = \"é\"\nkernel=\"/d/ké.bin\" # ü\n");
}

TEST(ConfigSource, CharactersThatNeedEscapingInTheDirectory) {
    ConfigText c = resolve_file_paths("kernel = \"k\"\n", "/a \"b\"\\c");
    EXPECT_EQ(c.text, "kernel = \"/a \\\"b\\\"\\\\c/k\"\n");
}

TEST(ConfigSource, AbsoluteKernelAndOddFilesGoOutUnchanged) {
    for (const std::string text : {"kernel = \"/boot/k.bin\"\n", "name = \"x\"\n", "kernel = 5\n",
                                   "this is [not toml\n", "", "[quotas]\nkernel = \"q\"\n"}) {
        ConfigText c = resolve_file_paths(text, "/d");
        EXPECT_EQ(c.error, "") << text;
        EXPECT_EQ(c.text, text);
    }
}

TEST(ConfigSource, MultiLineKernelCannotBeRewritten) {
    ConfigText c = resolve_file_paths("kernel = \"\"\"\nk.bin\"\"\"\n", "/d");
    EXPECT_NE(c.error.find("absolute path"), std::string::npos);
}

TEST(ConfigSource, LoadResolvesAgainstTheFilesDirectory) {
    char dir[] = "/tmp/wardenctl-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string file = std::string(dir) + "/g.toml";
    std::ofstream(file) << "name = \"g\"\nkernel = \"k.bin\"\n";
    ConfigText c = load_config_text(file);
    EXPECT_EQ(c.error, "");
    EXPECT_EQ(c.text, "name = \"g\"\nkernel = \"" + std::string(dir) + "/k.bin\"\n");
    std::filesystem::remove_all(dir);
    EXPECT_NE(load_config_text(file).error, "");
}

TEST(ConfigSource, NonUtf8AndOversizedConfigsGetTheirOwnErrors) {
    char dir[] = "/tmp/wardenctl-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string latin1 = std::string(dir) + "/latin1.toml";
    std::ofstream(latin1) << "name = \"g\"\n# caf\xe9\nkernel = \"k.bin\"\n";
    ConfigText c = load_config_text(latin1);
    EXPECT_EQ(c.error, latin1 +
                           ":2: byte 0xe9 is not UTF-8; TOML files are UTF-8 text (convert "
                           "it, e.g. with iconv)");
    std::string big = std::string(dir) + "/big.toml";
    std::ofstream(big) << "name = \"g\"\n# " << std::string(5 << 20, 'x') << "\n";
    c = load_config_text(big);
    EXPECT_NE(c.error.find("at most 64 KiB"), std::string::npos) << c.error;
    std::filesystem::remove_all(dir);
}

TEST(ConfigSource, Utf8Validation) {
    EXPECT_EQ(first_invalid_utf8("plain"), std::nullopt);
    EXPECT_EQ(first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"), std::nullopt);
    EXPECT_EQ(first_invalid_utf8("ab\xe9"), std::optional<size_t>(2));
    EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), std::optional<size_t>(0)) << "overlong";
    EXPECT_EQ(first_invalid_utf8("\xed\xa0\x80"), std::optional<size_t>(0)) << "surrogate";
    EXPECT_EQ(first_invalid_utf8("x\xf4\x90\x80\x80"), std::optional<size_t>(1)) << "> U+10FFFF";
    EXPECT_EQ(first_invalid_utf8("\xe2\x82"), std::optional<size_t>(0)) << "truncated";
}

}  // namespace
}  // namespace warden::cli
