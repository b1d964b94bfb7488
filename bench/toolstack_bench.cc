// SPDX-License-Identifier: Apache-2.0
// The control path from the host, on the QEMU platform: round trips of a null
// domctl (get info of dom0) and a TEE query, p50/p99 over 1000 calls each, and
// image-load throughput, all in one run. Prints figures; asserts nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "hypervisor.h"
#include "platform.h"

using namespace warden::toolstack;
using Clock = std::chrono::steady_clock;

namespace {

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

template <typename Fn>
void latency(const char* what, int n, Fn fn) {
    std::vector<double> us;
    us.reserve(n);
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        if (!fn()) {
            std::printf("%s: call %d failed\n", what, i);
            return;
        }
        us.push_back(micros(Clock::now() - t0));
    }
    std::sort(us.begin(), us.end());
    std::printf("  %-34s p50 %8.1f us   p99 %8.1f us   (%d calls)\n", what, us[n / 2],
                us[n * 99 / 100], n);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: toolstack_bench IMAGE_DIR RUN_DIR\n");
        return 2;
    }
    PlatformOptions o;
    o.images_dir = argv[1];
    o.run_dir = argv[2];
    o.boot_timeout = std::chrono::seconds(60);
    auto p = Platform::start(o);
    if (!p) {
        std::fprintf(stderr, "bench: %s\n", p.error().message().c_str());
        return 1;
    }
    Hypervisor hv((*p)->transport());
    std::printf("Control path from the host (QEMU 7.2 TCG, 2-core machine, wall clock)\n");
    latency("null domctl (domain info of d0)", 1000, [&] { return hv.get_info(0).ok(); });
    latency("relay ping (agent only)", 1000, [&] { return hv.ping().ok(); });
    latency("tee query of d0", 1000, [&] { return hv.tee_query(0).ok(); });

    auto id = hv.create_domain({"bench", 64ull << 20, 1, 0});
    if (!id) {
        std::fprintf(stderr, "bench: %s\n", id.error().message().c_str());
        return 1;
    }
    std::vector<uint8_t> image(32ull << 20);
    for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 31);
    auto t0 = Clock::now();
    auto s = hv.load(*id, 0x40000000, image);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!s) {
        std::fprintf(stderr, "bench: load: %s\n", s.error().message().c_str());
        return 1;
    }
    std::printf("  %-34s %6.1f MB/s  (%zu MiB in %.2f s)\n", "image load",
                image.size() / 1e6 / secs, image.size() >> 20, secs);
    hv.destroy(*id);
    (*p)->stop();
    return 0;
}
