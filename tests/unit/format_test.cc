// SPDX-License-Identifier: Apache-2.0
#include "lib/format.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string fmt(const char* f, auto... args) {
    char buf[64];
    warden::format(buf, sizeof buf, f, args...);
    return buf;
}

TEST(Format, Conversions) {
    EXPECT_EQ(fmt("%d %i %u", -42, 7, 3u), "-42 7 3");
    EXPECT_EQ(fmt("%x %X %lx", 0xbeefu, 0xbeefu, 0x123456789abcul), "beef BEEF 123456789abc");
    EXPECT_EQ(fmt("%08x|%4d|%-d", 0x1fu, 5, 1), "0000001f|   5|%-d");
    EXPECT_EQ(fmt("%s %c %%", "str", 'z'), "str z %");
    const char* volatile null_string = nullptr;  // hidden from -Wformat-overflow
    EXPECT_EQ(fmt("%s", null_string), "(null)");
    EXPECT_EQ(fmt("%ld", -9223372036854775807L - 1), "-9223372036854775808");
    EXPECT_EQ(fmt("%05d", -42), "-0042");
}

TEST(Format, TruncatesAndTerminates) {
    char buf[8];
    size_t n = warden::format(buf, sizeof buf, "%s", "0123456789");
    EXPECT_EQ(n, 7u);
    EXPECT_STREQ(buf, "0123456");
    char one[1] = {'x'};
    EXPECT_EQ(warden::format(one, 1, "abc"), 0u);
    EXPECT_EQ(one[0], '\0');
}

}  // namespace
