// SPDX-License-Identifier: Apache-2.0
#include "core/page_alloc.h"

#include <gtest/gtest.h>

#include <set>

#include "fake_machine.h"

namespace warden {
namespace {

class PageAllocTest : public ::testing::Test {
protected:
    test::FakeMachine machine{8 * 1024 * 1024};
    PageAllocator alloc;
    Pa base = machine.ram_base();
    uint64_t size = machine.ram_size();
    void SetUp() override { ASSERT_TRUE(alloc.init(base, size, base)); }
};

TEST_F(PageAllocTest, BitmapPagesAreReservedAtInit) {
    uint64_t bitmap_pages = PageAllocator::bitmap_bytes(size) / kPageSize;
    EXPECT_EQ(alloc.total_pages(), size / kPageSize);
    EXPECT_EQ(alloc.free_pages(), alloc.total_pages() - bitmap_pages);
    EXPECT_FALSE(alloc.is_free(base));
}

TEST_F(PageAllocTest, HandsOutEveryFreePageOnceThenFails) {
    std::set<uint64_t> seen;
    uint64_t n = alloc.free_pages();
    for (uint64_t i = 0; i < n; ++i) {
        auto p = alloc.alloc_page();
        ASSERT_TRUE(p.has_value());
        EXPECT_TRUE(p->page_aligned());
        EXPECT_TRUE(seen.insert(p->value()).second) << "page handed out twice";
    }
    EXPECT_EQ(alloc.free_pages(), 0u);
    EXPECT_FALSE(alloc.alloc_page().has_value());
    EXPECT_FALSE(alloc.alloc_contiguous(1).has_value());
}

TEST_F(PageAllocTest, FreeRejectsForeignUnalignedAndDoubleFrees) {
    auto p = alloc.alloc_page();
    ASSERT_TRUE(p);
    uint64_t before = alloc.free_pages();
    EXPECT_FALSE(alloc.free_page(*p + 8));      // unaligned
    EXPECT_FALSE(alloc.free_page(Pa(0x1000)));  // outside the range
    EXPECT_TRUE(alloc.free_page(*p));
    EXPECT_FALSE(alloc.free_page(*p));  // double free
    EXPECT_EQ(alloc.free_pages(), before + 1);
}

TEST_F(PageAllocTest, ContiguousRespectsAlignmentAndReservations) {
    constexpr uint64_t k2M = 2 * 1024 * 1024;
    alloc.reserve(base + k2M, kPageSize);  // poison the second 2 MiB block
    auto p = alloc.alloc_contiguous(4, k2M);
    ASSERT_TRUE(p);
    EXPECT_TRUE(is_aligned(p->value(), k2M));
    EXPECT_NE(*p, base + k2M);
    for (uint64_t i = 0; i < 4; ++i) EXPECT_FALSE(alloc.is_free(*p + i * kPageSize));
    EXPECT_FALSE(alloc.alloc_contiguous(0).has_value());
    EXPECT_FALSE(alloc.alloc_contiguous(1, 3 * kPageSize).has_value());  // not a power of 2
    EXPECT_FALSE(alloc.alloc_contiguous(alloc.total_pages()).has_value());
}

TEST_F(PageAllocTest, ReserveClipsToTheManagedRange) {
    uint64_t before = alloc.free_pages();
    alloc.reserve(Pa(base.value() - 4 * kPageSize), 5 * kPageSize);  // only the bitmap's page
    EXPECT_EQ(alloc.free_pages(), before);
    alloc.reserve(base + (size - kPageSize), 16 * kPageSize);
    EXPECT_EQ(alloc.free_pages(), before - 1);
}

TEST(PageAllocInit, RejectsUnalignedOrEmptyRanges) {
    test::FakeMachine machine{1024 * 1024};
    PageAllocator a;
    EXPECT_FALSE(a.init(machine.ram_base() + 1, kPageSize * 4, machine.ram_base()));
    EXPECT_FALSE(a.init(machine.ram_base(), 0, machine.ram_base()));
    EXPECT_FALSE(a.init(machine.ram_base(), 100, machine.ram_base()));
}

}  // namespace
}  // namespace warden
