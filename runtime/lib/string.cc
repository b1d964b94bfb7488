// SPDX-License-Identifier: Apache-2.0
// The C string and memory functions a freestanding image needs: the compiler emits
// calls to mem* on its own, and libfdt uses mem*/str* and strtoul.
#include <cstddef>
#include <cstdint>

extern "C" {

// The compiler calls memcpy/memset for every struct copy and zeroing, so the
// common aligned case goes a word at a time (images are built with strict
// alignment: no unaligned wide accesses).
void* memcpy(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (((reinterpret_cast<uintptr_t>(d) ^ reinterpret_cast<uintptr_t>(s)) & 7) == 0) {
        for (; n && (reinterpret_cast<uintptr_t>(d) & 7); --n) *d++ = *s++;
        // Two words per step: the compiler pairs them (ldp/stp).
        for (; n >= 16; n -= 16, d += 16, s += 16) {
            const uint64_t a = reinterpret_cast<const uint64_t*>(s)[0];
            const uint64_t b = reinterpret_cast<const uint64_t*>(s)[1];
            reinterpret_cast<uint64_t*>(d)[0] = a;
            reinterpret_cast<uint64_t*>(d)[1] = b;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            *reinterpret_cast<uint64_t*>(d) = *reinterpret_cast<const uint64_t*>(s);
        }
    }
    while (n--) *d++ = *s++;
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dst;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    for (; n && (reinterpret_cast<uintptr_t>(d) & 7); --n) *d++ = static_cast<unsigned char>(c);
    uint64_t word = 0x0101010101010101ull * static_cast<unsigned char>(c);
    for (; n >= 8; n -= 8, d += 8) *reinterpret_cast<uint64_t*>(d) = word;
    while (n--) *d++ = static_cast<unsigned char>(c);
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (; n; --n, ++x, ++y) {
        if (*x != *y) return *x < *y ? -1 : 1;
    }
    return 0;
}

void* memchr(const void* p, int c, size_t n) {
    const auto* s = static_cast<const unsigned char*>(p);
    for (; n; --n, ++s) {
        if (*s == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(s);
    }
    return nullptr;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

size_t strnlen(const char* s, size_t max) {
    size_t n = 0;
    while (n < max && s[n]) ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
    for (; n; --n, ++a, ++b) {
        if (*a != *b) return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
        if (!*a) return 0;
    }
    return 0;
}

char* strchr(const char* s, int c) {
    for (;; ++s) {
        if (*s == static_cast<char>(c)) return const_cast<char*>(s);
        if (!*s) return nullptr;
    }
}

char* strrchr(const char* s, int c) {
    const char* last = nullptr;
    for (;; ++s) {
        if (*s == static_cast<char>(c)) last = s;
        if (!*s) return const_cast<char*>(last);
    }
}

unsigned long strtoul(const char* s, char** end, int base) {
    while (*s == ' ' || *s == '\t') ++s;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = (s[0] == '0') ? 8 : 10;
    }
    unsigned long v = 0;
    for (;; ++s) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'z')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'Z')
            d = *s - 'A' + 10;
        else
            break;
        if (d >= base) break;
        v = v * static_cast<unsigned long>(base) + static_cast<unsigned long>(d);
    }
    if (end) *end = const_cast<char*>(s);
    return v;
}

}  // extern "C"
