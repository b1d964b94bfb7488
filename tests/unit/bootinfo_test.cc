// SPDX-License-Identifier: Apache-2.0
#include "core/bootinfo.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

std::vector<char> load(const char* path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(BootInfo, ParsesQemuVirt) {
    auto dtb = load(WARDEN_TEST_VIRT_DTB);
    ASSERT_FALSE(dtb.empty());
    BootInfo info;
    ASSERT_EQ(parse_boot_info(dtb.data(), info), BootInfoError::None);
    EXPECT_EQ(info.ram_base, Pa(0x40000000)) << "secure RAM (status disabled) is skipped";
    EXPECT_EQ(info.ram_size, 0x40000000u);
    EXPECT_EQ(info.uart, Pa(0x09000000)) << "stdout-path, not the secure UART";
    EXPECT_EQ(info.gicd, Pa(0x08000000));
    EXPECT_EQ(info.gicc, Pa(0x08010000));
    EXPECT_EQ(info.gich, Pa(0x08030000));
    EXPECT_EQ(info.gicv, Pa(0x08040000));
    ASSERT_EQ(info.module_count, 2u) << "the ramdisk is not a kernel";
    EXPECT_EQ(info.modules[0].base, Pa(0x48000000)) << "sorted by address";
    EXPECT_EQ(info.modules[0].size, 0x3000u);
    EXPECT_STREQ(info.modules[0].bootargs, "name=A");
    EXPECT_EQ(info.modules[1].base, Pa(0x4a000000));
    EXPECT_STREQ(info.modules[1].bootargs, "name=B mem=8M");
    ASSERT_EQ(info.virtio_count, 2u);
    EXPECT_EQ(info.virtio[0].base, Pa(0x0a000000));
    EXPECT_EQ(info.virtio[1].base, Pa(0x0a000200));
    EXPECT_EQ(info.virtio[1].size, 0x200u);
}

TEST(BootInfo, RejectsGarbage) {
    std::vector<char> junk(256, 0x5a);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(junk.data(), info), BootInfoError::BadHeader);
}

class BuiltTree : public ::testing::Test {
protected:
    std::vector<char> buf = std::vector<char>(8192);
    void* fdt = buf.data();
    int chosen = -1;
    void SetUp() override {
        ASSERT_EQ(fdt_create_empty_tree(fdt, static_cast<int>(buf.size())), 0);
        ASSERT_EQ(fdt_setprop_u32(fdt, 0, "#address-cells", 2), 0);
        ASSERT_EQ(fdt_setprop_u32(fdt, 0, "#size-cells", 2), 0);
        int mem = fdt_add_subnode(fdt, 0, "memory@40000000");
        ASSERT_GE(mem, 0);
        fdt_setprop_string(fdt, mem, "device_type", "memory");
        fdt64_t reg[2] = {cpu_to_fdt64(0x40000000), cpu_to_fdt64(0x10000000)};
        fdt_setprop(fdt, mem, "reg", reg, sizeof reg);
        chosen = fdt_add_subnode(fdt, 0, "chosen");
        ASSERT_GE(chosen, 0);
    }
    int add_module(uint64_t addr, uint64_t size, const void* bootargs = nullptr,
                   int bootargs_len = 0) {
        char name[32];
        snprintf(name, sizeof name, "module@%llx", static_cast<unsigned long long>(addr));
        int chosen_now = fdt_path_offset(fdt, "/chosen");
        int n = fdt_add_subnode(fdt, chosen_now, name);
        fdt_setprop_string(fdt, n, "compatible", "multiboot,kernel");
        fdt64_t reg[2] = {cpu_to_fdt64(addr), cpu_to_fdt64(size)};
        fdt_setprop(fdt, n, "reg", reg, sizeof reg);
        if (bootargs) fdt_setprop(fdt, n, "bootargs", bootargs, bootargs_len);
        return n;
    }
};

