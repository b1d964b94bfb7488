// SPDX-License-Identifier: Apache-2.0
#include "core/vpsci.h"

#include "core/arch.h"
#include "core/domain.h"
#include "core/log.h"
#include "warden/psci.h"
#include "warden/smccc.h"

namespace warden::vpsci {
namespace {

namespace psci = abi::psci;
using smccc::Result;

bool implemented(uint32_t id) {
    switch (id) {
    case psci::kVersion:
    case psci::kCpuSuspend:
    case psci::kCpuSuspend32:
    case psci::kCpuOff:
    case psci::kCpuOn:
    case psci::kAffinityInfo:
    case psci::kMigrateInfoType:
    case psci::kSystemOff:
    case psci::kSystemReset:
    case psci::kFeatures:
    // Not a PSCI function, but PSCI_FEATURES is how a caller learns that SMCCC
    // 1.1 (SMCCC_VERSION, SMCCC_ARCH_FEATURES) is there.
    case abi::smccc::kVersion:
        return true;
    default:
        return false;
    }
}

// PSCI_FEATURES(CPU_SUSPEND) flags: bit 1 clear = the original power_state
// format, bit 0 clear = platform-coordinated mode only.
constexpr int32_t kCpuSuspendFeatures = 0;

// vCPU n of a domain has MPIDR affinity 0 = n, other affinity levels 0.
Vcpu* target_vcpu(Domain& d, uint64_t mpidr) {
    if (mpidr & ~uint64_t{0xff}) return nullptr;
    if (mpidr >= d.vcpu_count()) return nullptr;
    return &d.vcpu(static_cast<unsigned>(mpidr));
}

Result cpu_on(Vcpu& caller, const smccc::Call& call) {
    Domain& d = *caller.domain;
    Vcpu* target = target_vcpu(d, call.arg(1));
    if (!target) return Result::value(psci::kInvalidParameters);
    if (target->state == VcpuState::Runnable) return Result::value(psci::kAlreadyOn);
    Ipa entry(call.arg(2));
    if (entry < d.ram_base() || entry - d.ram_base() >= d.ram_size() ||
        !is_aligned(entry.value(), 4)) {
        return Result::value(psci::kInvalidAddress);
    }
    arch::vcpu_reset(*target, entry, call.arg(3));
    target->state = VcpuState::Runnable;
    return Result::value(psci::kSuccess);
}

Result affinity_info(Vcpu& caller, const smccc::Call& call) {
    if (call.arg(2) != 0) return Result::value(psci::kInvalidParameters);
    Vcpu* target = target_vcpu(*caller.domain, call.arg(1));
    if (!target) return Result::value(psci::kInvalidParameters);
    return Result::value(target->state == VcpuState::Off ? psci::kAffinityOff : psci::kAffinityOn);
}

}  // namespace

Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit) {
    Domain& d = *vcpu.domain;
    switch (call.id) {
    case psci::kVersion:
        return Result::value(psci::kVersion1_1);
    case psci::kFeatures: {
        auto queried = static_cast<uint32_t>(call.arg(1));
        if (!implemented(queried)) return Result::value(psci::kNotSupported);
        bool suspend = queried == psci::kCpuSuspend || queried == psci::kCpuSuspend32;
        return Result::value(suspend ? kCpuSuspendFeatures : psci::kSuccess);
    }
    case psci::kCpuSuspend:
    case psci::kCpuSuspend32: {
        // Every state is entered as standby: the vCPU gives up the CPU like WFI
        // and the call returns SUCCESS when it runs again, its context intact
        // (for a power-down state that is what an early wake-up looks like).
        Result r = Result::value(psci::kSuccess);
        r.reschedule = true;
        return r;
    }
    case psci::kMigrateInfoType:
        return Result::value(2);  // no Trusted OS that would need migrating
    case psci::kCpuOn:
        return cpu_on(vcpu, call);
    case psci::kAffinityInfo:
        return affinity_info(vcpu, call);
    case psci::kCpuOff: {
        vcpu.state = VcpuState::Off;
        d.vcpu_stopped();
        Result r = Result::value(psci::kSuccess);
        r.reschedule = true;
        return r;
    }
    case psci::kSystemOff:
    case psci::kSystemReset: {
        d.shutdown(call.id == psci::kSystemOff ? ShutdownReason::PowerOff : ShutdownReason::Reset);
        Result r = Result::value(psci::kSuccess);
        r.reschedule = true;
        return r;
    }
    default:
        return Result::not_supported();
    }
}

}  // namespace warden::vpsci
