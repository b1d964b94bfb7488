// SPDX-License-Identifier: Apache-2.0
// The firmware's OP-TEE model as the fake machine's secure world: every SMC the
// hypervisor core makes reaches `model`, as it would reach the firmware on QEMU.
#pragma once

#include <cstring>

#include "fake_machine.h"
#include "firmware/optee/model.h"

namespace warden::test {

inline void use_optee_model(FakeMachine& machine, optee_model::Model& model) {
    machine.secure_world = [&model](const arch::SecureRegs& in) {
        optee_model::Regs r{};
        std::memcpy(r.x, in.x, sizeof r.x);
        optee_model::Regs out = model.call(r);
        arch::SecureRegs s{};
        std::memcpy(s.x, out.x, sizeof s.x);
        return s;
    };
}

}  // namespace warden::test