TEST_F(BuiltTree, NoMemoryNodeIsAnError) {
    int mem = fdt_path_offset(fdt, "/memory@40000000");
    ASSERT_GE(mem, 0);
    fdt_del_node(fdt, mem);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::NoMemory);
}

TEST_F(BuiltTree, UnterminatedOrHugeBootargsAreRejected) {
    const char unterminated[4] = {'a', 'b', 'c', 'd'};
    add_module(0x48000000, 0x1000, unterminated, 4);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadModule);
}

TEST_F(BuiltTree, BootargsUpTo255CharactersFitAndLongerOnesAreNamed) {
    char args[kMaxBootargs + 1];
    for (char& c : args) c = 'x';
    args[kMaxBootargs - 1] = '\0';  // 255 characters and the NUL
    add_module(0x48000000, 0x1000, args, kMaxBootargs);
    BootInfo info;
    ASSERT_EQ(parse_boot_info(fdt, info), BootInfoError::None);
    EXPECT_EQ(std::string(info.modules[0].bootargs), std::string(kMaxBootargs - 1, 'x'));

    args[kMaxBootargs - 1] = 'x';
    args[kMaxBootargs] = '\0';  // one more
    add_module(0x49000000, 0x1000, args, kMaxBootargs + 1);
    BootInfo again;
    EXPECT_EQ(parse_boot_info(fdt, again), BootInfoError::LongBootargs);
    EXPECT_STREQ(to_string(BootInfoError::LongBootargs),
                 "a boot module's bootargs are longer than 255 characters");
}

TEST_F(BuiltTree, ZeroSizedModuleIsRejected) {
    add_module(0x48000000, 0);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadModule);
}

TEST_F(BuiltTree, WrappingModuleIsRejected) {
    add_module(~uint64_t{0} - 0x10, 0x1000);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadModule);
}

TEST_F(BuiltTree, TooManyModules) {
    for (unsigned i = 0; i <= kMaxBootModules; ++i) add_module(0x48000000 + i * 0x100000, 0x1000);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::TooManyModules);
}

TEST_F(BuiltTree, RamdisksGoWithTheKernelBelowThem) {
    add_module(0x48000000, 0x1000);
    add_module(0x4a000000, 0x2000000);
    int rd = fdt_add_subnode(fdt, fdt_path_offset(fdt, "/chosen"), "module@4d000000");
    static const char kCompat[] = "multiboot,ramdisk\0multiboot,module";
    fdt_setprop(fdt, rd, "compatible", kCompat, sizeof kCompat);
    fdt64_t reg[2] = {cpu_to_fdt64(0x4d000000), cpu_to_fdt64(0x123456)};
    fdt_setprop(fdt, rd, "reg", reg, sizeof reg);
    BootInfo info;
    ASSERT_EQ(parse_boot_info(fdt, info), BootInfoError::None);
    ASSERT_EQ(info.module_count, 2u) << "a ramdisk is not a domain";
    EXPECT_EQ(info.modules[0].initrd_size, 0u);
    EXPECT_EQ(info.modules[1].initrd, Pa(0x4d000000));
    EXPECT_EQ(info.modules[1].initrd_size, 0x123456u);

    // A second ramdisk for the same kernel, or one overlapping it, is refused.
    int rd2 = fdt_add_subnode(fdt, fdt_path_offset(fdt, "/chosen"), "module@4e000000");
    fdt_setprop(fdt, rd2, "compatible", kCompat, sizeof kCompat);
    fdt64_t reg2[2] = {cpu_to_fdt64(0x4e000000), cpu_to_fdt64(0x1000)};
    fdt_setprop(fdt, rd2, "reg", reg2, sizeof reg2);
    BootInfo again;
    EXPECT_EQ(parse_boot_info(fdt, again), BootInfoError::BadModule);
}

