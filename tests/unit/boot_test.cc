// SPDX-License-Identifier: Apache-2.0
// Building the boot-time domains from boot modules, over the fake machine.
#include "core/boot.h"

#include <gtest/gtest.h>

#include <cstring>

#include "fake_machine.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

constexpr uint64_t k2M = 2 * 1024 * 1024;

class BootTest : public ::testing::Test {
protected:
    test::FakeMachine machine{64 * 1024 * 1024};
    Hypervisor h;
    BootInfo info;
    void SetUp() override {
        ASSERT_TRUE(h.alloc().init(machine.ram_base(), machine.ram_size(), machine.ram_base()));
        h.alloc().reserve(machine.ram_base(), k2M);  // "the hypervisor image"
        info.ram_base = machine.ram_base();
        info.ram_size = machine.ram_size();
    }
    // An Image with the given text_offset, followed by a recognisable payload.
    void put_image(Pa at, uint64_t text_offset, uint64_t size) {
        uint8_t* p = machine.host(at);
        std::memset(p, 0, size);
        std::memcpy(p + 8, &text_offset, 8);
        std::memcpy(p + 16, &size, 8);
        std::memcpy(p + 0x38, "ARM\x64", 4);
        for (uint64_t i = 64; i < size; ++i) p[i] = static_cast<uint8_t>(i * 7);
    }
    void add_module(Pa at, uint64_t size, const char* bootargs) {
        BootModule& m = info.modules[info.module_count++];
        m.base = at;
        m.size = size;
        std::strncpy(m.bootargs, bootargs, sizeof m.bootargs - 1);
    }
};

TEST_F(BootTest, ImageHeaderIsRecognised) {
    put_image(Pa(0x40400000), 0x80000, 0x3000);
    ImageInfo img = parse_image_header(machine.host(Pa(0x40400000)), 0x3000);
    EXPECT_TRUE(img.is_image);
    EXPECT_EQ(img.text_offset, 0x80000u);
    EXPECT_EQ(img.image_size, 0x3000u);
    uint8_t raw[64] = {};
    EXPECT_FALSE(parse_image_header(raw, sizeof raw).is_image);
    EXPECT_FALSE(parse_image_header(raw, 10).is_image);
}

TEST_F(BootTest, Dom0IsIdentityMappedAndDomUsGetTheirOwnSpace) {
    put_image(Pa(0x40400000), 0, 0x3000);
    put_image(Pa(0x41000000), 0, 0x5000);
    add_module(Pa(0x40400000), 0x3000, "name=A mem=4M");
    add_module(Pa(0x41000000), 0x5000, "name=B mem=4M");
    ASSERT_EQ(build_boot_domains(h, info), 2u);

    Domain* d0 = h.domains().find(DomId{0});
    ASSERT_NE(d0, nullptr);
    EXPECT_TRUE(d0->privileged());
    EXPECT_EQ(d0->ram_base(), Ipa(0x40400000));
    EXPECT_EQ(d0->stage2().translate(Ipa(0x40400000)), Pa(0x40400000));
    EXPECT_EQ(d0->vcpu(0).regs.pc, 0x40400000u);
    EXPECT_EQ(d0->vcpu(0).state, VcpuState::Runnable);
    uint64_t dt0 = d0->vcpu(0).regs.x[0];
    EXPECT_EQ(dt0, 0x40400000u + 4 * 1024 * 1024 - kGuestDtMax);
    EXPECT_EQ(fdt_check_header(machine.host(Pa(dt0))), 0);

    Domain* d1 = h.domains().find(DomId{1});
    ASSERT_NE(d1, nullptr);
    EXPECT_FALSE(d1->privileged());
    EXPECT_EQ(d1->ram_base(), Ipa(kGuestRamBase));
    EXPECT_EQ(d1->vcpu(0).regs.pc, kGuestRamBase);
    EXPECT_EQ(std::memcmp(machine.host(d1->ram_pa()), machine.host(Pa(0x41000000)), 0x5000), 0);
    auto dt1 = d1->stage2().translate(Ipa(d1->vcpu(0).regs.x[0]));
    ASSERT_TRUE(dt1);
    const void* fdt = machine.host(*dt1);
    ASSERT_EQ(fdt_check_header(fdt), 0);
    int chosen = fdt_path_offset(fdt, "/chosen");
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(fdt, chosen, "bootargs", nullptr)),
                 "name=B mem=4M");
    EXPECT_NE(d1->ram_pa(), Pa(0x40400000)) << "domU RAM is not dom0's";
}

TEST_F(BootTest, VirtioTransportsArePassedThroughToDom0Only) {
    put_image(Pa(0x40400000), 0, 0x3000);
    put_image(Pa(0x41000000), 0, 0x3000);
    add_module(Pa(0x40400000), 0x3000, "mem=4M");
    add_module(Pa(0x41000000), 0x3000, "mem=4M");
    info.virtio_count = 2;
    info.virtio[0] = DeviceRegion{Pa(0x0a000000), 0x200};
    info.virtio[1] = DeviceRegion{Pa(0x0a000200), 0x200};
    ASSERT_EQ(build_boot_domains(h, info), 2u);
    Domain* d0 = h.domains().find(DomId{0});
    Domain* d1 = h.domains().find(DomId{1});
    EXPECT_EQ(d0->stage2().translate(Ipa(0x0a000200)), Pa(0x0a000200));
    EXPECT_FALSE(d0->stage2().translate(Ipa(0x0a001000)).has_value());
    EXPECT_FALSE(d1->stage2().translate(Ipa(0x0a000000)).has_value());
    EXPECT_FALSE(d0->in_ram(Ipa(0x0a000000), 4)) << "device memory is never copied to or from";
    const void* fdt = machine.host(Pa(d0->vcpu(0).regs.x[0]));
    EXPECT_GE(fdt_path_offset(fdt, "/virtio_mmio@a000200"), 0);
}

