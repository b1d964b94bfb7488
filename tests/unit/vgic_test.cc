// SPDX-License-Identifier: Apache-2.0
// The virtual GICv2 distributor model: its registers as a guest's driver
// programs them, and which interrupt each vCPU is given.
#include <gtest/gtest.h>

#include "core/vgic.h"

namespace warden {
namespace {

using vgic::kNone;

class VgicTest : public ::testing::Test {
protected:
    vgic::Distributor gicd;

    void SetUp() override { gicd.reset(2); }
    uint32_t rd(unsigned vcpu, uint64_t offset, uint8_t size = 4) {
        uint64_t v = 0xdead;
        EXPECT_TRUE(gicd.read(vcpu, offset, size, v)) << std::hex << offset;
        return static_cast<uint32_t>(v);
    }
    void wr(unsigned vcpu, uint64_t offset, uint32_t value, uint8_t size = 4) {
        EXPECT_TRUE(gicd.write(vcpu, offset, size, value)) << std::hex << offset;
    }
    // Enables `intid` for vcpu 0 at `priority`, and for an SPI targets `targets`.
    void enable(uint32_t intid, uint8_t priority, uint8_t targets = 1) {
        wr(0, 0x100 + intid / 32 * 4, 1u << (intid % 32));
        wr(0, 0x400 + intid, priority, 1);
        if (intid >= 32) wr(0, 0x800 + intid, targets, 1);
    }
};

TEST_F(VgicTest, TheIdentificationRegistersDescribeTheDomain) {
    EXPECT_EQ(rd(0, 0x004), 2u | (1u << 5)) << "TYPER: 96 INTIDs, 2 CPUs";
    EXPECT_EQ(rd(0, 0x008), 0x43bu);
    EXPECT_EQ(rd(0, 0xfe8), 0x20u) << "GICv2";
    EXPECT_EQ(rd(0, 0x000), 0u) << "disabled at reset";
    wr(0, 0x000, 3);
    EXPECT_EQ(rd(1, 0x000), 1u) << "one enable bit, shared by all vCPUs";
}

TEST_F(VgicTest, PrivateInterruptsAreBankedPerVcpu) {
    wr(0, 0x100, 0xffff0000);
    EXPECT_EQ(rd(0, 0x100), 0xffff0000u);
    EXPECT_EQ(rd(1, 0x100), 0u) << "vCPU 1 has its own bank";
    wr(1, 0x400 + 27, 0xa0, 1);
    EXPECT_EQ(rd(1, 0x418 + 3, 1), 0xa0u);
    EXPECT_EQ(rd(0, 0x418 + 3, 1), 0u);
    EXPECT_EQ(rd(0, 0x800, 1), 1u) << "ITARGETSR of a private interrupt: the reader";
    EXPECT_EQ(rd(1, 0x81c), 0x02020202u);
    wr(1, 0x81c, 0xffffffff);
    EXPECT_EQ(rd(1, 0x81c), 0x02020202u) << "read-only";
}

TEST_F(VgicTest, PrioritiesKeepFiveBitsAndTargetsOnlyRealVcpus) {
    wr(0, 0x420, 0xffffffff);
    EXPECT_EQ(rd(0, 0x420), 0xf8f8f8f8u);
    wr(0, 0x820, 0xff, 1);
    EXPECT_EQ(rd(0, 0x820, 1), 0x3u) << "two vCPUs: bits 0 and 1";
    EXPECT_EQ(rd(0, 0x460), 0u) << "past the last SPI: reads as zero";
    uint64_t v;
    EXPECT_FALSE(gicd.read(0, 0x100, 1, v)) << "byte access only where the GIC allows it";
    EXPECT_FALSE(gicd.read(0, 0x102, 4, v)) << "unaligned";
    EXPECT_FALSE(gicd.write(0, 0x000, 8, 1));
}

TEST_F(VgicTest, TheBestPendingInterruptWinsByPriorityThenIntid) {
    wr(0, 0x000, 1);
    enable(40, 0x80);
    enable(41, 0x40);
    enable(27, 0x40);
    gicd.set_line(0, 40, true);
    EXPECT_EQ(gicd.best(0).intid, 40u);
    gicd.set_line(0, 41, true);
    EXPECT_EQ(gicd.best(0).intid, 41u) << "higher priority";
    gicd.set_line(0, 27, true);
    EXPECT_EQ(gicd.best(0).intid, 27u) << "same priority: the lower INTID";
    EXPECT_EQ(gicd.best(1).intid, kNone) << "vCPU 1 is not targeted";
    wr(0, 0x000, 0);
    EXPECT_EQ(gicd.best(0).intid, kNone) << "distributor disabled";
}

TEST_F(VgicTest, ALevelInterruptIsPendingWhileItsLineIsHigh) {
    wr(0, 0x000, 1);
    enable(27, 0);
    gicd.set_line(0, 27, true);
    vgic::Pick p = gicd.best(0);
    ASSERT_EQ(p.intid, 27u);
    EXPECT_TRUE(p.level);
    gicd.take(0, p);
    EXPECT_EQ(gicd.best(0).intid, kNone) << "in a list register";
    EXPECT_EQ(rd(0, 0x200) >> 27 & 1, 1u) << "still reads as pending";
    gicd.lr_done(0, 27, 0, false, false);  // acknowledged and deactivated
    EXPECT_EQ(gicd.best(0).intid, 27u) << "the line is still high: pending again";
    gicd.set_line(0, 27, false);
    EXPECT_EQ(gicd.best(0).intid, kNone);
}

TEST_F(VgicTest, AnEdgeIsLatchedOnceAndAnUnacknowledgedOneComesBack) {
    wr(0, 0x000, 1);
    enable(33, 0);
    wr(0, 0xc08, 2u << 2);  // INTID 33: edge-triggered
    EXPECT_EQ(rd(0, 0xc08), 2u << 2);
    gicd.set_line(0, 33, true);
    gicd.set_line(0, 33, true);  // no new edge
    vgic::Pick p = gicd.best(0);
    ASSERT_EQ(p.intid, 33u);
    EXPECT_FALSE(p.level);
    gicd.take(0, p);
    gicd.lr_done(0, 33, 0, false, true);  // acknowledged, not yet deactivated
    EXPECT_EQ(gicd.best(0).intid, kNone) << "active: not given again";
    EXPECT_EQ(rd(0, 0x304) >> 1 & 1, 1u) << "ISACTIVER";
    gicd.set_line(0, 33, false);
    gicd.set_line(0, 33, true);
    EXPECT_EQ(gicd.best(0).intid, kNone) << "pending, but active";
    wr(0, 0x384, 1u << 1);  // ICACTIVER
    p = gicd.best(0);
    ASSERT_EQ(p.intid, 33u);
    gicd.take(0, p);
    gicd.lr_done(0, 33, 0, true, false);  // never acknowledged
    EXPECT_EQ(gicd.best(0).intid, 33u) << "comes back pending";
}

TEST_F(VgicTest, PendingAndEnableBitsAreSetAndClearedByTheirRegisters) {
    wr(0, 0x000, 1);
    enable(50, 0);
    wr(0, 0x204, 1u << 18);  // ISPENDR1: INTID 50
    EXPECT_EQ(gicd.best(0).intid, 50u);
    wr(0, 0x284, 1u << 18);  // ICPENDR1
    EXPECT_EQ(gicd.best(0).intid, kNone);
    wr(0, 0x204, 1u << 18);
    wr(0, 0x184, 1u << 18);  // ICENABLER1
    EXPECT_EQ(gicd.best(0).intid, kNone);
    EXPECT_EQ(rd(0, 0x104) >> 18 & 1, 0u);
    EXPECT_EQ(rd(0, 0x204) >> 18 & 1, 1u) << "still pending, just disabled";
}

TEST_F(VgicTest, SgisGoToTheirTargetsWithTheirSource) {
    wr(0, 0x000, 1);
    wr(1, 0x100, 0xffff);          // vCPU 1 enables its SGIs
    wr(0, 0xf00, (2u << 16) | 5);  // vCPU 0 -> target list {vCPU 1}, SGI 5
    vgic::Pick p = gicd.best(1);
    ASSERT_EQ(p.intid, 5u);
    EXPECT_EQ(p.source, 0u);
    EXPECT_EQ(rd(1, 0xf24, 1), 0u) << "SPENDSGIR1 byte 0 is SGI 4";
    EXPECT_EQ(rd(1, 0xf25, 1), 1u) << "SGI 5 pending from vCPU 0";
    EXPECT_EQ(gicd.best(0).intid, kNone) << "not to the sender";
    gicd.take(1, p);
    EXPECT_EQ(rd(1, 0xf25, 1), 0u);
    wr(1, 0xf00, (1u << 24) | 3);  // all but self
    EXPECT_EQ(gicd.best(1).intid, kNone);
    wr(0, 0x100, 0xffff);
    EXPECT_EQ(gicd.best(0).intid, 3u);
    EXPECT_EQ(gicd.best(0).source, 1u);
    wr(0, 0xf10 + 3, 2, 1);  // CPENDSGIR: clear SGI 3 from vCPU 1
    EXPECT_EQ(gicd.best(0).intid, kNone);
    wr(0, 0xf00, (2u << 24) | 7);  // self
    EXPECT_EQ(gicd.best(0).intid, 7u);
    wr(0, 0xc00, 0);
    EXPECT_EQ(rd(0, 0xc00), 0xaaaaaaaau) << "SGIs are always edge-triggered";
    wr(0, 0xf00, (3u << 24) | 8);  // reserved filter: nothing
    EXPECT_EQ(gicd.best(1).intid, kNone);
}

TEST_F(VgicTest, OnePassGivesWhatBestAndTakeInTurnWould) {
    // Random states: enables, priorities (0xff included: never signalled),
    // targets, edges and levels, SGIs from both vCPUs. For each state and each
    // number of free list registers, best_n must equal best() + take() in turn,
    // and `more` must say whether best() would still find one.
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    auto rnd = [&] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    // The rule spelled out independently: the first interrupt found with the
    // lowest priority value below 0xff that is enabled, pending, not active,
    // not in a list register and (an SPI) targets the vCPU.
    auto reference = [](const vgic::Distributor& g, unsigned vcpu) {
        vgic::Pick p;
        if (!g.enabled()) return p;
        for (uint32_t intid = 0; intid < vgic::kIntids; ++intid) {
            const vgic::Irq& q = g.irq(vcpu, intid);
            if (intid >= 32 && !(q.targets & (1u << vcpu))) continue;
            const bool pending = q.pending || q.sgi_sources || (!q.edge && q.line);
            if (!q.enabled || q.active || q.in_lr || !pending || q.priority >= p.priority) continue;
            p.intid = intid;
            p.priority = q.priority;
            p.level = !q.edge;
            p.source = 0;
            if (intid < 16) {
                while (!(q.sgi_sources & (1u << p.source))) ++p.source;
            }
        }
        return p;
    };
    for (int round = 0; round < 400; ++round) {
        gicd.reset(2);
        wr(0, 0x000, 1);
        for (uint32_t intid = 0; intid < vgic::kIntids; ++intid) {
            if (rnd() % 3 == 0) continue;
            const uint8_t prio = (rnd() % 8 == 0) ? 0xff : static_cast<uint8_t>(rnd() % 4 * 0x20);
            const unsigned cpu = rnd() % 2;
            wr(cpu, 0x100 + intid / 32 * 4, 1u << (intid % 32));
            wr(cpu, 0x400 + intid, prio, 1);
            if (intid >= 32) wr(0, 0x800 + intid, static_cast<uint8_t>(1 + rnd() % 3), 1);
            if (intid >= 16 && rnd() % 2) {
                gicd.set_line(cpu, intid, true);
            } else if (intid >= 16) {
                wr(cpu, 0x200 + intid / 32 * 4, 1u << (intid % 32));  // ISPENDR
            } else {
                // An SGI to both vCPUs from this one.
                wr(cpu, 0xf00, (3u << 16) | intid);
            }
        }
        for (unsigned vcpu = 0; vcpu < 2; ++vcpu) {
            for (unsigned max = 0; max <= 4; ++max) {
                vgic::Distributor stepwise = gicd;
                vgic::Pick want[4];
                unsigned want_n = 0;
                for (; want_n < max; ++want_n) {
                    want[want_n] = reference(stepwise, vcpu);
                    if (want[want_n].intid == kNone) break;
                    EXPECT_EQ(stepwise.best(vcpu).intid, want[want_n].intid);
                    stepwise.take(vcpu, want[want_n]);
                }
                const bool want_more = reference(stepwise, vcpu).intid != kNone;
                vgic::Pick got[4];
                bool more = !want_more;
                ASSERT_EQ(gicd.best_n(vcpu, got, max, more), want_n) << round << " " << max;
                EXPECT_EQ(more, want_more) << round << " " << max;
                for (unsigned k = 0; k < want_n; ++k) {
                    EXPECT_EQ(got[k].intid, want[k].intid) << round << " " << k;
                    EXPECT_EQ(got[k].priority, want[k].priority);
                    EXPECT_EQ(got[k].source, want[k].source);
                    EXPECT_EQ(got[k].level, want[k].level);
                }
            }
        }
    }
}

}  // namespace
}  // namespace warden