TEST_F(BuiltTree, ARamdiskBelowEveryKernelIsRefused) {
    add_module(0x4a000000, 0x1000);
    int rd = fdt_add_subnode(fdt, fdt_path_offset(fdt, "/chosen"), "module@48000000");
    fdt_setprop_string(fdt, rd, "compatible", "multiboot,ramdisk");
    fdt64_t reg[2] = {cpu_to_fdt64(0x48000000), cpu_to_fdt64(0x1000)};
    fdt_setprop(fdt, rd, "reg", reg, sizeof reg);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadModule);
}

// What TF-A + OP-TEE put into QEMU's tree: a /memreserve/ entry, /reserved-memory
// children with a reg (one of them with two ranges) and one placed dynamically.
TEST_F(BuiltTree, ReservedMemoryIsCollected) {
    ASSERT_EQ(fdt_add_mem_rsv(fdt, 0x43000000, 0x100000), 0);
    int rm = fdt_add_subnode(fdt, 0, "reserved-memory");
    ASSERT_GE(rm, 0);
    fdt_setprop_u32(fdt, rm, "#address-cells", 2);
    fdt_setprop_u32(fdt, rm, "#size-cells", 2);
    int shm = fdt_add_subnode(fdt, rm, "optee_shm@42000000");
    fdt64_t reg[2] = {cpu_to_fdt64(0x42000000), cpu_to_fdt64(0x200000)};
    fdt_setprop(fdt, shm, "reg", reg, sizeof reg);
    fdt_setprop(fdt, shm, "no-map", nullptr, 0);
    int two = fdt_add_subnode(fdt, rm, "split@44000000");
    fdt64_t regs[4] = {cpu_to_fdt64(0x44000000), cpu_to_fdt64(0x1000), cpu_to_fdt64(0x45000000),
                       cpu_to_fdt64(0x2000)};
    fdt_setprop(fdt, two, "reg", regs, sizeof regs);
    int dyn = fdt_add_subnode(fdt, rm, "linux,cma");
    fdt_setprop_u64(fdt, dyn, "size", 0x1000000);
    int off = fdt_add_subnode(fdt, rm, "disabled@46000000");
    fdt64_t reg3[2] = {cpu_to_fdt64(0x46000000), cpu_to_fdt64(0x1000)};
    fdt_setprop(fdt, off, "reg", reg3, sizeof reg3);
    fdt_setprop_string(fdt, off, "status", "disabled");

    BootInfo info;
    ASSERT_EQ(parse_boot_info(fdt, info), BootInfoError::None);
    ASSERT_EQ(info.reserved_count, 4u);
    EXPECT_EQ(info.reserved[0].base, Pa(0x43000000));
    EXPECT_EQ(info.reserved[0].size, 0x100000u);
    EXPECT_STREQ(info.reserved[0].name, "/memreserve/");
    bool shm_seen = false, split_a = false, split_b = false;
    for (unsigned i = 1; i < info.reserved_count; ++i) {
        const auto& r = info.reserved[i];
        shm_seen |= r.base == Pa(0x42000000) && r.size == 0x200000 &&
                    std::string(r.name) == "optee_shm@42000000";
        split_a |= r.base == Pa(0x44000000) && r.size == 0x1000;
        split_b |= r.base == Pa(0x45000000) && r.size == 0x2000;
    }
    EXPECT_TRUE(shm_seen && split_a && split_b);
    EXPECT_EQ(info.reserved_unplaced, 1u) << "linux,cma has no reg: reported, not guessed";
}

TEST_F(BuiltTree, MalformedOrWrappingReservationsAreRefused) {
    int rm = fdt_add_subnode(fdt, 0, "reserved-memory");
    fdt_setprop_u32(fdt, rm, "#address-cells", 2);
    fdt_setprop_u32(fdt, rm, "#size-cells", 2);
    int n = fdt_add_subnode(fdt, rm, "bad");
    fdt32_t three[3] = {0, cpu_to_fdt32(0x42000000), 0};
    fdt_setprop(fdt, n, "reg", three, sizeof three);
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadReserved);
    fdt64_t wrap[2] = {cpu_to_fdt64(~uint64_t{0} - 0xfff), cpu_to_fdt64(0x2000)};
    fdt_setprop(fdt, n, "reg", wrap, sizeof wrap);
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::BadReserved);
}

