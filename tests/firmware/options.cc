// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <cstring>

#include "console.h"
#include "fwcfg.h"

namespace warden::fw {
namespace {

constexpr char kPrefix[] = "opt/warden/";
constexpr char kLoadAddr[] = "opt/warden/load-addr";
constexpr char kTestMode[] = "opt/warden/test-mode";
constexpr char kNoTee[] = "opt/warden/no-tee";
constexpr char kTeeGuests[] = "opt/warden/tee-guests";
constexpr char kTeeTrace[] = "opt/warden/tee-trace";
constexpr char kTeeBench[] = "opt/warden/tee-bench";
constexpr char kHandoff[] = "opt/warden/handoff";
constexpr char kReserveOptee[] = "opt/warden/reserve-optee";
constexpr uint64_t kMaxTeeGuests = 16;
constexpr unsigned kValueMax = 64;

// A value given with file= rather than string= usually ends in a newline.
void trim(char* s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = '\0';
}

bool read_value(const char* name, char* buf) {
    if (!fwcfg::read_string(name, buf, kValueMax)) return false;
    trim(buf);
    return true;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

void warn_unknown_options() {
    fwcfg::for_each_file(
        [](const fwcfg::File& f, void*) {
            const char* known[] = {kLoadAddr, kTestMode, kNoTee,   kTeeGuests,
                                   kTeeTrace, kTeeBench, kHandoff, kReserveOptee};
            bool is_known = false;
            for (const char* k : known) is_known = is_known || strcmp(f.name, k) == 0;
            if (strncmp(f.name, kPrefix, sizeof(kPrefix) - 1) == 0 && !is_known) {
                console::log("warning: unknown option %s ignored", f.name);
            }
            return true;
        },
        nullptr);
}

}  // namespace

bool parse_u64(const char* s, uint64_t* out) {
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0') return false;
    uint64_t v = 0;
    for (; *s; ++s) {
        const unsigned d = static_cast<unsigned>(digit_value(*s));
        if (d >= base || v > (UINT64_MAX - d) / base) return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

// A 0/1 switch; logs and returns false for anything else.
bool read_flag(const char* name, bool* out) {
    char value[kValueMax];
    if (!read_value(name, value)) return true;
    if (strcmp(value, "1") == 0 || strcmp(value, "0") == 0) {
        *out = value[0] == '1';
        return true;
    }
    console::log("error: %s is \"%s\": expected 0 or 1", name, value);
    return false;
}

bool read_options(Options* out) {
    bool ok = true;
    char value[kValueMax];

    if (read_value(kTestMode, value)) {
        if (strcmp(value, "1") == 0) {
            out->test_mode = true;
        } else if (strcmp(value, "0") != 0) {
            console::log("error: %s is \"%s\": expected 0 or 1", kTestMode, value);
            ok = false;
        }
    }

    if (read_value(kLoadAddr, value)) {
        if (!parse_u64(value, &out->load_addr)) {
            console::log("error: %s is \"%s\": expected a hexadecimal (0x...) or decimal address",
                         kLoadAddr, value);
            ok = false;
        }
    }

    bool no_tee = false;
    ok = read_flag(kNoTee, &no_tee) && ok;
    out->tee = !no_tee;
    ok = read_flag(kTeeTrace, &out->tee_trace) && ok;
    ok = read_flag(kTeeBench, &out->tee_bench) && ok;
    if (read_value(kTeeGuests, value)) {
        uint64_t n = 0;
        if (!parse_u64(value, &n) || n == 0 || n > kMaxTeeGuests) {
            console::log("error: %s is \"%s\": expected 1 to %lu guests", kTeeGuests, value,
                         kMaxTeeGuests);
            ok = false;
        } else {
            out->tee_guests = static_cast<uint32_t>(n);
        }
    }

    ok = read_flag(kReserveOptee, &out->reserve_optee) && ok;
    if (read_value(kHandoff, value)) {
        if (strcmp(value, "tfa") == 0 || strcmp(value, "dtb") == 0) {
            out->handoff_tfa = value[0] == 't';
        } else {
            console::log("error: %s is \"%s\": expected dtb or tfa", kHandoff, value);
            ok = false;
        }
    }

    warn_unknown_options();
    return ok;
}

}  // namespace warden::fw
