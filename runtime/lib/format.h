// SPDX-License-Identifier: Apache-2.0
// A small printf-style formatter for freestanding images (hypervisor, firmware,
// guests). Supports %d %i %u %x %X %p %s %c %% with optional '0' flag, width and
// the length modifiers l, ll, z. Output is always NUL-terminated and truncated to
// the buffer; the return value is the length that was written.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace warden {

size_t vformat(char* buf, size_t size, const char* fmt, va_list ap);
size_t format(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace warden
