// SPDX-License-Identifier: Apache-2.0
// wardenctl's entry point as a function, so that tests run the real command line
// in-process against a fake daemon and read exactly what a user would see.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "interrupt.h"

namespace warden::cli {

inline constexpr const char* kDefaultSocket = "/run/warden/wardend.sock";

struct RunOptions {
    std::string env_socket;  // $WARDEN_SOCKET; empty when unset
    Interrupt* interrupt = nullptr;
    int input_fd = 0;  // what `guest console --attach` sends (stdin)
};

// `args` without the program name. Returns the exit code (see exit_code.h).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const RunOptions& options);

}  // namespace warden::cli
