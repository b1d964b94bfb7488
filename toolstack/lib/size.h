// SPDX-License-Identifier: Apache-2.0
// Sizes as people write them, parsed the same way by the daemon (TOML configs)
// and by wardenctl (--memory): digits, then K, M or G in either case (KiB, MiB,
// GiB); a bare number is MiB. Header-only, so every side uses this one.
#pragma once

#include <cstdint>
#include <string_view>

namespace warden::toolstack {

// Bytes, or 0 for anything else: no digits, another suffix, a value that does
// not fit in 64 bits.
constexpr uint64_t parse_size(std::string_view s) {
    constexpr uint64_t kMax = ~uint64_t{0};
    uint64_t n = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        uint64_t d = static_cast<uint64_t>(s[i] - '0');
        if (n > (kMax - d) / 10) return 0;
        n = n * 10 + d;
    }
    if (i == 0) return 0;
    std::string_view unit = s.substr(i);
    unsigned shift = 0;
    if (unit.empty() || unit == "M" || unit == "m") {
        shift = 20;
    } else if (unit == "G" || unit == "g") {
        shift = 30;
    } else if (unit == "K" || unit == "k") {
        shift = 10;
    } else {
        return 0;
    }
    if (n > (kMax >> shift)) return 0;
    return n << shift;
}

}  // namespace warden::toolstack
