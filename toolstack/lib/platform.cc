// SPDX-License-Identifier: Apache-2.0
#include "platform.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace warden::toolstack {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The relay socket, in the run directory. QEMU runs there and names it by this
// relative path; the daemon reaches it with unix_connect() (any path length).
constexpr const char kRelaySocket[] = "relay.sock";

// Host-file channels a user platform must never get.
constexpr const char* kForbidden[] = {
    "-semihosting", "-semihosting-config", "-virtfs", "-fsdev", "-plugin", "-gdb", "-s"};

std::string tail(const fs::path& file, size_t bytes = 600) {
    std::ifstream in(file);
    if (!in) return "";
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > bytes ? "..." + s.substr(s.size() - bytes) : s;
}

// Exists and is not a zombie.
bool process_alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    return !(close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z');
}

}  // namespace

struct Platform::Process {
    std::mutex mu;
    pid_t pid = -1;
    bool adopted = false;  // started by an earlier daemon: not our child
    bool exited = false;
    int status = 0;

    void reap(bool block) {
        if (exited || pid <= 0) return;
        if (adopted) {
            // Usually not our child (its parent was the daemon before us): all we
            // can know is whether it still runs. A zombie has stopped running.
            for (int i = 0; i < (block ? 250 : 1); ++i) {
                int st = 0;
                if (::waitpid(pid, &st, WNOHANG) == pid || !process_alive(pid)) {
                    exited = true;
                    status = -1;
                    return;
                }
                if (block) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            return;
        }
        int st = 0;
        pid_t r = ::waitpid(pid, &st, block ? 0 : WNOHANG);
        if (r == pid) {
            exited = true;
            status = st;
        }
    }
    std::string down_reason() {
        std::lock_guard lock(mu);
        reap(false);
        if (!exited) return "";
        if (adopted) return "QEMU (pid " + std::to_string(pid) + ") is gone";
        if (WIFEXITED(status))
            return "QEMU exited with status " + std::to_string(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) {
            return "QEMU was killed by signal " + std::to_string(WTERMSIG(status));
        }
        return "QEMU stopped";
    }
};

fs::path default_images_dir(const fs::path& executable) {
    if (const char* env = std::getenv("WARDEN_IMAGES"); env && *env) return env;
    fs::path dir = executable.parent_path();
    for (const fs::path& c :
         {dir / "../share/warden/images", dir / "../images", dir / "../../images"}) {
        if (fs::exists(c / "warden.bin")) return fs::weakly_canonical(c);
    }
    return dir / "../share/warden/images";
}

Result<std::vector<std::string>> Platform::command_line(const PlatformOptions& o) {
    auto bad = [](const std::string& s) { return Error(ErrorKind::InvalidInput, s); };
    for (const char* image : {"firmware.bin", "warden.bin", "warden-agent.bin"}) {
        if (!fs::exists(o.images_dir / image)) {
            return bad("platform image " + (o.images_dir / image).string() +
                       " not found (build the images or set the images directory)");
        }
    }
    if (o.memory_mib < 256 || o.memory_mib > 4096) {
        return bad("platform memory must be 256 to 4096 MiB");
    }
    if (!o.no_tee && (o.tee_guests < 1 || o.tee_guests > 16)) {
        return bad("TEE guest limit must be 1 to 16");
    }
    // QEMU starts in the run directory: every other path it gets is absolute.
    const fs::path run_dir = fs::absolute(o.run_dir);
    const fs::path images = fs::absolute(o.images_dir);
    for (const std::string& a : o.extra_args) {
        for (const char* f : kForbidden) {
            if (a == f || a.rfind(std::string(f) + "=", 0) == 0) {
                return bad("QEMU option " + a +
                           " is refused: it would give guests a channel to the host");
            }
        }
    }
    std::vector<std::string> a = {
        o.qemu,
        "-M",
        "virt,virtualization=on,secure=on,gic-version=2",
        "-cpu",
        "cortex-a57",
        "-smp",
        "1",
        "-m",
        std::to_string(o.memory_mib),
        "-nodefaults",
        "-display",
        "none",
        "-monitor",
        "none",
        "-net",
        "none",
        "-no-reboot",
        "-serial",
        "file:" + (run_dir / "console.log").string(),
        "-serial",
        "file:" + (run_dir / "secure-console.log").string(),
        "-bios",
        (images / "firmware.bin").string(),
        "-kernel",
        (images / "warden.bin").string(),
        "-global",
        "virtio-mmio.force-legacy=false",
        "-device",
        "virtio-serial-device",
        "-chardev",
        // Relative to QEMU's working directory, the run directory: a unix
        // socket path holds 107 bytes, a run directory can be deeper.
        std::string("socket,id=relay,path=") + kRelaySocket + ",server=on,wait=off",
        "-device",
        "virtconsole,chardev=relay",
        "-device",
        "guest-loader,addr=0x48000000,kernel=" + (images / "warden-agent.bin").string() +
            ",bootargs=warden.agent",
    };
    if (o.no_tee) {
        a.insert(a.end(), {"-fw_cfg", "name=opt/warden/no-tee,string=1"});
    } else {
        a.insert(a.end(),
                 {"-fw_cfg", "name=opt/warden/tee-guests,string=" + std::to_string(o.tee_guests)});
    }
    if (o.icount) a.insert(a.end(), {"-icount", "shift=4,sleep=off"});
    if (o.test_mode) {
        a.insert(a.end(), {"-semihosting-config", "enable=on,target=native", "-fw_cfg",
                           "name=opt/warden/test-mode,string=1"});
    }
    a.insert(a.end(), o.extra_args.begin(), o.extra_args.end());
    return a;
}

Result<std::unique_ptr<Platform>> Platform::start(const PlatformOptions& opts) {
    auto argv = command_line(opts);
    if (!argv) return argv.error();
    std::error_code ec;
    fs::create_directories(opts.run_dir, ec);
    if (ec) {
        return Error(ErrorKind::InvalidInput,
                     "cannot create " + opts.run_dir.string() + ": " + ec.message());
    }
    // Guest output is for callers of the API only: the run directory and the
    // logs in it are the daemon's alone (files QEMU creates get mode 0600 from
    // the umask below; files an earlier run left are narrowed here).
    fs::permissions(opts.run_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
        return Error(ErrorKind::InvalidInput,
                     "cannot restrict " + opts.run_dir.string() + " to its owner: " + ec.message());
    }
    for (const char* f : {"console.log", "secure-console.log", "qemu.log", "qemu.pid"}) {
        std::error_code ignore;
        if (fs::exists(opts.run_dir / f, ignore)) {
            fs::permissions(opts.run_dir / f, fs::perms::owner_read | fs::perms::owner_write,
                            fs::perm_options::replace, ignore);
        }
    }
    fs::path sock = opts.run_dir / kRelaySocket;
    if (auto adopted = adopt(opts)) return adopted;
    fs::remove(sock, ec);  // a stale socket from an earlier run

    std::unique_ptr<Platform> p(new Platform());
    p->opts_ = opts;
    std::vector<char*> cargv;
    for (auto& s : *argv) cargv.push_back(s.data());
    cargv.push_back(nullptr);
    std::string log = p->qemu_log().string();

    pid_t pid = ::fork();
    if (pid < 0) return Error(ErrorKind::Internal, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Own process group: a terminal's Ctrl-C reaches the daemon, which stops
        // QEMU in order, not QEMU directly.
        ::setpgid(0, 0);
        // Blocked and ignored signals survive exec: a daemon that takes SIGTERM
        // synchronously (and ignores SIGPIPE) must not hand that to QEMU, or QEMU
        // could only be stopped with SIGKILL.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        ::umask(077);
        if (::chdir(opts.run_dir.c_str()) != 0) _exit(126);
        int in = ::open("/dev/null", O_RDONLY);
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in >= 0) ::dup2(in, 0);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        ::execvp(cargv[0], cargv.data());
        _exit(127);
    }
    p->pid_ = pid;
    p->proc_ = std::make_shared<Process>();
    p->proc_->pid = pid;
    std::ofstream(opts.run_dir / "qemu.pid") << pid << "\n";
    fs::permissions(opts.run_dir / "qemu.pid", fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, ec);

