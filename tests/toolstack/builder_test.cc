// SPDX-License-Identifier: Apache-2.0
// Guest building over the real hypervisor core (CoreTransport): success, the
// device tree's contents, and rollback when each step fails in turn.
#include "guest_builder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core_transport.h"
#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
}

namespace warden::toolstack {
namespace {

using testing::CoreTransport;

std::vector<uint8_t> fake_image(uint64_t text_offset = 0, size_t size = 8192) {
    std::vector<uint8_t> k(size, 0x5a);
    uint64_t image_size = size;
    std::memcpy(k.data() + 8, &text_offset, 8);
    std::memcpy(k.data() + 16, &image_size, 8);
    std::memcpy(k.data() + 0x38, "ARM\x64", 4);
    return k;
}

GuestConfig config(const std::string& name, TeeType tee = TeeType::Optee) {
    GuestConfig c;
    c.name = name;
    c.kernel = "k.bin";
    c.memory = 16ull << 20;
    c.tee = tee;
    c.bootargs = "hello";
    return c;
}

class BuilderTest : public ::testing::Test {
protected:
    std::shared_ptr<CoreTransport> t = std::make_shared<CoreTransport>();
    Hypervisor hv{t};
    GuestBuilder builder{hv};

    std::vector<uint8_t> read_guest(uint16_t id, uint64_t ipa, size_t n) {
        std::vector<uint8_t> out(n);
        EXPECT_TRUE(t->domain(id)->copy_from_guest(out.data(), Ipa(ipa), n));
        return out;
    }
};

TEST_F(BuilderTest, BuildsARunnableGuestWithItsTee) {
    auto k = fake_image(0x80000);
    auto id = builder.build(config("web"), k);
    ASSERT_TRUE(id.ok()) << id.error().message();
    auto info = hv.get_info(*id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->name, "web");
    EXPECT_EQ(info->state, DomainState::Created) << "unpaused, not yet scheduled";
    EXPECT_EQ(info->tee, TeeType::Optee);
    EXPECT_EQ(info->tee_client, *id + 1);
    EXPECT_TRUE(ToolData::decode(info->tool_data).built_by_toolstack);
    EXPECT_EQ(t->optee().partitions_of(static_cast<uint16_t>(*id + 1)), 1u);

    Vcpu& v = t->domain(*id)->vcpu(0);
    EXPECT_EQ(v.state, VcpuState::Runnable);
    EXPECT_EQ(v.regs.pc, kGuestRamBase + 0x80000);
    uint64_t dt = v.regs.x[0];
    EXPECT_EQ(dt, kGuestRamBase + (16ull << 20) - kDeviceTreeRoom);
    EXPECT_EQ(read_guest(*id, kGuestRamBase + 0x80000, k.size()), k);

    auto blob = read_guest(*id, dt, 4096);
    ASSERT_EQ(fdt_check_header(blob.data()), 0);
    int optee = fdt_path_offset(blob.data(), "/firmware/optee");
    ASSERT_GE(optee, 0);
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(blob.data(), optee, "method", nullptr)),
                 "smc");
    EXPECT_EQ(fdt_node_check_compatible(blob.data(), optee, "linaro,optee-tz"), 0);
}

TEST_F(BuilderTest, TheDeviceTreeIsTheHypervisorsOwn) {
    // One builder (runtime/dt): a toolstack-built guest gets byte for byte the
    // tree the hypervisor would build for the same guest.
    auto c = config("same", TeeType::Optee);
    c.tee_method = TeeMethod::Hvc;
    c.vcpus = 3;
    c.bootargs = "quiet";
    auto dt = build_device_tree(c, kGuestRamBase);
    ASSERT_TRUE(dt.ok());
    std::vector<uint8_t> direct(kGuestDtMaxSize);
    GuestDtConfig g;
    g.ram_base = kGuestRamBase;
    g.ram_size = c.memory;
    g.vcpus = 3;
    g.bootargs = "quiet";
    g.optee_method = "hvc";
    int len = build_guest_dt(direct.data(), direct.size(), g);
    ASSERT_GT(len, 0);
    direct.resize(static_cast<size_t>(len));
    EXPECT_EQ(*dt, direct);
}

