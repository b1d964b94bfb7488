// SPDX-License-Identifier: Apache-2.0
#include "app.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "client.h"
#include "commands.h"
#include "completion.h"
#include "exit_code.h"
#include "rpc_error.h"
#include "warden/domctl.h"

namespace warden::cli {
namespace {

struct Globals {
    std::string socket;
    std::string output = "table";
    double timeout = 30;
};

// Commands run after parsing, never from CLI11's callbacks, so that a failing
// call is never mistaken for a parse error.
using Action = std::function<int(Session&)>;

std::string examples(std::initializer_list<const char*> lines) {
    std::string s = "Examples:\n";
    for (const char* l : lines) s += *l ? std::string("  ") + l + "\n" : "\n";
    return s;
}

CLI::App* command(CLI::App* parent, const std::string& name, const std::string& what,
                  std::initializer_list<const char*> example_lines) {
    CLI::App* c = parent->add_subcommand(name, what);
    c->footer(examples(example_lines));
    return c;
}

void set_action(CLI::App* c, Action* slot, Action action) {
    c->callback([slot, action = std::move(action)] { *slot = action; });
}

// State the parsed options land in; it must outlive the CLI11 app that points
// into it.
struct Args {
    Globals g;
    CreateArgs create;
    std::string name;
    std::string method;
    uint32_t sessions = 0;  // tee quota: 0 keeps the current value
    uint32_t shm_pages = 0;
    bool allow_missing = false;
    bool follow = false;
    bool attach = false;
    std::string until;
    int wait_seconds = 30;
    std::string shell;
};

void add_guest_commands(CLI::App& app, Args& a, Action* action) {
    CLI::App* guest = app.add_subcommand("guest", "Create, list, start, stop and destroy guests");
    guest->require_subcommand(1);
    guest->footer(
        examples({"wardenctl guest list", "wardenctl guest create --config web.toml --start"}));

    CLI::App* create =
        command(guest, "create", "Create a guest from a config file or from options",
                {"wardenctl guest create --config /etc/warden/guests/web.toml --start",
                 "wardenctl guest create --name web-1 --kernel ./web.bin --memory 64M --tee optee",
                 "wardenctl guest create --config web.toml --validate-only", "",
                 "Relative `kernel` and `initrd` paths in a config file are relative to that",
                 "file; wardenctl sends the file's text with those values made absolute."});
    CLI::Option* config =
        create->add_option("--config", a.create.config, "Guest config file (TOML)")
            ->check(CLI::ExistingFile);
    std::vector<CLI::Option*> spec = {
        create->add_option("--name", a.create.name,
                           "Guest name: 1-31 of a-z, 0-9, '-'; a letter first, no '-' last"),
        create->add_option("--kernel", a.create.kernel, "Kernel image (arm64 Image or raw binary)"),
        create->add_option("--initrd", a.create.initrd,
                           "Initial ramdisk, loaded below the device tree and named in it"),
        create->add_option("--memory", a.create.memory,
                           "RAM, e.g. 64M or 1G (a bare number is MiB); default 16M"),
        // 0 would read as "unset" on the wire: refuse it here, where it is explicit.
        create
            ->add_option("--vcpus", a.create.vcpus,
                         "vCPUs, 1-" + std::to_string(abi::kMaxVcpus) + "; default 1")
            ->check(CLI::Range(1u, abi::kMaxVcpus)),
        create->add_option("--tee", a.create.tee, "TEE for the guest; default none")
            ->check(CLI::IsMember({"optee", "none"})),
        create
            ->add_option("--tee-method", a.create.tee_method,
                         "How the guest calls its TEE; default smc")
            ->check(CLI::IsMember({"smc", "hvc"})),
        create->add_option("--bootargs", a.create.bootargs, "The guest's /chosen/bootargs"),
    };
    for (CLI::Option* o : spec) config->excludes(o);
    create->add_flag("--start", a.create.start, "Start it once created");
    create->add_flag("--validate-only", a.create.validate_only, "Check everything, create nothing");
    create->callback([&a, action] {
        if (a.create.config.empty() && (a.create.name.empty() || a.create.kernel.empty())) {
            throw CLI::ValidationError("guest create",
                                       "give --config FILE, or --name and --kernel");
        }
        *action = [&a](Session& s) { return guest_create(s, a.create); };
    });

    CLI::App* list = command(guest, "list", "List guests", {"wardenctl guest list -o json"});
    set_action(list, action, [](Session& s) { return guest_list(s); });

    struct Named {
        const char* name;
        const char* what;
        const char* example;
        int (*run)(Session&, const std::string&);
    };
    for (const Named& n :
         {Named{"get", "Show a guest", "wardenctl guest get web-1", guest_get},
          Named{"start", "Start a created or stopped guest", "wardenctl guest start web-1",
                guest_start},
          Named{"stop", "Pause a running guest", "wardenctl guest stop web-1", guest_stop}}) {
        CLI::App* c = command(guest, n.name, n.what, {n.example});
        c->add_option("name", a.name, "Guest name")->required();
        set_action(c, action, [&a, run = n.run](Session& s) { return run(s, a.name); });
    }

    CLI::App* destroy = command(
        guest, "destroy", "Destroy a guest and free everything it held (its TEE client ID too)",
        {"wardenctl guest destroy web-1", "wardenctl guest destroy web-1 --allow-missing"});
    destroy->add_option("name", a.name, "Guest name")->required();
    destroy->add_flag("--allow-missing", a.allow_missing, "Succeed when there is no such guest");
    set_action(destroy, action,
               [&a](Session& s) { return guest_destroy(s, a.name, a.allow_missing); });

    CLI::App* console = command(
        guest, "console", "Print a guest's console output (the last 4 KiB the hypervisor keeps)",
        {"wardenctl guest console web-1", "wardenctl guest console web-1 --follow",
         "wardenctl guest console web-1 --until 'optee_client: done' --wait 30",
         "wardenctl guest console web-1 --attach",
         "echo uname -a | wardenctl guest console web-1 --attach --until aarch64", "",
         "--attach sends what you type to the guest's serial console (its PL011) and",
         "prints what it says; the terminal is raw, so Ctrl-C goes to the guest.",
         "Ctrl-] detaches. Input the guest is not reading waits, nothing is dropped."});
    console->add_option("name", a.name, "Guest name")->required();
    console->add_flag("-f,--follow", a.follow, "Keep printing new output until Ctrl-C");
    console->add_flag("-a,--attach", a.attach,
                      "Interactive: stdin to the guest, its output here; Ctrl-] detaches");
    console->add_option("--until", a.until, "Stop once this text has appeared (exit 7 if not)");
    console->add_option("--wait", a.wait_seconds, "Seconds to wait for --until (default 30)")
        ->check(CLI::Range(1, 3600));
    set_action(console, action, [&a](Session& s) {
        return guest_console(s, a.name, a.follow, a.until, a.wait_seconds, a.attach);
    });
}

void add_tee_commands(CLI::App& app, Args& a, Action* action) {
    CLI::App* tee = app.add_subcommand("tee", "Per-guest TEE access and the platform's TEE");
    tee->require_subcommand(1);
    tee->footer(examples({"wardenctl tee caps", "wardenctl tee enable web-1 --method hvc"}));

    CLI::App* caps = command(tee, "caps", "Show the platform's TEE and how many guests it holds",
                             {"wardenctl tee caps", "wardenctl tee caps -o json"});
    set_action(caps, action, [](Session& s) { return tee_caps(s); });

    CLI::App* enable =
        command(tee, "enable", "Give a guest that never ran access to the TEE",
                {"wardenctl tee enable web-1", "wardenctl tee enable web-1 --method hvc", "",
                 "Exits 6 when the TEE has no room for another guest."});
    enable->add_option("guest", a.name, "Guest name")->required();
    enable->add_option("--method", a.method, "How the guest calls the TEE; default smc")
        ->check(CLI::IsMember({"smc", "hvc"}));
    set_action(enable, action, [&a](Session& s) { return tee_enable(s, a.name, a.method); });

    CLI::App* disable =
        command(tee, "disable", "Take a guest's TEE access away and free its client ID",
                {"wardenctl tee disable web-1"});
    disable->add_option("guest", a.name, "Guest name")->required();
    set_action(disable, action, [&a](Session& s) { return tee_disable(s, a.name); });

    CLI::App* quota =
        command(tee, "quota", "Raise or lower what a guest may hold in its TEE",
                {"wardenctl tee quota web-1 --sessions 32",
                 "wardenctl tee quota web-1 --sessions 4 --shm-pages 1024", "",
                 "Exits 5 (TEE_QUOTA_BELOW_USAGE) when a limit is below what the guest holds."});
    quota->add_option("guest", a.name, "Guest name")->required();
    quota
        ->add_option("--sessions", a.sessions,
                     "Open sessions, 1-" + std::to_string(abi::kTeeMaxSessions))
        ->check(CLI::Range(1u, abi::kTeeMaxSessions));
    quota
        ->add_option("--shm-pages", a.shm_pages,
                     "Pages of shared memory, 1-" + std::to_string(abi::kTeeMaxShmPages))
        ->check(CLI::Range(1u, abi::kTeeMaxShmPages));
    set_action(quota, action,
               [&a](Session& s) { return tee_quota(s, a.name, a.sessions, a.shm_pages); });

    CLI::App* get = command(tee, "get", "Show a guest's TEE access and call counts",
                            {"wardenctl tee get web-1 -o json"});
    get->add_option("guest", a.name, "Guest name")->required();
    set_action(get, action, [&a](Session& s) { return tee_get(s, a.name); });

    CLI::App* watch =
        command(tee, "watch", "Print every guest's TEE state, then each change until Ctrl-C",
                {"wardenctl tee watch", "wardenctl tee watch -o json   # one JSON object a line",
                 "", "Ctrl-C ends it with exit code 0. --timeout does not apply."});
    set_action(watch, action, [](Session& s) { return tee_watch(s); });
}

int usage_error(const CLI::App& app, const CLI::ParseError& e, const CLI::Option* output,
                std::ostream& err) {
    // Point at the help of the command that was being typed.
    std::string command = "wardenctl";
    for (const CLI::App* c = &app; !c->get_subcommands().empty();) {
        c = c->get_subcommands().front();
        command += " " + c->get_name();
    }
    std::string message = e.what();
    // CLI11 reports a missing subcommand before the word it did not know.
    std::vector<std::string> rest = app.remaining(true);
    if (dynamic_cast<const CLI::RequiredError*>(&e) && !rest.empty()) {
        message = "unknown command \"" + rest.front() + "\"";
    }
    message += " (see `" + command + " --help`)";
    // -o json may have been read before the error: honour it if so.
    bool json = output->count() > 0 && output->results().back() == "json";
    err << (json ? render_local_error_json(message, ExitCode::kUsage)
                 : render_local_error_text(message));
    return static_cast<int>(ExitCode::kUsage);
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const RunOptions& options) {
    Args a;
    a.g.socket = options.env_socket.empty() ? kDefaultSocket : options.env_socket;
    Action action;

    CLI::App app("wardenctl: manage Warden guests and their TEE access through wardend",
                 "wardenctl");
    app.fallthrough();  // global options may follow the command words
    app.require_subcommand(1);
    app.add_option("--socket", a.g.socket,
                   "wardend's unix socket ($WARDEN_SOCKET overrides the default)")
        ->capture_default_str();
    CLI::Option* output = app.add_option("-o,--output", a.g.output, "Output format")
                              ->check(CLI::IsMember({"table", "json"}))
                              ->capture_default_str();
    app.add_option("--timeout", a.g.timeout, "Seconds to wait for each answer")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();

    add_guest_commands(app, a, &action);
    add_tee_commands(app, a, &action);

    CLI::App* health_cmd = command(&app, "health", "Ask wardend whether it is serving",
                                   {"wardenctl health && echo up", "", "Exits 7 unless serving."});
    set_action(health_cmd, &action, [](Session& s) { return health(s); });

    CLI::App* completion = command(&app, "completion", "Print a shell completion script",
                                   {"source <(wardenctl completion bash)"});
    completion->add_option("shell", a.shell, "Shell")->required()->check(CLI::IsMember({"bash"}));
    bool want_completion = false;
    completion->callback([&] { want_completion = true; });

    app.footer(
        examples({"wardenctl guest create --config web.toml --start", "wardenctl tee enable web-1",
                  "wardenctl guest list -o json", "WARDEN_SOCKET=/tmp/w.sock wardenctl health"}) +
        "\n" + std::string(exit_code_table()));

    std::vector<const char*> argv = {"wardenctl"};
    for (const std::string& s : args) argv.push_back(s.c_str());
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        return usage_error(app, e, output, err);
    }

    if (want_completion) {
        out << bash_completion();
        return static_cast<int>(ExitCode::kOk);
    }
    Client client(a.g.socket, a.g.timeout);
    Session session{client,
                    a.g.output == "json" ? Format::kJson : Format::kTable,
                    {a.g.socket, a.g.timeout},
                    out,
                    err,
                    options.interrupt,
                    {},
                    options.input_fd};
    return action(session);
}

}  // namespace warden::cli
