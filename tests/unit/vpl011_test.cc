// SPDX-License-Identifier: Apache-2.0
// The emulated PL011, through a domain's bus as a guest's loads and stores reach it.
#include <gtest/gtest.h>

#include <string>

#include "core/domain.h"
#include "core/vpl011.h"
#include "unit/fake_machine.h"

namespace warden {
namespace {

class Vpl011Test : public ::testing::Test {
protected:
    test::FakeMachine machine;
    PageAllocator alloc;
    DomainTable domains{alloc};
    Domain* d = nullptr;

    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        DomainConfig cfg;
        cfg.ram_size = 2 * 1024 * 1024;
        ASSERT_EQ(domains.create(cfg, &d), 0);
    }
    mmio::Outcome access(uint64_t offset, uint8_t size, bool write, uint64_t& value) {
        mmio::Access a;
        a.addr = Ipa(abi::kGuestUartBase + offset);
        a.size = size;
        a.write = write;
        a.reg = 1;
        a.wide = true;
        Vcpu& v = d->vcpu(0);
        v.regs.x[1] = value;
        auto out = mmio::emulate(v, d->mmio(), a);
        value = v.regs.x[1];
        return out;
    }
    uint32_t rd(uint64_t offset, uint8_t size = 4) {
        uint64_t v = 0xdead;
        EXPECT_EQ(access(offset, size, false, v), mmio::Outcome::Done);
        return static_cast<uint32_t>(v);
    }
    void wr(uint64_t offset, uint32_t value, uint8_t size = 4) {
        uint64_t v = value;
        EXPECT_EQ(access(offset, size, true, v), mmio::Outcome::Done);
    }
    void type(const std::string& s) {
        EXPECT_EQ(d->uart().push_input(reinterpret_cast<const uint8_t*>(s.data()),
                                       static_cast<uint32_t>(s.size())),
                  s.size());
    }
};

TEST_F(Vpl011Test, EveryDomainHasOneAtTheDocumentedAddressWithAPrimeCellId) {
    const uint32_t ids[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(rd(0xfe0 + 4 * i), ids[i]) << i;
    EXPECT_EQ(rd(0x030), 0x300u) << "CR at reset: TXE, RXE";
    EXPECT_EQ(rd(0x034), 0x12u) << "IFLS at reset";
    EXPECT_EQ(rd(0x018), 0x90u) << "FR: TX empty, RX empty, never busy or full";
}

TEST_F(Vpl011Test, TransmittedBytesGoToTheDomainsConsole) {
    for (char c : std::string("hi from the uart\n")) wr(0x000, static_cast<uint8_t>(c));
    char out[64];
    auto chunk = d->console_read(0, out, sizeof out);
    EXPECT_EQ(std::string(out, chunk.count), "hi from the uart\n");
    EXPECT_NE(machine.console.find("[d0] hi from the uart"), std::string::npos);
    wr(0x000, 0x141, 1);  // only the low byte is data
    chunk = d->console_read(chunk.start + chunk.count, out, sizeof out);
    EXPECT_EQ(std::string(out, chunk.count), "A");
}

TEST_F(Vpl011Test, InputWaitsInABoundedBufferAndIsReadInOrder) {
    EXPECT_EQ(rd(0x000), 0u) << "nothing to read";
    type("ls\n");
    EXPECT_EQ(rd(0x018) & 0x10, 0u) << "RXFE clear";
    EXPECT_EQ(rd(0x000), 'l');
    EXPECT_EQ(rd(0x000), 's');
    EXPECT_EQ(rd(0x000), '\n');
    EXPECT_EQ(rd(0x018) & 0x10, 0x10u);
    std::string lots(vpl011::kRxSize + 10, 'q');
    EXPECT_EQ(d->uart().push_input(reinterpret_cast<const uint8_t*>(lots.data()),
                                   static_cast<uint32_t>(lots.size())),
              vpl011::kRxSize)
        << "the rest is refused, never dropped";
    EXPECT_EQ(rd(0x018) & 0x40, 0x40u) << "RXFF";
    for (unsigned i = 0; i < vpl011::kRxSize; ++i) ASSERT_EQ(rd(0x000), 'q');
    EXPECT_EQ(rd(0x018) & 0x50, 0x10u);
}

TEST_F(Vpl011Test, InterruptStatusFollowsDataMaskAndClear) {
    EXPECT_EQ(rd(0x03c), vpl011::kIntTx) << "RIS: transmit always has room";
    EXPECT_EQ(rd(0x040), 0u) << "MIS: all masked";
    EXPECT_FALSE(d->uart().irq_pending());
    wr(0x038, vpl011::kIntRx | vpl011::kIntRxTimeout);
    EXPECT_FALSE(d->uart().irq_pending());
    type("x");
    EXPECT_TRUE(d->uart().irq_pending());
    EXPECT_EQ(rd(0x040), vpl011::kIntRx | vpl011::kIntRxTimeout);
    wr(0x044, vpl011::kIntRx | vpl011::kIntRxTimeout);
    EXPECT_FALSE(d->uart().irq_pending()) << "cleared until new data";
    type("y");
    EXPECT_TRUE(d->uart().irq_pending());
    rd(0x000);
    rd(0x000);
    EXPECT_FALSE(d->uart().irq_pending()) << "drained";
    wr(0x038, vpl011::kIntTx);
    EXPECT_TRUE(d->uart().irq_pending());
    wr(0x044, vpl011::kIntTx);
    EXPECT_FALSE(d->uart().irq_pending());
    wr(0x000, 'z');
    EXPECT_TRUE(d->uart().irq_pending()) << "a byte sent: room again, the driver hears of it";
}

TEST_F(Vpl011Test, BadAccessesAreBusErrorsAndWritesToReadOnlyRegistersAreIgnored) {
    uint64_t v = 0;
    EXPECT_EQ(access(0x018, 8, false, v), mmio::Outcome::Refused) << "64-bit access";
    EXPECT_EQ(access(0x019, 2, false, v), mmio::Outcome::Refused) << "unaligned";
    EXPECT_EQ(access(0x02e, 2, false, v), mmio::Outcome::Done) << "an aligned half is fine";
    wr(0x018, 0xffff);
    wr(0x03c, 0xffff);
    wr(0xfe0, 0);
    EXPECT_EQ(rd(0x018), 0x90u);
    EXPECT_EQ(rd(0xfe0), 0x11u);
    wr(0x024, 0x12345);
    EXPECT_EQ(rd(0x024), 0x2345u) << "IBRD is 16 bits";
    EXPECT_EQ(rd(0x025, 1), 0x23u) << "byte reads pick their lane";
}

}  // namespace
}  // namespace warden
