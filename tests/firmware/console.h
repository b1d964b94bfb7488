// SPDX-License-Identifier: Apache-2.0
// The firmware's own console: the secure PL011 (QEMU's second -serial), so that the
// normal world's UART belongs to the hypervisor alone. Every line starts with "fw: ".
#pragma once

namespace warden::fw::console {

void init();
void log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Same, but never waits for the console lock: usable when the CPU may already hold it.
void log_fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace warden::fw::console
