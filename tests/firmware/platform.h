// SPDX-License-Identifier: Apache-2.0
// Board services the rest of the firmware builds on: interrupt controller set-up for
// the normal world, power control, and the way a test run reports its result.
#pragma once

#include <cstdint>

namespace warden::fw::platform {

// Returns false if the distributor is not a GICv2 (e.g. QEMU run with gic-version=3).
bool gic_is_v2();
// Hands every interrupt to the normal world (Group 1) and enables the distributor.
// Enabling it is also what releases the secondary CPUs (see wait_until_released).
void gic_init_distributor();
// Per-CPU banked state: this CPU's SGIs/PPIs to Group 1, its CPU interface enabled.
void gic_init_cpu();
// Secondary CPUs wait here until the primary has initialised the firmware's memory.
// The distributor's secure enable bit is the signal because, unlike anything in RAM,
// a system reset clears it, so no CPU can act on state left from before a reset.
void wait_until_released();

// Test mode: the platform runs under a test harness with semihosting enabled, so it
// may end QEMU with a status. Set once by the primary before secondaries run.
void set_test_mode(bool on);
bool test_mode();

// Pulses a secure GPIO line; returns only if the machine is still running a while
// later (no such device), so callers can report that.
void power_off();
void reset();

// Ends the platform with a status: QEMU's exit status in test mode; otherwise the
// status is printed and the machine powered off. Returns only if powering off failed.
void exit(uint32_t status);

// Stops this CPU for good (after a fatal error), reporting `status` in test mode.
[[noreturn]] void halt(uint32_t status);

}  // namespace warden::fw::platform