TEST_F(BootTest, DomUImageIsPlacedAtTextOffset) {
    put_image(Pa(0x40400000), 0, 0x3000);
    put_image(Pa(0x41000000), 0x80000, 0x2000);
    add_module(Pa(0x40400000), 0x3000, "mem=4M");
    add_module(Pa(0x41000000), 0x2000, "mem=4M");
    ASSERT_EQ(build_boot_domains(h, info), 2u);
    EXPECT_EQ(h.domains().find(DomId{1})->vcpu(0).regs.pc, kGuestRamBase + 0x80000);
}

TEST_F(BootTest, BadModulesAreSkippedAndTheRestStillBoot) {
    put_image(Pa(0x40500000), 0, 0x3000);  // dom0 not at a 2 MiB boundary
    put_image(Pa(0x41000000), 0, 0x5000);
    add_module(Pa(0x40500000), 0x3000, "");
    add_module(Pa(0x41000000), 0x5000, "mem=4M");
    EXPECT_EQ(build_boot_domains(h, info), 1u);
    EXPECT_NE(machine.console.find("2 MiB boundary"), std::string::npos) << machine.console;
}

TEST_F(BootTest, Dom0RamOverlappingUsedMemoryIsRefused) {
    put_image(Pa(0x40000000), 0, 0x3000);  // inside the reserved "hypervisor" area
    add_module(Pa(0x40000000), 0x3000, "");
    EXPECT_EQ(build_boot_domains(h, info), 0u);
    EXPECT_NE(machine.console.find("overlaps memory in use"), std::string::npos) << machine.console;
}

TEST_F(BootTest, DomUTooSmallForItsImageIsRefused) {
    put_image(Pa(0x40400000), 0, 0x3000);
    add_module(Pa(0x40400000), 0x3000, "mem=4M");
    put_image(Pa(0x41000000), 0, 0x1000);
    uint64_t huge = 0x400000;  // claims 4 MiB of image in 2 MiB of RAM
    std::memcpy(machine.host(Pa(0x41000000)) + 16, &huge, 8);
    add_module(Pa(0x41000000), 0x1000, "mem=2M");
    EXPECT_EQ(build_boot_domains(h, info), 1u);
    EXPECT_NE(machine.console.find("cannot hold"), std::string::npos) << machine.console;
}

TEST_F(BootTest, Dom0RamReachingIntoAnotherModuleIsRefused) {
    put_image(Pa(0x40400000), 0, 0x3000);
    put_image(Pa(0x41000000), 0, 0x1000);
    add_module(Pa(0x40400000), 0x3000, "mem=16M");  // would cover the module at 0x41000000
    add_module(Pa(0x41000000), 0x1000, "mem=2M");
    EXPECT_EQ(build_boot_domains(h, info), 1u);
    EXPECT_NE(machine.console.find("overlaps memory in use"), std::string::npos) << machine.console;
}

TEST_F(BootTest, Dom0ImageSizeCountsItsBss) {
    put_image(Pa(0x40400000), 0, 0x3000);
    uint64_t huge = 5ull << 20;  // BSS beyond the 4 MiB of RAM asked for
    std::memcpy(machine.host(Pa(0x40400000)) + 16, &huge, 8);
    add_module(Pa(0x40400000), 0x3000, "mem=4M");
    EXPECT_EQ(build_boot_domains(h, info), 0u);
    EXPECT_NE(machine.console.find("cannot hold its 5242880-byte image"), std::string::npos)
        << machine.console;
}

TEST_F(BootTest, NoModulesIsNotAnError) {
    EXPECT_EQ(build_boot_domains(h, info), 0u);
    EXPECT_NE(machine.console.find("no boot modules"), std::string::npos);
}

}  // namespace
}  // namespace warden

namespace warden {
namespace {

// The Linux boot protocol passes the device tree in x0; TF-A's QEMU port passes
// the MPIDR there and leaves the tree at the start of RAM. A small x0 is never
// dereferenced: the fake machine aborts the test on any access outside its RAM.
TEST(LocateDeviceTree, AcceptsBothHandoffs) {
    test::FakeMachine machine{4 * 1024 * 1024};
    const Pa start = machine.ram_base();
    const Pa other = start + 0x100000;
    for (Pa at : {start, other}) {
        ASSERT_EQ(fdt_create_empty_tree(machine.host(at), 4096), 0);
    }
    DtLocation loc = locate_device_tree(0, start);  // TF-A on CPU 0: x0 = 0
    EXPECT_TRUE(loc.found);
    EXPECT_FALSE(loc.from_x0);
    EXPECT_EQ(loc.at, start);
    loc = locate_device_tree(0xffff, start);  // any MPIDR & 0xffff
    EXPECT_TRUE(loc.found && !loc.from_x0);
    loc = locate_device_tree(other.value(), start);
    EXPECT_TRUE(loc.found && loc.from_x0);
    EXPECT_EQ(loc.at, other);
    loc = locate_device_tree(other.value() + 0x200000, start);  // RAM, but no tree there
    EXPECT_TRUE(loc.found && !loc.from_x0);
    loc = locate_device_tree(other.value() + 4, start);  // misaligned: not a tree pointer
    EXPECT_TRUE(loc.found && !loc.from_x0);

    std::memset(machine.host(start), 0, 4096);
    loc = locate_device_tree(0, start);
    EXPECT_FALSE(loc.found) << "neither handoff holds a tree";
}

}  // namespace
}  // namespace warden
