// SPDX-License-Identifier: Apache-2.0
#include "dt/guest_dt.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "warden/errno.h"

extern "C" {
#include <libfdt.h>
}

namespace warden {
namespace {

TEST(GuestDt, DescribesMemoryCpusPsciAndBootargs) {
    std::vector<char> buf(4096);
    GuestDtConfig cfg{0x40000000, 0x1000000, 2, "name=A mem=16M"};
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
    GuestDtConfig cfg{0x40000000, 0x1000000, 1, ""};
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kTooBig);
}

TEST(GuestDt, RejectsBadConfig) {
    std::vector<char> buf(4096);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {0, 0, 1, ""}), -abi::err::kInval);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {0, 4096, 0, ""}), -abi::err::kInval);
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), {0, 4096, 1, nullptr}), -abi::err::kInval);
}

TEST(GuestDt, AnInitrdIsNamedInChosenAndMustLieInRam) {
    std::vector<char> buf(4096);
    GuestDtConfig cfg{0x40000000, 0x1000000, 1, ""};
    cfg.initrd_start = 0x40e00000;
    cfg.initrd_end = 0x40e12345;
    ASSERT_GT(build_guest_dt(buf.data(), buf.size(), cfg), 0);
    int chosen = fdt_path_offset(buf.data(), "/chosen");
    ASSERT_GE(chosen, 0);
    int len = 0;
    const void* start = fdt_getprop(buf.data(), chosen, "linux,initrd-start", &len);
    ASSERT_NE(start, nullptr);
    EXPECT_EQ(len, 8);
    EXPECT_EQ(fdt64_ld(static_cast<const fdt64_t*>(start)), 0x40e00000u);  // may be unaligned
    const void* end = fdt_getprop(buf.data(), chosen, "linux,initrd-end", &len);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(fdt64_ld(static_cast<const fdt64_t*>(end)), 0x40e12345u);
    cfg.initrd_end = 0x41000001;  // one byte past RAM
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kInval);
    cfg.initrd_start = 0x3ffff000;  // below RAM
    cfg.initrd_end = 0x40001000;
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kInval);
    cfg.initrd_start = 0x40002000;  // ends before it starts
    EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kInval);
    cfg = GuestDtConfig{0x40000000, 0x1000000, 1, ""};
    ASSERT_GT(build_guest_dt(buf.data(), buf.size(), cfg), 0);
    EXPECT_EQ(fdt_getprop(buf.data(), fdt_path_offset(buf.data(), "/chosen"), "linux,initrd-start",
                          nullptr),
              nullptr)
        << "no initrd, no property";
}

// The tree as text: one line per node (its path), then one per property, its
// value as strings when it is NUL-terminated printable text, else as 32-bit cells.
void dump(const void* fdt, int node, const std::string& path, std::string& out) {
    out += path + "\n";
    for (int p = fdt_first_property_offset(fdt, node); p >= 0;
         p = fdt_next_property_offset(fdt, p)) {
        const char* name = nullptr;
        int len = 0;
        const auto* v = static_cast<const char*>(fdt_getprop_by_offset(fdt, p, &name, &len));
        bool text = len > 0 && v[len - 1] == '\0';
        for (int i = 0; text && i < len - 1; ++i) {
            text = v[i] == '\0' ? v[i + 1] != '\0' : (v[i] >= 0x20 && v[i] < 0x7f);
        }
        std::string value;
        if (text) {
            for (int i = 0; i < len - 1; i += static_cast<int>(std::strlen(v + i)) + 1) {
                value += (value.empty() ? "\"" : ", \"") + std::string(v + i) + "\"";
            }
        } else {
            value = "<";
            for (int i = 0; i + 4 <= len; i += 4) {
                uint32_t c;
                std::memcpy(&c, v + i, 4);
                char b[16];
                std::snprintf(b, sizeof b, "%s0x%x", i ? " " : "", fdt32_to_cpu(c));
                value += b;
            }
            value += ">";
        }
        out += "  " + std::string(name) + " = " + value + "\n";
    }
    for (int c = fdt_first_subnode(fdt, node); c >= 0; c = fdt_next_subnode(fdt, c)) {
        std::string child = fdt_get_name(fdt, c, nullptr);
        dump(fdt, c, (path == "/" ? "/" : path + "/") + child, out);
    }
}

// The block between the markers in docs/guest-device-tree.md.
std::string documented_tree() {
    std::ifstream in(WARDEN_SOURCE_DIR "/docs/guest-device-tree.md");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string doc = ss.str();
    const std::string begin = "<!-- guest-dt:begin -->\n```\n", end = "```\n<!-- guest-dt:end -->";
    size_t b = doc.find(begin), e = doc.find(end);
    if (b == std::string::npos || e == std::string::npos || e < b) return "(no tree in the doc)";
    return doc.substr(b + begin.size(), e - b - begin.size());
}

// Every guest receives the tree docs/guest-device-tree.md shows: the builder is
// the one the hypervisor uses at boot and the toolstack uses for its guests.
TEST(GuestDt, TheTreeIsTheDocumentedOne) {
    const GuestDtDevice virtio[] = {{0x0a003e00, 0x200}};
    GuestDtConfig cfg;
    cfg.ram_base = 0x40000000;
    cfg.ram_size = 16ull << 20;
    cfg.vcpus = 2;
    cfg.bootargs = "console=hvc0";
    cfg.virtio = virtio;
    cfg.virtio_count = 1;
    cfg.optee_method = "smc";
    std::vector<char> buf(kGuestDtMaxSize);
    int len = build_guest_dt(buf.data(), buf.size(), cfg);
    ASSERT_GT(len, 0);
    std::string tree;
    dump(buf.data(), 0, "/", tree);
    EXPECT_EQ(tree, documented_tree());
}

TEST(GuestDt, OpteeMethodIsSmcOrHvcOnly) {
    std::vector<char> buf(kGuestDtMaxSize);
    GuestDtConfig cfg;
    cfg.ram_base = 0x40000000;
    cfg.ram_size = 16ull << 20;
    cfg.optee_method = "hvc";
    ASSERT_GT(build_guest_dt(buf.data(), buf.size(), cfg), 0);
    int optee = fdt_path_offset(buf.data(), "/firmware/optee");
    ASSERT_GE(optee, 0);
    EXPECT_STREQ(static_cast<const char*>(fdt_getprop(buf.data(), optee, "method", nullptr)),
                 "hvc");
    for (const char* bad : {"svc", "", "smcx", "hv"}) {
        cfg.optee_method = bad;
        EXPECT_EQ(build_guest_dt(buf.data(), buf.size(), cfg), -abi::err::kInval) << bad;
    }
}

}  // namespace
}  // namespace warden
