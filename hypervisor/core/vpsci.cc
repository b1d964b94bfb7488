#include "core/vpsci.h"

#include "core/arch.h"
#include "core/domain.h"
#include "core/log.h"
#include "warden/psci.h"

namespace warden::vpsci {
namespace {

namespace psci = abi::psci;
using smccc::Result;

bool implemented(uint32_t id) {
    switch (id) {
    case psci::kVersion:
    case psci::kCpuOff:
    case psci::kCpuOn:
    case psci::kAffinityInfo:
    case psci::kMigrateInfoType:
    case psci::kSystemOff:
    case psci::kSystemReset:
    case psci::kFeatures:
        return true;
    default:
        return false;
    }
}

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
    case psci::kFeatures:
        return Result::value(implemented(static_cast<uint32_t>(call.arg(1))) ? psci::kSuccess
                                                                             : psci::kNotSupported);
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
