// SPDX-License-Identifier: Apache-2.0
#include "lib/format.h"

#include <cstdint>

namespace warden {
namespace {

struct Sink {
    char* buf;
    size_t size;
    size_t len = 0;
    void put(char c) {
        if (len + 1 < size) buf[len++] = c;
    }
};

void put_number(Sink& out, uint64_t v, unsigned base, bool upper, bool negative, unsigned width,
                char pad) {
    char digits[24];
    unsigned n = 0;
    const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[v % base];
        v /= base;
    } while (v);
    unsigned total = n + (negative ? 1 : 0);
    if (negative && pad == '0') out.put('-');
    for (; total < width; ++total) out.put(pad);
    if (negative && pad != '0') out.put('-');
    while (n) out.put(digits[--n]);
}

}  // namespace

size_t vformat(char* buf, size_t size, const char* fmt, va_list ap) {
    Sink out{buf, size};
    for (; *fmt; ++fmt) {
        if (*fmt != '%') {
            out.put(*fmt);
            continue;
        }
        ++fmt;
        char pad = ' ';
        if (*fmt == '0') {
            pad = '0';
            ++fmt;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + static_cast<unsigned>(*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            longs += (*fmt == 'z') ? 2 : 1;
            ++fmt;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
            put_number(out, mag, 10, false, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_number(out, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, pad);
            break;
        }
        case 'p':
            out.put('0');
            out.put('x');
            put_number(out, reinterpret_cast<uintptr_t>(va_arg(ap, void*)), 16, false, false, width,
                       '0');
            break;
        case 's': {
            const char* s = va_arg(ap, const char*);
            if (!s) s = "(null)";
            while (*s) out.put(*s++);
            break;
        }
        case 'c':
            out.put(static_cast<char>(va_arg(ap, int)));
            break;
        case '%':
            out.put('%');
            break;
        case '\0':
            --fmt;
            break;
        default:
            out.put('%');
            out.put(*fmt);
            break;
        }
    }
    if (size) buf[out.len] = '\0';
    return out.len;
}

size_t format(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

}  // namespace warden
