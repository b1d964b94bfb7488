// SPDX-License-Identifier: Apache-2.0
#include "core/stage2.h"

#include <gtest/gtest.h>

#include "fake_machine.h"
#include "warden/errno.h"

namespace warden {
namespace {

class Stage2Test : public ::testing::Test {
protected:
    test::FakeMachine machine{16 * 1024 * 1024};
    PageAllocator alloc;
    Stage2 s2;
    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        ASSERT_TRUE(s2.init(alloc));
    }
};

TEST_F(Stage2Test, RootIsTwoConcatenatedTablesAligned8K) {
    EXPECT_TRUE(is_aligned(s2.root().value(), 2 * kPageSize));
}

TEST_F(Stage2Test, MapsAndTranslatesPagesWithOffsets) {
    Pa pa(0x40800000);
    ASSERT_EQ(s2.map(Ipa(0x40000000), pa, 4 * kPageSize, S2Attr::NormalRw), 0);
    EXPECT_EQ(s2.translate(Ipa(0x40000000)), pa);
    EXPECT_EQ(s2.translate(Ipa(0x40003abc)), pa + 0x3abc);
    EXPECT_FALSE(s2.translate(Ipa(0x40004000)).has_value());
    EXPECT_FALSE(s2.translate(Ipa(0x3ffff000)).has_value());
    EXPECT_FALSE(s2.translate(Ipa(uint64_t{1} << 40)).has_value());
}

TEST_F(Stage2Test, HighIpaUsesTheSecondRootTable) {
    Ipa high((uint64_t{1} << 39) + 0x1000);
    ASSERT_EQ(s2.map(high, Pa(0x40900000), kPageSize, S2Attr::NormalRw), 0);
    EXPECT_EQ(s2.translate(high), Pa(0x40900000));
    const auto* root = reinterpret_cast<const uint64_t*>(machine.host(s2.root()));
    EXPECT_NE(root[512] & 1, 0u) << "IPA bit 39 indexes the second concatenated table";
}

TEST_F(Stage2Test, ReadOnlyMappingsRefuseWriteTranslation) {
    ASSERT_EQ(s2.map(Ipa(0x1000), Pa(0x40a00000), kPageSize, S2Attr::NormalRo), 0);
    EXPECT_TRUE(s2.translate(Ipa(0x1000)).has_value());
    EXPECT_FALSE(s2.translate(Ipa(0x1000), true).has_value());
}

TEST_F(Stage2Test, RejectsBadArguments) {
    EXPECT_EQ(s2.map(Ipa(0x1001), Pa(0x40a00000), kPageSize, S2Attr::NormalRw), -abi::err::kInval);
    EXPECT_EQ(s2.map(Ipa(0x1000), Pa(0x40a00010), kPageSize, S2Attr::NormalRw), -abi::err::kInval);
    EXPECT_EQ(s2.map(Ipa(0x1000), Pa(0x40a00000), 100, S2Attr::NormalRw), -abi::err::kInval);
    EXPECT_EQ(s2.map(Ipa(0x1000), Pa(0x40a00000), 0, S2Attr::NormalRw), -abi::err::kInval);
    EXPECT_EQ(s2.map(Ipa((uint64_t{1} << 40) - kPageSize), Pa(0x40a00000), 2 * kPageSize,
                     S2Attr::NormalRw),
              -abi::err::kInval);
    EXPECT_EQ(s2.map(Ipa(0x1000), Pa(uint64_t{1} << 48), kPageSize, S2Attr::NormalRw),
              -abi::err::kInval);
}

TEST_F(Stage2Test, OverlapFailsAndRollsBackItsOwnPages) {
    ASSERT_EQ(s2.map(Ipa(0x5000), Pa(0x40a00000), kPageSize, S2Attr::NormalRw), 0);
    // 0x3000..0x7000 overlaps the page at 0x5000: fails, and 0x3000/0x4000 stay unmapped.
    EXPECT_EQ(s2.map(Ipa(0x3000), Pa(0x40b00000), 4 * kPageSize, S2Attr::NormalRw),
              -abi::err::kExist);
    EXPECT_FALSE(s2.translate(Ipa(0x3000)).has_value());
    EXPECT_FALSE(s2.translate(Ipa(0x4000)).has_value());
    EXPECT_EQ(s2.translate(Ipa(0x5000)), Pa(0x40a00000));
}

TEST_F(Stage2Test, RunningOutOfTablePagesIsENOMEMAndLeavesNothingMapped) {
    while (alloc.alloc_page()) {
    }
    EXPECT_EQ(s2.map(Ipa(0x40000000), Pa(0x40a00000), kPageSize, S2Attr::NormalRw),
              -abi::err::kNoMem);
    EXPECT_FALSE(s2.translate(Ipa(0x40000000)).has_value());
}

TEST_F(Stage2Test, DestroyReturnsEveryTablePage) {
    Stage2 other;
    uint64_t before = alloc.free_pages();
    ASSERT_TRUE(other.init(alloc));
    ASSERT_EQ(other.map(Ipa(0x40000000), Pa(0x40800000), 64 * kPageSize, S2Attr::NormalRw), 0);
    ASSERT_EQ(other.map(Ipa(0x9000000), Pa(0x40c00000), kPageSize, S2Attr::DeviceRw), 0);
    EXPECT_LT(alloc.free_pages(), before);
    other.destroy();
    EXPECT_EQ(alloc.free_pages(), before);
    EXPECT_FALSE(other.valid());
}

TEST_F(Stage2Test, UnmapRemovesMappings) {
    ASSERT_EQ(s2.map(Ipa(0x40000000), Pa(0x40800000), 2 * kPageSize, S2Attr::NormalRw), 0);
    s2.unmap(Ipa(0x40000000), kPageSize);
    EXPECT_FALSE(s2.translate(Ipa(0x40000000)).has_value());
    EXPECT_TRUE(s2.translate(Ipa(0x40001000)).has_value());
}

}  // namespace
}  // namespace warden