    RelayOptions ro;
    ro.socket_path = sock.string();
    ro.timeout = opts.request_timeout;
    ro.platform_down = [proc = p->proc_] { return proc->down_reason(); };
    p->transport_ = std::make_shared<RelayTransport>(ro);

    // Ready when the agent answers a ping.
    auto deadline = Clock::now() + opts.boot_timeout;
    for (;;) {
        std::string down = p->down_reason();
        if (!down.empty()) {
            return Error(ErrorKind::Unavailable, "the platform did not start: " + down +
                                                     "; QEMU said: " + tail(p->qemu_log()) +
                                                     " console: " + tail(p->console_log()));
        }
        if (fs::exists(sock)) {
            auto ping = p->transport_->ping();
            if (ping) break;
        }
        if (opts.cancelled && opts.cancelled()) {
            p->stop();
            return Error(ErrorKind::Unavailable, "start-up interrupted: the platform was stopped");
        }
        if (Clock::now() > deadline) {
            std::string console = tail(p->console_log());
            p->stop();
            return Error(ErrorKind::Timeout, "the dom0 agent did not answer within " +
                                                 std::to_string(opts.boot_timeout.count()) +
                                                 " ms; console: " + console);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return p;
}

std::unique_ptr<Platform> Platform::adopt(const PlatformOptions& opts) {
    // A platform an earlier daemon started (and outlived) keeps running with its
    // guests: take it over instead of starting another.
    std::ifstream in(opts.run_dir / "qemu.pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 1 || !process_alive(pid)) return nullptr;
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cl((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    fs::path sock = opts.run_dir / kRelaySocket;
    std::error_code ec;
    bool same_dir = fs::equivalent(fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec),
                                   opts.run_dir, ec);
    if (cl.find("qemu-system-aarch64") == std::string::npos ||
        cl.find(std::string("path=") + kRelaySocket) == std::string::npos || !same_dir) {
        return nullptr;  // the pid was reused by something else
    }
    std::unique_ptr<Platform> p(new Platform());
    p->opts_ = opts;
    p->pid_ = pid;
    p->proc_ = std::make_shared<Process>();
    p->proc_->pid = pid;
    p->proc_->adopted = true;
    RelayOptions ro;
    ro.socket_path = sock.string();
    ro.timeout = opts.request_timeout;
    ro.platform_down = [proc = p->proc_] { return proc->down_reason(); };
    p->transport_ = std::make_shared<RelayTransport>(ro);
    if (!p->transport_->ping()) return nullptr;
    p->adopted_ = true;
    return p;
}

std::string Platform::down_reason() {
    return proc_ ? proc_->down_reason() : "not started";
}

void Platform::stop(std::chrono::milliseconds grace) {
    if (!proc_) return;
    std::lock_guard lock(proc_->mu);
    proc_->reap(false);
    if (proc_->exited) return;
    ::kill(pid_, SIGTERM);
    auto deadline = Clock::now() + grace;
    while (!proc_->exited && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        proc_->reap(false);
    }
    if (!proc_->exited) {
        ::kill(pid_, SIGKILL);
        proc_->reap(true);
    }
}

Platform::~Platform() {
    stop();
}

}  // namespace warden::toolstack
