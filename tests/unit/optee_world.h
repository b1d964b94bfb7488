// SPDX-License-Identifier: Apache-2.0
// The firmware's OP-TEE model as the fake machine's secure world: every SMC the
// hypervisor core makes reaches `model`, as it would reach the firmware on QEMU.
#pragma once

#include <cstring>

#include "fake_machine.h"
#include "firmware/optee/model.h"

namespace warden::test {

// The fake machine's RAM as the model's normal-world memory.
class FakeMachineMemory final : public optee_model::Memory {
public:
    explicit FakeMachineMemory(FakeMachine& m) : m_(m) {}
    bool read(uint64_t pa, void* dst, uint64_t size) override {
        if (!inside(pa, size)) return false;
        std::memcpy(dst, m_.host(Pa(pa)), size);
        return true;
    }
    bool write(uint64_t pa, const void* src, uint64_t size) override {
        if (!inside(pa, size)) return false;
        std::memcpy(m_.host(Pa(pa)), src, size);
        return true;
    }

private:
    bool inside(uint64_t pa, uint64_t size) const {
        uint64_t base = m_.ram_base().value();
        return pa >= base && pa - base <= m_.ram_size() && size <= m_.ram_size() - (pa - base);
    }
    FakeMachine& m_;
};

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
