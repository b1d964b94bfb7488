// SPDX-License-Identifier: Apache-2.0
// wardend under load, on the QEMU platform, in one run: EnableTee/DisableTee
// latency end to end (p50/p99), GetTee and ListGuests throughput at 1, 8 and 64
// concurrent clients, and the daemon's peak RSS. Prints figures; asserts nothing.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "warden/v1/warden.grpc.pb.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace warden;

namespace {

std::shared_ptr<grpc::Channel> channel(const std::string& sock) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per channel
    return grpc::CreateCustomChannel("unix:" + sock, grpc::InsecureChannelCredentials(), args);
}

long peak_rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

template <typename Fn>
void throughput(const char* what, const std::string& sock, int clients, Fn fn) {
    std::atomic<long> calls{0}, errors{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> ts;
    std::vector<std::shared_ptr<grpc::Channel>> chans;
    for (int i = 0; i < std::min(clients, 8); ++i) chans.push_back(channel(sock));
    auto t0 = Clock::now();
    for (int i = 0; i < clients; ++i) {
        ts.emplace_back([&, i] {
            auto ch = chans[static_cast<size_t>(i) % chans.size()];
            while (!stop) (fn(ch) ? calls : errors)++;
        });
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
    stop = true;
    for (auto& t : ts) t.join();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("  %-11s %3d client(s): %9.0f requests/s  (%ld errors)\n", what, clients,
                calls / secs, errors.load());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: wardend_bench WARDEND IMAGE_DIR RUN_DIR\n");
        return 2;
    }
    fs::path run = argv[3];
    fs::remove_all(run);
    fs::create_directories(run);
    std::string sock = (run / "wardend.sock").string();
    pid_t pid = fork();
    if (pid == 0) {
        std::string log = (run / "wardend.log").string();
        freopen(log.c_str(), "w", stdout);
        freopen(log.c_str(), "a", stderr);
        execl(argv[1], argv[1], "--socket", sock.c_str(), "--run-dir", (run / "platform").c_str(),
              "--images", argv[2], "--tee-guests", "2", "--log-level", "warn",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    auto ch = channel(sock);
    auto guests = v1::Guests::NewStub(ch);
    auto tee = v1::Tee::NewStub(ch);
    bool up = false;
    for (int i = 0; i < 600 && !up; ++i) {
        grpc::ClientContext c;
        v1::ListGuestsResponse r;
        up = fs::exists(sock) && guests->ListGuests(&c, {}, &r).ok();
        if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!up) {
        std::fprintf(stderr, "bench: wardend did not come up (see %s)\n",
                     (run / "wardend.log").c_str());
        kill(pid, SIGKILL);
        return 1;
    }
    std::string kernel = (fs::path(argv[2]) / "tg_optee_client.bin").string();
    for (const char* name : {"bench-a", "bench-b", "bench-c", "bench-d"}) {
        grpc::ClientContext c;
        v1::CreateGuestRequest req;
        req.mutable_spec()->set_name(name);
        req.mutable_spec()->set_kernel(kernel);
        v1::Guest g;
        auto st = guests->CreateGuest(&c, req, &g);
        if (!st.ok())
            std::fprintf(stderr, "bench: create %s: %s\n", name, st.error_message().c_str());
    }

    std::printf("wardend on the QEMU platform (2-core machine, wall clock, unix socket)\n");
    std::vector<double> en, dis;
    for (int i = 0; i < 200; ++i) {
        v1::EnableTeeRequest e;
        e.set_guest("bench-a");
        v1::GuestTee t;
        grpc::ClientContext c1;
        auto t0 = Clock::now();
        bool ok1 = tee->EnableTee(&c1, e, &t).ok();
        en.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        v1::DisableTeeRequest d;
        d.set_guest("bench-a");
        grpc::ClientContext c2;
        t0 = Clock::now();
        bool ok2 = tee->DisableTee(&c2, d, &t).ok();
        dis.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!ok1 || !ok2) {
            std::fprintf(stderr, "bench: enable/disable failed\n");
            break;
        }
    }
    auto pct = [](std::vector<double> v, double p) {
        std::sort(v.begin(), v.end());
        return v[static_cast<size_t>(p * (v.size() - 1))];
    };
    std::printf("  EnableTee   p50 %8.0f us   p99 %8.0f us  (%zu calls)\n", pct(en, 0.5),
                pct(en, 0.99), en.size());
    std::printf("  DisableTee  p50 %8.0f us   p99 %8.0f us  (%zu calls)\n", pct(dis, 0.5),
                pct(dis, 0.99), dis.size());
    for (int clients : {1, 8, 64}) {
        throughput("GetTee", sock, clients, [](std::shared_ptr<grpc::Channel> c) {
            auto stub = v1::Tee::NewStub(c);
            grpc::ClientContext ctx;
            v1::GetTeeRequest r;
            r.set_guest("bench-b");
            v1::GuestTee t;
            return stub->GetTee(&ctx, r, &t).ok();
        });
    }
    for (int clients : {1, 8, 64}) {
        throughput("ListGuests", sock, clients, [](std::shared_ptr<grpc::Channel> c) {
            auto stub = v1::Guests::NewStub(c);
            grpc::ClientContext ctx;
            v1::ListGuestsResponse r;
            return stub->ListGuests(&ctx, {}, &r).ok();
        });
    }
    std::printf("  wardend peak RSS: %.1f MB\n", peak_rss_kib(pid) / 1024.0);
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    return 0;
}
