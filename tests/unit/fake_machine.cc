// SPDX-License-Identifier: Apache-2.0
#include "fake_machine.h"

#include <cstdio>
#include <cstdlib>

#include "core/arch.h"
#include "core/domain.h"
#include "core/phys.h"

namespace warden::test {
namespace {
FakeMachine* g_machine = nullptr;
}

FakeMachine::FakeMachine(uint64_t ram_size) : ram_(ram_size, 0xa5) {
    g_machine = this;
}
FakeMachine::~FakeMachine() {
    g_machine = nullptr;
}
FakeMachine* FakeMachine::current() {
    return g_machine;
}

}  // namespace warden::test

namespace warden {

void* phys_to_virt(Pa pa) {
    auto* m = test::FakeMachine::current();
    if (!m || pa < m->ram_base() || pa - m->ram_base() >= m->ram_size()) {
        std::fprintf(stderr, "fake machine: access to PA 0x%llx outside fake RAM\n",
                     static_cast<unsigned long long>(pa.value()));
        std::abort();
    }
    return m->host(pa);
}

namespace arch {

void console_write(const char* s, size_t n) {
    if (auto* m = test::FakeMachine::current()) m->console.append(s, n);
}

void platform_exit(uint32_t status) {
    throw test::PlatformExit{status};
}

void vcpu_reset(Vcpu& v, Ipa entry, uint64_t arg) {
    v.regs = GuestRegs{};
    v.regs.x[0] = arg;
    v.regs.pc = entry.value();
    v.regs.pstate = 0x3c5;
}

void vcpu_switch(Vcpu*, Vcpu&) {
    if (auto* m = test::FakeMachine::current()) ++m->vcpu_switches;
}

void inject_undef(Vcpu&) {
    if (auto* m = test::FakeMachine::current()) ++m->undefs_injected;
}

bool inject_data_abort(Vcpu&, uint64_t va, bool write) {
    auto* m = test::FakeMachine::current();
    if (!m) return true;
    m->aborts_injected.push_back({va, write});
    return !m->abort_cannot_be_taken;
}

uint64_t counter() {
    static uint64_t ticks = 0;
    return ticks += 10;
}

void secure_call(SecureRegs& regs) {
    auto* m = test::FakeMachine::current();
    if (!m) std::abort();
    ++m->secure_calls;
    if (m->secure_world) {
        regs = m->secure_world(regs);
    } else {
        regs.x[0] = 0xffffffffu;  // no Trusted OS: unknown function
    }
}

void secure_forward(const uint64_t* args, uint64_t client, uint64_t out[4]) {
    SecureRegs r{{static_cast<uint32_t>(args[0]), args[1], args[2], args[3], args[4], args[5],
                  args[6], client}};
    secure_call(r);
    for (int i = 0; i < 4; ++i) out[i] = r.x[i];
}

int map_guest_gic(Domain&) {
    return 0;  // no GIC on the fake machine
}

void stage2_flush(const Domain&) {
    if (auto* m = test::FakeMachine::current()) ++m->stage2_flushes;
}

}  // namespace arch
}  // namespace warden
