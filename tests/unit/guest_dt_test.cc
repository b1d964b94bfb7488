// SPDX-License-Identifier: Apache-2.0
#include "core/guest_dt.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

TEST(GuestDt, DescribesMemoryCpusPsciAndBootargs) {
    std::vector<char> buf(4096);
    GuestDtConfig cfg{Ipa(0x40000000), 0x1000000, 2, "name=A mem=16M"};
    int len = build_guest_dt(buf.data(), buf.size(), cfg);
    ASSERT_GT(len, 0);
    const void* fdt = buf.data();
    ASSERT_EQ(fdt_check_header(fdt), 0);
    EXPECT_EQ(static_cast<int>(fdt_totalsize(fdt)), len);

    int mem = fdt_path_offset(fdt, "/memory@40000000");
    ASSERT_GE(mem, 0);
    int plen = 0;
    const void* reg = fdt_getprop(fdt, mem, "reg", &plen);
    ASSERT_EQ(plen, 16);
    fdt64_t cells[2];
    std::memcpy(cells, reg, sizeof cells);  // properties are only 4-byte aligned
    EXPECT_EQ(fdt64_to_cpu(cells[0]), 0x40000000u);
    EXPECT_EQ(fdt64_to_cpu(cells[1]), 0x1000000u);

    int psci = fdt_path_offset(fdt, "/psci");
    ASSERT_GE(psci, 0);
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, psci, "method", nullptr)), "hvc");
    EXPECT_EQ(fdt_node_check_compatible(fdt, psci, "arm,psci-0.2"), 0);

    EXPECT_GE(fdt_path_offset(fdt, "/cpus/cpu@0"), 0);
    EXPECT_GE(fdt_path_offset(fdt, "/cpus/cpu@1"), 0);
    EXPECT_LT(fdt_path_offset(fdt, "/cpus/cpu@2"), 0);

    int chosen = fdt_path_offset(fdt, "/chosen");
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, chosen, "bootargs", nullptr)),
                 "name=A mem=16M");
    EXPECT_LT(fdt_path_offset(fdt, "/firmware/optee"), 0) << "no TEE node without TEE";
}

TEST(GuestDt, TooSmallBufferIsE2BIG) {
    std::vector<char> buf(128);
    GuestDtConfig cfg{Ipa(0x40000000), 0x1000000, 1, ""};
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kTooBig);
}

TEST(GuestDt, RejectsBadConfig) {
    std::vector<char> buf(4096);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {Ipa(0), 0, 1, ""}), -abi::err::kInval);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {Ipa(0), 4096, 0, ""}), -abi::err::kInval);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {Ipa(0), 4096, 1, nullptr}),
              -abi::err::kInval);
}

}  // namespace
}  // namespace warden
