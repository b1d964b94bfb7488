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
