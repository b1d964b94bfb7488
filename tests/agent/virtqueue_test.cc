// SPDX-License-Identifier: Apache-2.0
// The agent's split virtqueue against a simulated device on the host: the
// transport's registers are plain memory and the test writes the used ring the way
// a device would — including the impossible entries a hostile one could write.
#include "virtqueue.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using namespace agent::virtio;

class VirtqueueTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::memset(regs, 0, sizeof regs);
        reg(reg::kQueueNumMax) = 128;
        reg(reg::kQueueNotify) = 0xdead;
    }
    uint32_t& reg(uint32_t off) { return regs[off / 4]; }
    Mmio mmio() { return Mmio(reinterpret_cast<uint64_t>(regs)); }
    uint16_t avail_idx() const { return mem.avail[1]; }
    uint16_t avail_ring(uint16_t i) const { return mem.avail[2 + i]; }
    // The device returns buffer `id` with `len` bytes written.
    void device_uses(uint16_t id, uint32_t len) {
        uint16_t idx;
        std::memcpy(&idx, mem.used + 2, 2);
        VirtqUsedElem e{id, len};
        std::memcpy(mem.used + 4 + 8 * (idx % q.size()), &e, sizeof e);
        ++idx;
        std::memcpy(mem.used + 2, &idx, 2);
    }
    void set_used_idx(uint16_t idx) { std::memcpy(mem.used + 2, &idx, 2); }

    alignas(8) uint32_t regs[0x100 / 4];
    QueueMemory<16> mem;
    Virtqueue q;
};

TEST_F(VirtqueueTest, SetupProgramsTheQueueWithAPowerOfTwoSize) {
    reg(reg::kQueueNumMax) = 12;
    ASSERT_TRUE(q.setup(mmio(), 1, mem));
    EXPECT_EQ(q.size(), 8u);
    EXPECT_EQ(reg(reg::kQueueSel), 1u);
    EXPECT_EQ(reg(reg::kQueueNum), 8u);
    EXPECT_EQ(reg(reg::kQueueReady), 1u);
    auto addr = [&](uint32_t lo, uint32_t hi) {
        return uint64_t{reg(lo)} | uint64_t{reg(hi)} << 32;
    };
    EXPECT_EQ(addr(reg::kQueueDescLow, reg::kQueueDescHigh), reinterpret_cast<uint64_t>(mem.desc));
    EXPECT_EQ(addr(reg::kQueueDriverLow, reg::kQueueDriverHigh),
              reinterpret_cast<uint64_t>(mem.avail));
    EXPECT_EQ(addr(reg::kQueueDeviceLow, reg::kQueueDeviceHigh),
              reinterpret_cast<uint64_t>(mem.used));
    EXPECT_EQ(mem.avail[0], kAvailFlagNoInterrupt);  // polled
}

TEST_F(VirtqueueTest, TheMemoryBoundsTheSize) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    EXPECT_EQ(q.size(), 16u);
}

TEST_F(VirtqueueTest, NoQueueOrALiveQueueIsRefused) {
    reg(reg::kQueueNumMax) = 0;
    EXPECT_FALSE(q.setup(mmio(), 0, mem));
    reg(reg::kQueueNumMax) = 16;
    reg(reg::kQueueReady) = 1;  // not reset
    EXPECT_FALSE(q.setup(mmio(), 0, mem));
}

TEST_F(VirtqueueTest, PostedBuffersAreVisibleOnlyAfterPublish) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    uint8_t buf[64];
    q.post(3, reinterpret_cast<uint64_t>(buf), sizeof buf, true);
    EXPECT_EQ(avail_idx(), 0u);
    EXPECT_EQ(reg(reg::kQueueNotify), 0xdeadu);
    q.publish();
    EXPECT_EQ(avail_idx(), 1u);
    EXPECT_EQ(avail_ring(0), 3u);
    EXPECT_EQ(mem.desc[3].addr, reinterpret_cast<uint64_t>(buf));
    EXPECT_EQ(mem.desc[3].len, sizeof buf);
    EXPECT_EQ(mem.desc[3].flags, kDescFlagWrite);
    EXPECT_EQ(reg(reg::kQueueNotify), 0u);
    EXPECT_EQ(q.in_flight(), 1u);
}