TEST_F(BuiltTree, TooManyReservationsAreRefusedRatherThanDropped) {
    for (unsigned i = 0; i <= kMaxReserved; ++i) {
        ASSERT_EQ(fdt_add_mem_rsv(fdt, 0x50000000 + i * 0x100000, 0x1000), 0);
    }
    BootInfo info;
    EXPECT_EQ(parse_boot_info(fdt, info), BootInfoError::TooManyReserved);
}

TEST(BootargsMem, ParsesSizes) {
    EXPECT_EQ(bootargs_mem("mem=16M"), 16u << 20);
    EXPECT_EQ(bootargs_mem("name=x mem=2G"), uint64_t{2} << 30);
    EXPECT_EQ(bootargs_mem("mem=512k"), 512u << 10);
    EXPECT_EQ(bootargs_mem("mem=4096"), 4096u);
    EXPECT_EQ(bootargs_mem("xmem=16M"), 0u) << "must be a whole word";
    EXPECT_EQ(bootargs_mem("mem=16Q"), 0u);
    EXPECT_EQ(bootargs_mem("mem="), 0u);
    EXPECT_EQ(bootargs_mem("mem=99999999999999999999999M"), 0u) << "no overflow";
    EXPECT_EQ(bootargs_mem(""), 0u);
}

}  // namespace
}  // namespace warden

namespace warden {
namespace {

TEST(BootargsTee, ParsesTheRequest) {
    auto r = bootargs_tee("name=a warden.tee=optee");
    EXPECT_EQ(r.kind, BootTeeRequest::Optee);
    EXPECT_EQ(r.dt_method, abi::kTeeDtSmc);
    r = bootargs_tee("warden.tee=optee,smc x=1");
    EXPECT_EQ(r.kind, BootTeeRequest::Optee);
    EXPECT_EQ(r.dt_method, abi::kTeeDtSmc);
    r = bootargs_tee("warden.tee=optee,hvc");
    EXPECT_EQ(r.kind, BootTeeRequest::Optee);
    EXPECT_EQ(r.dt_method, abi::kTeeDtHvc);
    EXPECT_EQ(bootargs_tee("").kind, BootTeeRequest::None);
    EXPECT_EQ(bootargs_tee("xwarden.tee=optee").kind, BootTeeRequest::None) << "a whole word";
    for (const char* bad :
         {"warden.tee=", "warden.tee=sgx", "warden.tee=optee,", "warden.tee=OPTEE",
          "warden.tee=optee,hvc,smc", "warden.tee=opteeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"}) {
        r = bootargs_tee(bad);
        EXPECT_EQ(r.kind, BootTeeRequest::Malformed) << bad;
        EXPECT_LT(std::string(r.value).size(), sizeof r.value) << "the echo is bounded";
    }
}

TEST(BootargsTee, ReadsTheSharedMemoryQuota) {
    EXPECT_EQ(bootargs_tee("warden.tee=optee warden.tee_shm_pages=4097").shm_pages, 4097u);
    EXPECT_EQ(bootargs_tee("warden.tee_shm_pages=8 warden.tee=optee,hvc").shm_pages, 8u);
    EXPECT_EQ(bootargs_tee("warden.tee=optee").shm_pages, 0u) << "the default";
    for (const char* bad :
         {"warden.tee=optee warden.tee_shm_pages=12x", "warden.tee=optee xwarden.tee_shm_pages=12",
          "warden.tee=optee warden.tee_shm_pages=99999999999999999999"}) {
        EXPECT_EQ(bootargs_tee(bad).shm_pages, 0u) << bad;
    }
}

}  // namespace
}  // namespace warden
