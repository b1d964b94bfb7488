// SPDX-License-Identifier: Apache-2.0
#include "words.h"

#include <gtest/gtest.h>

namespace warden::cli {
namespace {

TEST(Words, EnumValuesAreLowerCaseWithoutPrefix) {
    EXPECT_EQ(word(v1::GUEST_STATE_RUNNING), "running");
    EXPECT_EQ(word(v1::TEE_TYPE_OPTEE), "optee");
    EXPECT_EQ(word(v1::TEE_METHOD_HVC), "hvc");
    EXPECT_EQ(word(v1::TEE_STATE_ENABLED), "enabled");
    EXPECT_EQ(word(v1::Event::KIND_SNAPSHOT_DONE), "snapshot_done");
    EXPECT_EQ(word(grpc::health::v1::HealthCheckResponse::NOT_SERVING), "not_serving");
}

TEST(Words, ValueFromANewerDaemonPrintsAsItsNumber) {
    EXPECT_EQ(word(static_cast<v1::GuestState>(42)), "42");
}

TEST(Words, SizesUseTheLargestExactUnit) {
    EXPECT_EQ(format_size(0), "0");
    EXPECT_EQ(format_size(16ull << 20), "16M");
    EXPECT_EQ(format_size(1ull << 30), "1G");
    EXPECT_EQ(format_size(3ull << 29), "1536M");
    EXPECT_EQ(format_size(4096), "4K");
    EXPECT_EQ(format_size(1000), "1000");
}

TEST(Words, ParseSize) {
    EXPECT_EQ(parse_size("64M"), 64ull << 20);
    EXPECT_EQ(parse_size("64m"), 64ull << 20);
    EXPECT_EQ(parse_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_size("512K"), 512ull << 10);
    EXPECT_EQ(parse_size("32"), 32ull << 20);
    EXPECT_EQ(parse_size(""), 0u);
    EXPECT_EQ(parse_size("M"), 0u);
    EXPECT_EQ(parse_size("64MB"), 0u);
    EXPECT_EQ(parse_size("-1"), 0u);
    EXPECT_EQ(parse_size("99999999999999999999G"), 0u);
}

}  // namespace
}  // namespace warden::cli
