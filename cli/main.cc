// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <iostream>

#include "app.h"
#include "interrupt.h"

int main(int argc, char** argv) {
    // Before anything starts a thread: see SignalInterrupt.
    warden::cli::SignalInterrupt interrupt;
    warden::cli::RunOptions options;
    if (const char* socket = std::getenv("WARDEN_SOCKET")) options.env_socket = socket;
    options.interrupt = &interrupt;
    return warden::cli::run({argv + 1, argv + argc}, std::cout, std::cerr, options);
}
