// SPDX-License-Identifier: Apache-2.0
#include "config.h"

#include <gtest/gtest.h>

#include "hypervisor.h"
#include "size.h"
#include "warden/domctl.h"

namespace warden::toolstack {
namespace {

Result<GuestConfig> parse(const std::string& text) {
    return parse_guest_config(text, "web.toml", "/etc/warden/guests");
}

std::string error_of(const std::string& text) {
    auto r = parse(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "" : r.error().reason();
}

TEST(GuestConfig, ParsesEveryField) {
    auto r = parse(R"(
name = "web-1"
kernel = "web.bin"
memory = "64M"
vcpus = 2
tee = "optee"
tee_method = "hvc"
bootargs = "console=hvc0"
[quotas]
tee_sessions = 8
tee_shm_pages = 512
)");
    ASSERT_TRUE(r.ok()) << r.error().reason();
    EXPECT_EQ(r->name, "web-1");
    EXPECT_EQ(r->kernel, "/etc/warden/guests/web.bin");
    EXPECT_EQ(r->memory, 64ull << 20);
    EXPECT_EQ(r->vcpus, 2u);
    EXPECT_EQ(r->tee, TeeType::Optee);
    EXPECT_EQ(r->tee_method, TeeMethod::Hvc);
    EXPECT_EQ(r->bootargs, "console=hvc0");
    EXPECT_EQ(r->quotas.tee_sessions, 8u);
    EXPECT_EQ(r->quotas.tee_shm_pages, 512u);
}

TEST(GuestConfig, AnInitrdIsOptionalAndRelativeToTheFile) {
    auto r = parse("name = \"a\"\nkernel = \"k\"\ninitrd = \"rd/initramfs.cpio.gz\"\n");
    ASSERT_TRUE(r.ok()) << r.error().reason();
    EXPECT_EQ(r->initrd, "/etc/warden/guests/rd/initramfs.cpio.gz");
    r = parse("name = \"a\"\nkernel = \"k\"\ninitrd = \"/boot/initrd\"\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->initrd, "/boot/initrd");
    EXPECT_TRUE(parse("name = \"a\"\nkernel = \"k\"\n")->initrd.empty());
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\ninitrd = \"\"\n"),
              "web.toml:3: initrd: empty path");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\ninitrd = 3\n"),
              "web.toml:3: initrd: expected a string");
}

TEST(GuestConfig, DefaultsAndIntegerMemory) {
    auto r = parse("name = \"a\"\nkernel = \"/abs/k.bin\"\nmemory = 32\n");
    ASSERT_TRUE(r.ok()) << r.error().reason();
    EXPECT_EQ(r->kernel, "/abs/k.bin");
    EXPECT_EQ(r->memory, 32ull << 20);
    EXPECT_EQ(r->vcpus, 1u);
    EXPECT_EQ(r->tee, TeeType::None);
    EXPECT_EQ(r->tee_method, TeeMethod::Smc);
}

TEST(GuestConfig, ErrorsNameTheFileLineAndField) {
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\nmemory = \"3M\"\n"),
              "web.toml:3: memory: expected 2 MiB to 1 GiB, a multiple of 2 MiB (e.g. \"64M\")");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\ntee = \"sgx\"\n"),
              "web.toml:3: tee: \"sgx\": expected \"optee\" or \"none\"");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\nmemroy = \"64M\"\n"),
              "web.toml:3: memroy: unknown key");
    EXPECT_EQ(error_of("name = \"Web!\"\nkernel = \"k\"\n").substr(0, 18), "web.toml:1: name: ");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\nvcpus = 9\n"),
              "web.toml:3: vcpus: expected 1 to 4");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\ntee_method = \"svc\"\n"),
              "web.toml:3: tee_method: \"svc\": expected \"smc\" or \"hvc\"");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\n[quotas]\ntee_sessions = 0\n"),
              "web.toml:4: quotas.tee_sessions: expected 1 to 128");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = \"k\"\n[quotas]\nthreads = 2\n"),
              "web.toml:4: quotas.threads: unknown quota");
    EXPECT_EQ(error_of("kernel = \"k\"\n"), "web.toml: name: required");
    EXPECT_EQ(error_of("name = \"a\"\n"), "web.toml: kernel: required");
    EXPECT_EQ(error_of("name = \"a\"\nkernel = 5\n"), "web.toml:2: kernel: expected a string");
    EXPECT_NE(error_of("name = \"a\nkernel").find("web.toml:1"), std::string::npos)
        << "TOML syntax errors carry the line too";
}

TEST(GuestConfig, ErrorsCarryTheFieldAsAValue) {
    auto field_of = [](const std::string& text) {
        auto r = parse(text);
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? "" : r.error().field();
    };
    EXPECT_EQ(field_of("name = \"a\"\nkernel = \"k\"\nmemory = \"3M\"\n"), "memory");
    EXPECT_EQ(field_of("name = \"a\"\nkernel = \"k\"\n[quotas]\ntee_sessions = 0\n"),
              "quotas.tee_sessions");
    EXPECT_EQ(field_of("kernel = \"k\"\n"), "name");
    EXPECT_EQ(field_of("name = \"a\nkernel"), "") << "a syntax error is no one field's";
}

