// SPDX-License-Identifier: Apache-2.0
// Milliseconds from the generic timer's virtual counter: the agent's only clock.
#pragma once

#include <cstdint>

#include "guest/guest.h"

namespace agent {

inline uint64_t now_ms() {
    uint64_t freq;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    return freq >= 1000 ? guest::counter() / (freq / 1000) : 0;
}

}  // namespace agent
