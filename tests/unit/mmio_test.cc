// SPDX-License-Identifier: Apache-2.0
// The data-abort syndrome decoder, the register semantics of emulated loads and
// stores, the per-domain device bus, and what the hypervisor does with an
// access: emulate it, or give the guest an external abort.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/domain.h"
#include "core/hv.h"
#include "core/mmio.h"
#include "unit/fake_machine.h"

namespace warden {
namespace {

// A data abort from a lower EL with the fields the syndrome can carry.
struct Syndrome {
    bool isv = true;
    unsigned sas = 2;  // 0: byte .. 3: doubleword
    bool sse = false;
    unsigned srt = 0;
    bool sf = false;
    bool wnr = false;
    bool il = true;
    bool s1ptw = false;
    bool cm = false;
    unsigned dfsc = 0x07;  // translation fault, level 3
    unsigned ec = 0x24;

    uint64_t esr() const {
        return (uint64_t{ec} << 26) | (uint64_t{il} << 25) | (uint64_t{isv} << 24) |
               (uint64_t{sas} << 22) | (uint64_t{sse} << 21) | (uint64_t{srt} << 16) |
               (uint64_t{sf} << 15) | (uint64_t{cm} << 8) | (uint64_t{s1ptw} << 7) |
               (uint64_t{wnr} << 6) | dfsc;
    }
};

TEST(MmioDecode, EveryFieldOfALoadOrStore) {
    const Ipa at(0x09000018);
    for (unsigned sas = 0; sas < 4; ++sas) {
        for (unsigned srt : {0u, 7u, 30u, 31u}) {
            for (bool wnr : {false, true}) {
                for (bool sf : {false, true}) {
                    Syndrome s;
                    s.sas = sas;
                    s.srt = srt;
                    s.wnr = wnr;
                    s.sf = sf;
                    const auto d = mmio::decode(s.esr(), at);
                    ASSERT_EQ(d.result, mmio::Decode::Ok);
                    EXPECT_EQ(d.access.addr, at);
                    EXPECT_EQ(d.access.size, 1u << sas);
                    EXPECT_EQ(d.access.reg, srt);
                    EXPECT_EQ(d.access.write, wnr);
                    EXPECT_EQ(d.access.wide, sf);
                    EXPECT_FALSE(d.access.sign_extend);
                    EXPECT_EQ(d.access.insn_bytes, 4u);
                }
            }
        }
    }
}

TEST(MmioDecode, SignExtensionOnlyForLoadsAndInstructionLength) {
    Syndrome load;
    load.sse = true;
    load.sas = 0;
    EXPECT_TRUE(mmio::decode(load.esr(), Ipa(0)).access.sign_extend);
    Syndrome store = load;
    store.wnr = true;
    EXPECT_FALSE(mmio::decode(store.esr(), Ipa(0)).access.sign_extend) << "stores do not extend";
    Syndrome t16;
    t16.il = false;
    EXPECT_EQ(mmio::decode(t16.esr(), Ipa(0)).access.insn_bytes, 2u);
}

TEST(MmioDecode, WhatCannotBeEmulatedIsSaidSo) {
    Syndrome no_isv;
    no_isv.isv = false;  // LDP, writeback, SIMD: no register in the syndrome
    EXPECT_EQ(mmio::decode(no_isv.esr(), Ipa(0)).result, mmio::Decode::NoSyndrome);
    Syndrome walk;
    walk.s1ptw = true;
    EXPECT_EQ(mmio::decode(walk.esr(), Ipa(0)).result, mmio::Decode::TableWalk);
    Syndrome cm;
    cm.cm = true;
    EXPECT_EQ(mmio::decode(cm.esr(), Ipa(0)).result, mmio::Decode::CacheMaintenance);
    for (unsigned dfsc : {0x00u, 0x03u, 0x09u, 0x0du, 0x10u, 0x21u, 0x2bu}) {
        Syndrome other;
        other.dfsc = dfsc;
        EXPECT_EQ(mmio::decode(other.esr(), Ipa(0)).result, mmio::Decode::NotTranslationFault)
            << "dfsc " << dfsc;
    }
    for (unsigned dfsc : {0x04u, 0x05u, 0x06u, 0x07u}) {
        Syndrome tf;
        tf.dfsc = dfsc;
        EXPECT_EQ(mmio::decode(tf.esr(), Ipa(0)).result, mmio::Decode::Ok) << "level " << dfsc - 4;
    }
    Syndrome iabt;
    iabt.ec = 0x20;
    EXPECT_EQ(mmio::decode(iabt.esr(), Ipa(0)).result, mmio::Decode::NotDataAbort);
}

mmio::Access load(uint8_t size, uint8_t reg, bool wide, bool sign) {
    mmio::Access a;
    a.size = size;
    a.reg = reg;
    a.wide = wide;
    a.sign_extend = sign;
    return a;
}

TEST(MmioRegisters, LoadsExtendAsTheInstructionSays) {
    GuestRegs r{};
    r.x[1] = 0xdeadbeefdeadbeef;
    mmio::complete_load(r, load(1, 1, false, false), 0x1234'5680);  // LDRB w1
    EXPECT_EQ(r.x[1], 0x80u) << "zero-extended, upper bytes of the device's value dropped";
    mmio::complete_load(r, load(1, 1, false, true), 0x80);  // LDRSB w1
    EXPECT_EQ(r.x[1], 0xffffff80u) << "a W register: sign to bit 31, upper half cleared";
    mmio::complete_load(r, load(1, 1, true, true), 0x80);  // LDRSB x1
    EXPECT_EQ(r.x[1], 0xffffffffffffff80u);
    mmio::complete_load(r, load(2, 1, true, true), 0x7fff);  // LDRSH x1, positive
    EXPECT_EQ(r.x[1], 0x7fffu);
    mmio::complete_load(r, load(4, 1, true, true), 0x80000000);  // LDRSW x1
    EXPECT_EQ(r.x[1], 0xffffffff80000000u);
    r.x[1] = ~uint64_t{0};
    mmio::complete_load(r, load(4, 1, false, false), 0x11223344);  // LDR w1
    EXPECT_EQ(r.x[1], 0x11223344u) << "writing Wt clears the upper half";
    mmio::complete_load(r, load(8, 1, true, false), 0x1122334455667788);
    EXPECT_EQ(r.x[1], 0x1122334455667788u);
    GuestRegs before = r;
    mmio::complete_load(r, load(8, 31, true, false), 0x99);  // LDR xzr
    EXPECT_EQ(0, std::memcmp(&before, &r, sizeof r)) << "XZR discards the value";
}

TEST(MmioRegisters, StoresTakeTheLowBytesAndXzrIsZero) {
    GuestRegs r{};
    r.x[3] = 0x1122334455667788;
    mmio::Access a;
    a.write = true;
    a.reg = 3;
    for (uint8_t size : {1, 2, 4, 8}) {
        a.size = size;
        const uint64_t mask = size == 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
        EXPECT_EQ(mmio::store_value(r, a), r.x[3] & mask);
    }
    a.reg = 31;
    r.x[30] = 0xffff;
    EXPECT_EQ(mmio::store_value(r, a), 0u);
}

// A device that records what it was asked and answers from `regs`.
struct Recorder {
    uint64_t regs[4] = {0x11, 0x22, 0x33, 0x44};
    std::string log;
    bool refuse = false;
};
const mmio::Device kRecorder = {
    "recorder",
    [](void* ctx, Vcpu&, uint64_t offset, uint8_t size, uint64_t& value) {
        auto& r = *static_cast<Recorder*>(ctx);
        r.log += "r" + std::to_string(offset) + "/" + std::to_string(size) + " ";
        value = r.regs[(offset / 8) % 4];
        return !r.refuse;
    },
    [](void* ctx, Vcpu&, uint64_t offset, uint8_t size, uint64_t value) {
        auto& r = *static_cast<Recorder*>(ctx);
        r.log += "w" + std::to_string(offset) + "/" + std::to_string(size) + "=" +
                 std::to_string(value) + " ";
        return !r.refuse;
    },
};

TEST(MmioBus, RangesAreDisjointBoundedAndWhole) {
    mmio::Bus bus;
    Recorder rec;
    EXPECT_TRUE(bus.add(Ipa(0x1000), 0x1000, kRecorder, &rec));
    EXPECT_FALSE(bus.add(Ipa(0x1800), 0x1000, kRecorder, &rec)) << "overlaps";
    EXPECT_FALSE(bus.add(Ipa(0x0800), 0x1000, kRecorder, &rec)) << "overlaps the start";
    EXPECT_FALSE(bus.add(Ipa(0x3000), 0, kRecorder, &rec)) << "empty";
    EXPECT_FALSE(bus.add(Ipa(~uint64_t{0} - 0xff), 0x1000, kRecorder, &rec)) << "wraps";
    EXPECT_TRUE(bus.add(Ipa(0x2000), 0x1000, kRecorder, &rec)) << "adjacent is fine";
    EXPECT_NE(bus.find(Ipa(0x1ff8), 8), nullptr);
    EXPECT_EQ(bus.find(Ipa(0x1ffc), 8), nullptr) << "an access across two devices is no one's";
    EXPECT_EQ(bus.find(Ipa(0x0fff), 1), nullptr);
    EXPECT_EQ(bus.find(Ipa(0x3000), 1), nullptr);
    for (unsigned i = 2; i < mmio::Bus::kMaxRegions; ++i) {
        EXPECT_TRUE(bus.add(Ipa(0x10000 * (i + 1)), 0x100, kRecorder, &rec));
    }
    EXPECT_FALSE(bus.add(Ipa(0x900000), 0x100, kRecorder, &rec)) << "full";
    bus.clear();
    EXPECT_EQ(bus.find(Ipa(0x1000), 1), nullptr);
    EXPECT_EQ(bus.count(), 0u);
}

class MmioTrapTest : public ::testing::Test {
protected:
    test::FakeMachine machine;
    PageAllocator alloc;
    DomainTable domains{alloc};
    Domain* d = nullptr;
    Recorder rec;

    void SetUp() override {
        ASSERT_TRUE(alloc.init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        DomainConfig cfg;
        cfg.ram_size = 2 * 1024 * 1024;
        ASSERT_EQ(domains.create(cfg, &d), 0);
        ASSERT_TRUE(d->mmio().add(Ipa(0x0a000000), 0x1000, kRecorder, &rec));
    }
    bool trap(const Syndrome& s, uint64_t ipa) {
        return hv().on_data_abort(d->vcpu(0), s.esr(), Ipa(ipa),
                                  0xffff000012345000 | (ipa & 0xfff));
    }
};

TEST_F(MmioTrapTest, AClaimedAccessIsEmulatedAndItsInstructionSkipped) {
    Vcpu& v = d->vcpu(0);
    Syndrome ldr;  // LDR x5, [...] at offset 8
    ldr.sas = 3;
    ldr.srt = 5;
    ldr.sf = true;
    EXPECT_TRUE(trap(ldr, 0x0a000008)) << "done: the caller steps over the instruction";
    EXPECT_EQ(v.regs.x[5], 0x22u);
    Syndrome str;  // STRB w2
    str.sas = 0;
    str.srt = 2;
    str.wnr = true;
    v.regs.x[2] = 0x1ff;
    EXPECT_TRUE(trap(str, 0x0a000010));
    EXPECT_EQ(rec.log, "r8/8 w16/1=255 ");
    EXPECT_TRUE(machine.aborts_injected.empty());
    EXPECT_EQ(d->mmio_faults(), 0u);
}

TEST_F(MmioTrapTest, AnUnclaimedOrRefusedAccessIsTheGuestsExternalAbort) {
    Syndrome ldr;
    EXPECT_FALSE(trap(ldr, 0x20000000)) << "not skipped: the guest takes an abort at it";
    ASSERT_EQ(machine.aborts_injected.size(), 1u);
    EXPECT_EQ(machine.aborts_injected[0].va, 0xffff000012345000u) << "the guest's own address";
    EXPECT_FALSE(machine.aborts_injected[0].write);
    EXPECT_NE(machine.console.find("read at IPA 0x20000000"), std::string::npos);
    EXPECT_NE(machine.console.find("no device there"), std::string::npos);

    rec.refuse = true;
    Syndrome str;
    str.wnr = true;
    EXPECT_FALSE(trap(str, 0x0a000000));
    ASSERT_EQ(machine.aborts_injected.size(), 2u);
    EXPECT_TRUE(machine.aborts_injected[1].write);
    EXPECT_NE(machine.console.find("the device refused it"), std::string::npos);

    Syndrome pair;
    pair.isv = false;  // an LDP to the device: nothing to emulate it with
    rec.refuse = false;
    rec.log.clear();
    EXPECT_FALSE(trap(pair, 0x0a000000));
    EXPECT_EQ(rec.log, "") << "the device never saw it";
    EXPECT_EQ(machine.aborts_injected.size(), 3u);
    EXPECT_EQ(d->mmio_faults(), 3u);
    EXPECT_TRUE(d->alive());
}

TEST_F(MmioTrapTest, AGuestCannotFloodTheLog) {
    Syndrome ldr;
    for (int i = 0; i < 1000; ++i) trap(ldr, 0x20000000);
    size_t lines = 0;
    for (size_t at = 0;
         (at = machine.console.find("external abort injected", at)) != std::string::npos; ++at) {
        ++lines;
    }
    EXPECT_EQ(lines, 16u);
    EXPECT_NE(machine.console.find("further ones not logged"), std::string::npos);
    EXPECT_EQ(d->mmio_faults(), 1000u) << "all counted";
    EXPECT_EQ(machine.aborts_injected.size(), 1000u) << "and all delivered";
}

TEST_F(MmioTrapTest, AGuestThatCannotTakeTheAbortIsStopped) {
    machine.abort_cannot_be_taken = true;
    Syndrome ldr;
    // The hypervisor's own (empty) domain table has nothing left to run: the
    // platform ends, which the fake machine reports by throwing.
    EXPECT_THROW(trap(ldr, 0x20000000), test::PlatformExit);
    EXPECT_FALSE(d->alive());
    EXPECT_EQ(d->shutdown_reason(), ShutdownReason::Crash);
    EXPECT_NE(machine.console.find("cannot take an abort"), std::string::npos);
}

}  // namespace
}  // namespace warden