// The limits are the hypervisor's (warden/domctl.h), not a copy of them.
TEST(GuestConfig, LimitsAreTheAbis) {
    GuestConfig c;
    c.name = "a";
    c.kernel = "/k";
    c.memory = abi::kDomainRamMax;
    c.vcpus = abi::kMaxVcpus;
    EXPECT_TRUE(validate_guest_config(c).ok());
    c.memory = abi::kDomainRamMax + abi::kDomainRamAlign;
    EXPECT_EQ(validate_guest_config(c).error().field(), "memory");
    c.memory = abi::kDomainRamMin;
    EXPECT_TRUE(validate_guest_config(c).ok());
    c.memory = abi::kDomainRamMin + abi::kDomainRamAlign / 2;
    EXPECT_FALSE(validate_guest_config(c).ok());
    c.memory = abi::kDomainRamMin;
    c.vcpus = abi::kMaxVcpus + 1;
    EXPECT_EQ(validate_guest_config(c).error().field(), "vcpus");
    EXPECT_EQ(parse("name = \"a\"\nkernel = \"k\"\nmemory = " +
                    std::to_string(abi::kDomainRamMax >> 20) + "\n")
                  ->memory,
              abi::kDomainRamMax)
        << "a bare integer is MiB, up to the maximum";
}

TEST(DomainState, OneSpellingForEveryLayer) {
    EXPECT_STREQ(to_string(ShutdownReason::CpusOff), "cpus-off");
    EXPECT_STREQ(to_string(ShutdownReason::CpusOff), abi::shutdown_name(abi::kShutdownCpusOff));
    EXPECT_STREQ(to_string(ShutdownReason::PowerOff), "poweroff");
    EXPECT_STREQ(to_string(ShutdownReason::Unknown), "unknown");
    EXPECT_STREQ(to_string(DomainState::Paused), abi::domain_state_name(abi::kStatePaused));
    EXPECT_STREQ(to_string(DomainState::Unknown), "unknown");
}

TEST(GuestConfig, NamesAndValidationOfApiFields) {
    EXPECT_TRUE(valid_guest_name("web-1"));
    EXPECT_FALSE(valid_guest_name("1web"));
    EXPECT_FALSE(valid_guest_name("Web"));
    EXPECT_FALSE(valid_guest_name(std::string(32, 'a')));
    GuestConfig c;
    c.name = "ok";
    c.kernel = "k";
    EXPECT_TRUE(validate_guest_config(c).ok());
    c.memory = 1;
    EXPECT_EQ(validate_guest_config(c).error().reason().substr(0, 7), "memory:");
}

}  // namespace
}  // namespace warden::toolstack

namespace warden::toolstack {
namespace {

// One parser for the daemon and the CLI: a bare number is MiB, and nothing
// wraps around (memory = "17179869185G" used to read as 1 GiB).
TEST(ParseSize, BoundariesAndOverflow) {
    static_assert(parse_size("64M") == 64ull << 20, "usable at compile time");
    EXPECT_EQ(parse_size("64"), 64ull << 20) << "a bare number is MiB";
    EXPECT_EQ(parse_size("2m"), 2ull << 20);
    EXPECT_EQ(parse_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_size("4k"), 4096u);
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size(""), 0u);
    EXPECT_EQ(parse_size("G"), 0u);
    EXPECT_EQ(parse_size("1.5G"), 0u);
    EXPECT_EQ(parse_size("1GB"), 0u);
    EXPECT_EQ(parse_size(" 1G"), 0u);
    EXPECT_EQ(parse_size("-1"), 0u);
    EXPECT_EQ(parse_size("17179869183G"), 17179869183ull << 30) << "the largest G that fits";
    EXPECT_EQ(parse_size("17179869184G"), 0u) << "2^64 bytes: does not fit";
    EXPECT_EQ(parse_size("17179869185G"), 0u) << "used to wrap to 1 GiB";
    EXPECT_EQ(parse_size("17592186044415M"), 17592186044415ull << 20);
    EXPECT_EQ(parse_size("17592186044416M"), 0u);
    EXPECT_EQ(parse_size("18014398509481983K"), 18014398509481983ull << 10);
    EXPECT_EQ(parse_size("18014398509481984K"), 0u);
    EXPECT_EQ(parse_size("18446744073709551615K"), 0u);
    EXPECT_EQ(parse_size("18446744073709551616"), 0u) << "the digits alone overflow";
}

TEST(GuestConfig, AnOverflowingMemorySizeIsAnErrorNotOneGib) {
    auto c = parse_guest_config("name = \"w\"\nkernel = \"/k\"\nmemory = \"17179869185G\"\n",
                                "w.toml", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().reason().find("memory"), std::string::npos) << c.error().reason();
}

}  // namespace
}  // namespace warden::toolstack
