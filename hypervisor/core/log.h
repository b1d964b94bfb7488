// SPDX-License-Identifier: Apache-2.0
// The hypervisor's log. Lines go to the console as "[warden] LEVEL: message".
// Having no TEE, say, is info; a guest fault is a warning about that guest; only
// the hypervisor's own invariants failing are errors.
#pragma once

#include <cstdarg>

namespace warden {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_log_level(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogLevel level, const char* fmt, va_list ap);

#define WARDEN_LOG_ERROR(...) ::warden::log(::warden::LogLevel::Error, __VA_ARGS__)
#define WARDEN_LOG_WARN(...) ::warden::log(::warden::LogLevel::Warn, __VA_ARGS__)
#define WARDEN_LOG_INFO(...) ::warden::log(::warden::LogLevel::Info, __VA_ARGS__)
#define WARDEN_LOG_DEBUG(...) ::warden::log(::warden::LogLevel::Debug, __VA_ARGS__)

}  // namespace warden
