// SPDX-License-Identifier: Apache-2.0
#include "core/log.h"

#include "core/arch.h"
#include "lib/format.h"

namespace warden {
namespace {

LogLevel g_level = LogLevel::Info;

const char* const kPrefix[] = {"[warden] error: ", "[warden] warning: ", "[warden] ",
                               "[warden] debug: "};

}  // namespace

void set_log_level(LogLevel level) {
    g_level = level;
}

void vlog(LogLevel level, const char* fmt, va_list ap) {
    if (level > g_level) return;
    char line[256];
    size_t n = format(line, sizeof line, "%s", kPrefix[static_cast<int>(level)]);
    n += vformat(line + n, sizeof line - n, fmt, ap);
    if (n >= sizeof line - 1) n = sizeof line - 2;
    // One message, one line: text that came from a guest or the toolstack (a
    // name, bootargs) cannot start a line of its own or drive the terminal.
    for (size_t i = 0; i < n; ++i) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c < 0x20 || c >= 0x7f) line[i] = '.';
    }
    line[n++] = '\n';
    arch::console_write(line, n);
}

void log(LogLevel level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

}  // namespace warden
