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
    ConfigText c = resolve_kernel_path(text, "/etc/warden/guests");
    EXPECT_EQ(c.error, "");
    EXPECT_EQ(c.text,
              "# web guest\n"
              "name = \"web-1\"\n"
              "kernel   =  \"/etc/warden/guests/images/web.bin\"   # next to this file\n"
              "memory = \"64M\"\n");
}

TEST(ConfigSource, DotsAreResolvedAndLiteralStringsWork) {
    ConfigText c = resolve_kernel_path("kernel = '../bin/k.bin'\n", "/srv/cfg");
    EXPECT_EQ(c.text, "kernel = \"/srv/bin/k.bin\"\n");
}

TEST(ConfigSource, NonAsciiBeforeTheValueOnItsLine) {
    ConfigText c = resolve_kernel_path("bootargs = \"é\"\nkernel=\"ké.bin\" # ü\n", "/d");
    EXPECT_EQ(c.text, "bootargs = \"é\"\nkernel=\"/d/ké.bin\" # ü\n");
}

TEST(ConfigSource, CharactersThatNeedEscapingInTheDirectory) {
    ConfigText c = resolve_kernel_path("kernel = \"k\"\n", "/a \"b\"\\c");
    EXPECT_EQ(c.text, "kernel = \"/a \\\"b\\\"\\\\c/k\"\n");
}

TEST(ConfigSource, AbsoluteKernelAndOddFilesGoOutUnchanged) {
    for (const std::string text : {"kernel = \"/boot/k.bin\"\n", "name = \"x\"\n", "kernel = 5\n",
                                   "this is [not toml\n", "", "[quotas]\nkernel = \"q\"\n"}) {
        ConfigText c = resolve_kernel_path(text, "/d");
        EXPECT_EQ(c.error, "") << text;
        EXPECT_EQ(c.text, text);
    }
}

TEST(ConfigSource, MultiLineKernelCannotBeRewritten) {
    ConfigText c = resolve_kernel_path("kernel = \"\"\"\nk.bin\"\"\"\n", "/d");
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

}  // namespace
}  // namespace warden::cli
