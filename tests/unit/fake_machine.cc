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

SecureRegs secure_call(const SecureRegs& in) {
    auto* m = test::FakeMachine::current();
    if (!m) std::abort();
    ++m->secure_calls;
    if (m->secure_world) return m->secure_world(in);
    return SecureRegs{{0xffffffffu, in.x[1], in.x[2], in.x[3], in.x[4], in.x[5], in.x[6], in.x[7]}};
}

void stage2_flush(const Domain&) {
    if (auto* m = test::FakeMachine::current()) ++m->stage2_flushes;
}

}  // namespace arch
}  // namespace warden
