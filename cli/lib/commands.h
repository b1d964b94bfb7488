// SPDX-License-Identifier: Apache-2.0
// One function per wardenctl command: build the request, make the call, print
// the answer (or the error) and return the exit code. Parsing the command line
// is app.cc's job; nothing here reads argv.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "exit_code.h"
#include "interrupt.h"
#include "render.h"
#include "rpc_error.h"

namespace warden::cli {

struct Session {
    Client& client;
    Format format;
    ErrorContext where;
    std::ostream& out;
    std::ostream& err;
    Interrupt* interrupt;  // null: Ctrl-C simply ends the process
    // API names in errors that mean something else to this user (the request
    // field config_toml is their file; spec.name is their --name).
    std::vector<std::pair<std::string, std::string>> aliases = {};
    int in_fd = 0;  // input for --attach

    int fail(const grpc::Status& status);
    int fail(ExitCode code, const std::string& message);
};

struct CreateArgs {
    std::string config;  // either this...
    std::string name;    // ...or these
    std::string kernel;
    std::string initrd;
    std::string memory;
    uint32_t vcpus = 0;  // 0: the daemon's default
    std::string tee;
    std::string tee_method;
    std::string bootargs;
    bool start = false;
    bool validate_only = false;
};

int guest_create(Session& s, const CreateArgs& a);
int guest_list(Session& s);
int guest_get(Session& s, const std::string& name);
int guest_start(Session& s, const std::string& name);
int guest_stop(Session& s, const std::string& name);
int guest_destroy(Session& s, const std::string& name, bool allow_missing);
// Prints the guest's console. follow: keep printing new output until Ctrl-C.
// until: stop (exit 0) once this text has appeared, or fail (exit 7) when it has
// not within wait_seconds.
// With `attach`, also sends what arrives on s.in_fd to the guest (raw terminal
// when it is one; the byte kDetach ends it).
inline constexpr char kDetach = 0x1d;  // Ctrl-]
int guest_console(Session& s, const std::string& name, bool follow, const std::string& until,
                  int wait_seconds, bool attach = false);

int tee_caps(Session& s);
int tee_enable(Session& s, const std::string& guest, const std::string& method);
int tee_disable(Session& s, const std::string& guest);
// 0 leaves that limit as it is.
int tee_quota(Session& s, const std::string& guest, uint32_t sessions, uint32_t shm_pages);
int tee_get(Session& s, const std::string& guest);
int tee_watch(Session& s);

int health(Session& s);

}  // namespace warden::cli