TEST_F(BuilderTest, DeviceTreeContents) {
    auto c = config("dt", TeeType::None);
    c.vcpus = 2;
    auto dt = build_device_tree(c, kGuestRamBase);
    ASSERT_TRUE(dt.ok());
    const void* f = dt->data();
    EXPECT_LT(fdt_path_offset(f, "/firmware/optee"), 0) << "no TEE node without TEE";
    EXPECT_GE(fdt_path_offset(f, "/cpus/cpu@1"), 0);
    EXPECT_GE(fdt_path_offset(f, "/timer"), 0);
    int psci = fdt_path_offset(f, "/psci");
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(f, psci, "method", nullptr)), "hvc");
    int mem = fdt_path_offset(f, "/memory@40000000");
    ASSERT_GE(mem, 0);
    int len = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(f, mem, "reg", &len));
    ASSERT_EQ(len, 16);
    EXPECT_EQ(fdt32_to_cpu(reg[3]), 16u << 20);
    int chosen = fdt_path_offset(f, "/chosen");
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(f, chosen, "bootargs", nullptr)), "hello");
    c.tee = TeeType::Optee;
    c.tee_method = TeeMethod::Hvc;
    dt = build_device_tree(c, kGuestRamBase);
    int optee = fdt_path_offset(dt->data(), "/firmware/optee");
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(dt->data(), optee, "method", nullptr)),
                 "hvc");
}

TEST_F(BuilderTest, ExhaustionFailsAtEnableTeeAndLeavesNothingBehind) {
    ASSERT_TRUE(builder.build(config("a"), fake_image()).ok());
    ASSERT_TRUE(builder.build(config("b"), fake_image()).ok());
    auto third = builder.build(config("c"), fake_image());
    ASSERT_FALSE(third.ok());
    EXPECT_EQ(third.error().kind(), ErrorKind::Hypervisor);
    EXPECT_EQ(third.error().err(), abi::err::kNoSpc);
    EXPECT_EQ(third.error().domctl(), abi::kTeeEnable)
        << "what failed travels as a value, not only in the sentence";
    EXPECT_NE(third.error().reason().find("enable TEE"), std::string::npos)
        << third.error().reason();
    EXPECT_EQ(third.error().step(), BuildStep::EnableTee);
    ASSERT_TRUE(third.error().tee_occupancy().has_value()) << "the hypervisor said how full";
    EXPECT_EQ(third.error().tee_occupancy()->limit, 2u);
    EXPECT_EQ(third.error().tee_occupancy()->in_use, 2u);
    EXPECT_NE(third.error().reason().find("(2 of 2 client IDs in use)"), std::string::npos)
        << third.error().reason();
    auto all = hv.list();
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 3u) << "dom0, a, b: the failed guest was destroyed";
    EXPECT_EQ(t->optee().partitions(), 2u);
}

TEST_F(BuilderTest, EveryFailingStepRollsBack) {
    const struct {
        uint32_t cmd;
        BuildStep step;
    } steps[] = {
        {abi::kCreateDomain, BuildStep::Create}, {abi::kCopyToDomain, BuildStep::LoadKernel},
        {abi::kTeeEnable, BuildStep::EnableTee}, {abi::kSetVcpuEntry, BuildStep::SetEntry},
        {abi::kUnpause, BuildStep::Unpause},
    };
    for (const auto& s : steps) {
        t->inject = [&](uint32_t cmd) -> std::optional<Result<int64_t>> {
            if (cmd == s.cmd) return Result<int64_t>(int64_t{-abi::err::kIo});
            return std::nullopt;
        };
        auto r = builder.build(config("x"), fake_image());
        t->inject = nullptr;
        ASSERT_FALSE(r.ok()) << to_string(s.step);
        EXPECT_EQ(r.error().reason().rfind(to_string(s.step), 0), 0u) << r.error().reason();
        auto all = hv.list();
        ASSERT_TRUE(all.ok());
        EXPECT_EQ(all->size(), 1u) << "only dom0 left after failing at " << to_string(s.step);
        EXPECT_EQ(t->optee().partitions(), 0u) << "no client ID kept after " << to_string(s.step);
    }
    // The device tree is the second load: fail only that one.
    int loads = 0;
    t->inject = [&](uint32_t cmd) -> std::optional<Result<int64_t>> {
        if (cmd == abi::kCopyToDomain && ++loads == 2) return Result<int64_t>(int64_t{-14});
        return std::nullopt;
    };
    auto r = builder.build(config("y"), fake_image());
    t->inject = nullptr;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason().rfind("load device tree", 0), 0u) << r.error().reason();
    EXPECT_EQ(hv.list()->size(), 1u);
    EXPECT_EQ(t->optee().partitions(), 0u);
}

