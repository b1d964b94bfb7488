// SPDX-License-Identifier: Apache-2.0
// GICv2 as the hypervisor uses it: its own timer interrupt only.
#pragma once

#include <cstdint>

namespace warden::arm64 {

inline constexpr uint32_t kHypTimerIntid = 26;
inline constexpr uint32_t kSpuriousIntid = 1023;

void gic_set_base(uint64_t gicd, uint64_t gicc);
void gic_enable_ppi(uint32_t intid);
void gic_disable_ppi(uint32_t intid);
// Acknowledges the highest-priority pending interrupt; returns its IAR value.
uint32_t gic_ack();
void gic_eoi(uint32_t iar);

// Hypervisor timer (CNTHP): fires after `ticks` counter ticks.
void timer_arm(uint64_t ticks);
uint64_t timer_slice_ticks();

}  // namespace warden::arm64