TEST_F(VirtqueueTest, ADeviceThatPollsIsNotNotified) {
    ASSERT_TRUE(q.setup(mmio(), 2, mem));
    uint16_t flags = kUsedFlagNoNotify;
    std::memcpy(mem.used, &flags, 2);
    q.post(0, 0x1000, 16, false);
    q.publish();
    EXPECT_EQ(avail_idx(), 1u);
    EXPECT_EQ(reg(reg::kQueueNotify), 0xdeadu);
}

TEST_F(VirtqueueTest, UsedBuffersComeBackInTheDevicesOrder) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    for (uint16_t id = 0; id < 4; ++id) q.post(id, 0x1000 * (id + 1), 100, true);
    q.publish();
    uint16_t id;
    uint32_t len;
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::None);
    device_uses(2, 50);
    device_uses(0, 100);
    ASSERT_EQ(q.take(&id, &len), Virtqueue::Used::Taken);
    EXPECT_EQ(id, 2u);
    EXPECT_EQ(len, 50u);
    ASSERT_EQ(q.take(&id, &len), Virtqueue::Used::Taken);
    EXPECT_EQ(id, 0u);
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::None);
    EXPECT_EQ(q.in_flight(), 2u);
    EXPECT_FALSE(q.owned_by_device(0));
    EXPECT_TRUE(q.owned_by_device(1));
}

TEST_F(VirtqueueTest, TheRingWrapsAroundTheIndexes) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    for (unsigned round = 0; round < 70000; ++round) {
        q.post(static_cast<uint16_t>(round % 16), 0x1000, 8, true);
        q.publish();
        device_uses(static_cast<uint16_t>(round % 16), 8);
        uint16_t id;
        uint32_t len;
        ASSERT_EQ(q.take(&id, &len), Virtqueue::Used::Taken) << "round " << round;
    }
}

TEST_F(VirtqueueTest, MoreUsedEntriesThanBuffersHeldIsBroken) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    q.post(0, 0x1000, 8, true);
    q.publish();
    set_used_idx(2);
    uint16_t id;
    uint32_t len;
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::Broken);
}

TEST_F(VirtqueueTest, AnIdOutOfRangeIsBroken) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    q.post(0, 0x1000, 8, true);
    q.publish();
    device_uses(16, 8);
    uint16_t id;
    uint32_t len;
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::Broken);
}

TEST_F(VirtqueueTest, ABufferReturnedTwiceIsBroken) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    q.post(0, 0x1000, 8, true);
    q.post(1, 0x2000, 8, true);
    q.publish();
    device_uses(0, 8);
    device_uses(0, 8);
    uint16_t id;
    uint32_t len;
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::Taken);
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::Broken);
}

TEST_F(VirtqueueTest, ALengthBeyondTheBufferIsBroken) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    q.post(5, 0x1000, 4096, true);
    q.publish();
    device_uses(5, 4097);
    uint16_t id;
    uint32_t len;
    EXPECT_EQ(q.take(&id, &len), Virtqueue::Used::Broken);
    EXPECT_TRUE(q.owned_by_device(5));  // nothing was believed
}

TEST_F(VirtqueueTest, PostingABufferTheDeviceHoldsIsIgnored) {
    ASSERT_TRUE(q.setup(mmio(), 0, mem));
    q.post(1, 0x1000, 8, true);
    q.post(1, 0x2000, 8, true);
    q.post(99, 0x3000, 8, true);
    q.publish();
    EXPECT_EQ(avail_idx(), 1u);
    EXPECT_EQ(mem.desc[1].addr, 0x1000u);
}

}  // namespace
