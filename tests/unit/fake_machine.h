// SPDX-License-Identifier: Apache-2.0
// A fake machine for host unit tests of the hypervisor core: a buffer that stands
// for physical RAM, and arch hooks that record what the core asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/types.h"
#include "core/vcpu.h"

namespace warden::test {

// Thrown by the fake arch::platform_exit so tests can observe the status.
struct PlatformExit {
    uint32_t status;
};

class FakeMachine {
public:
    static constexpr uint64_t kRamBase = 0x40000000;

    explicit FakeMachine(uint64_t ram_size = 64 * 1024 * 1024);
    ~FakeMachine();
    FakeMachine(const FakeMachine&) = delete;
    FakeMachine& operator=(const FakeMachine&) = delete;

    Pa ram_base() const { return Pa(kRamBase); }
    uint64_t ram_size() const { return ram_.size(); }
    uint8_t* host(Pa pa) { return &ram_[pa.value() - kRamBase]; }

    // Everything written to the hypervisor console so far.
    std::string console;
    unsigned vcpu_switches = 0;
    unsigned undefs_injected = 0;
    // External aborts the core injected (virtual address, write); set
    // abort_cannot_be_taken to have the guest refuse them.
    struct Abort {
        uint64_t va;
        bool write;
    };
    std::vector<Abort> aborts_injected;
    bool abort_cannot_be_taken = false;
    unsigned stage2_flushes = 0;
    // The secure world behind arch::secure_call. By default there is no Trusted
    // OS: every call gets the 32-bit "unknown function" answer.
    std::function<arch::SecureRegs(const arch::SecureRegs&)> secure_world;
    unsigned secure_calls = 0;

    static FakeMachine* current();

private:
    std::vector<uint8_t> ram_;
};

}  // namespace warden::test
