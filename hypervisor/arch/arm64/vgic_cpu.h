// SPDX-License-Identifier: Apache-2.0
// The virtual GIC CPU interface and the virtual timer (arch/arm64/vgic_cpu.cc).
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace warden::arm64 {

inline constexpr uint32_t kMaintenanceIntid = 25;
inline constexpr uint32_t kVtimerIntid = 27;

// The hypervisor interface and the virtual CPU interface, from the device tree
// (0 keeps QEMU virt's).
void vgic_set_base(uint64_t gich, uint64_t gicv);
// Where the hardware's virtual CPU interface is (mapped at each guest's GICC).
uint64_t gicv_base();
// Around a vCPU switch: its list registers, VMCR and APR.
void vgic_save(Vcpu& v);
void vgic_load(Vcpu& v);
// Finished list registers return to the distributor, what it picked fills the
// free ones. Called where the running vCPU's interrupts can change: after an
// interrupt, after a device access, when a vCPU is switched in. Calls (HVC,
// SMC) change none, so the call path never looks.
void vgic_sync(Vcpu& v);
// The running vCPU's virtual timer fired (physical PPI 27 at EL2).
void vtimer_fired(Vcpu& v);
// Raises the virtual timer of every vCPU but `running` whose saved timer is due.
void vtimer_wake_sleepers(Vcpu* running);

}  // namespace warden::arm64