TEST_F(BuilderTest, TransportFailureDuringBuildStillRollsBack) {
    t->inject = [&](uint32_t cmd) -> std::optional<Result<int64_t>> {
        if (cmd == abi::kSetVcpuEntry)
            return Result<int64_t>(Error(ErrorKind::Timeout, "no answer"));
        return std::nullopt;
    };
    auto r = builder.build(config("z"), fake_image());
    t->inject = nullptr;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Timeout);
    EXPECT_EQ(hv.list()->size(), 1u);
}

TEST_F(BuilderTest, BadInputIsRefusedBeforeTouchingTheHypervisor) {
    uint64_t before = t->domctls();
    auto c = config("big");
    c.memory = 2ull << 20;
    auto r = builder.build(c, fake_image(0, 3 << 20));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidInput);
    EXPECT_NE(r.error().reason().find("cannot hold"), std::string::npos);
    EXPECT_FALSE(builder.build(config("Bad Name"), fake_image()).ok());
    auto be = fake_image();
    be[24] = 1;  // Image header flags: bit 0, big-endian
    auto r2 = builder.build(config("be"), be);
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().reason().find("big-endian"), std::string::npos) << r2.error().reason();
    EXPECT_FALSE(builder.build(config("empty"), {}).ok());
    EXPECT_EQ(t->domctls(), before);
}

TEST_F(BuilderTest, AnInitrdGoesBelowTheDeviceTreeAndIsNamedInIt) {
    std::vector<uint8_t> rd(300000);
    for (size_t i = 0; i < rd.size(); ++i) rd[i] = static_cast<uint8_t>(i * 7);
    auto id = builder.build(config("rd"), fake_image(), rd, false);
    ASSERT_TRUE(id.ok()) << id.error().message();
    const uint64_t dt = kGuestRamBase + (16ull << 20) - kDeviceTreeRoom;
    auto chosen_u64 = [&](const char* prop) {
        auto blob = read_guest(*id, dt, 4096);
        int chosen = fdt_path_offset(blob.data(), "/chosen");
        int len = 0;
        const void* v = fdt_getprop(blob.data(), chosen, prop, &len);
        EXPECT_EQ(len, 8) << prop;
        return v ? fdt64_ld(static_cast<const fdt64_t*>(v)) : 0;  // may be unaligned
    };
    const uint64_t start = chosen_u64("linux,initrd-start");
    EXPECT_EQ(start % 4096, 0u);
    EXPECT_EQ(chosen_u64("linux,initrd-end"), start + rd.size());
    EXPECT_LE(start + rd.size(), dt) << "below the device tree";
    EXPECT_GT(start, kGuestRamBase + 8192) << "above the kernel";
    EXPECT_EQ(read_guest(*id, start, rd.size()), rd);
    EXPECT_EQ(ToolData::decode(hv.get_info(*id)->tool_data).initrd_size, rd.size());

    // A changed TEE rewrites the tree before the first run: the range stays.
    auto c = config("rd");
    c.tee = TeeType::None;
    ASSERT_TRUE(builder.rewrite_device_tree(*id, c).ok());
    EXPECT_EQ(chosen_u64("linux,initrd-start"), start);
    EXPECT_EQ(chosen_u64("linux,initrd-end"), start + rd.size());
    ASSERT_TRUE(builder.record_tool_data(*id, c).ok());
    EXPECT_EQ(ToolData::decode(hv.get_info(*id)->tool_data).initrd_size, rd.size());
}

TEST_F(BuilderTest, AKernelAndInitrdThatDoNotFitAreRefusedBeforeAnythingIsCreated) {
    uint64_t before = t->domctls();
    auto c = config("tight");
    c.memory = 4ull << 20;
    std::vector<uint8_t> rd(2u << 20);
    auto r = builder.build(c, fake_image(0, 2u << 20), rd);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidInput);
    EXPECT_NE(r.error().reason().find("-byte initrd"), std::string::npos) << r.error().reason();
    EXPECT_EQ(t->domctls(), before);
}

TEST_F(BuilderTest, NoTeePlatformGivesENODEV) {
    auto none = std::make_shared<CoreTransport>(testing::CoreTransportConfig{0});
    Hypervisor h(none);
    GuestBuilder b(h);
    auto r = b.build(config("t"), fake_image());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err(), abi::err::kNoDev);
    EXPECT_EQ(h.list()->size(), 1u);
}

}  // namespace
}  // namespace warden::toolstack
