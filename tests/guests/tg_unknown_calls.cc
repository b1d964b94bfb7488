// SPDX-License-Identifier: Apache-2.0
// Unknown SMCCC function IDs return NOT_SUPPORTED over both conduits, known ones
// work over both, and x4..x7 survive every call. (Non-zero immediates are not
// SMCCC calls at all: tg_conformance checks those.)
#include "guest/guest.h"
#include "warden/hypercall.h"
#include "warden/psci.h"
#include "warden/smccc.h"

namespace {

constexpr uint64_t kNotSupported32 = 0xffffffffu;
constexpr uint64_t kNotSupported64 = ~uint64_t{0};

int failures = 0;

void expect(bool use_smc, uint32_t id, uint64_t want, const char* what) {
    guest::Regs in{{id, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777}};
    guest::Regs out = guest::call(use_smc, in);
    const char* conduit = use_smc ? "smc" : "hvc";
    bool preserved =
        out.x[4] == 0x4444 && out.x[5] == 0x5555 && out.x[6] == 0x6666 && out.x[7] == 0x7777;
    if (out.x[0] != want || !preserved) {
        guest::print("FAIL: %s 0x%08x (%s): x0 = 0x%lx, want 0x%lx; x4..x7 %s", conduit, id, what,
                     out.x[0], want, preserved ? "kept" : "CLOBBERED");
        ++failures;
        return;
    }
    guest::print("ok: %s 0x%08x (%s) -> 0x%lx", conduit, id, what, out.x[0]);
}

}  // namespace

int guest_main() {
    namespace smccc = warden::abi::smccc;
    namespace psci = warden::abi::psci;
    namespace hc = warden::abi::hc;
    const bool conduits[] = {false, true};
    for (bool use_smc : conduits) {
        expect(use_smc, 0x8000ff7f, kNotSupported32, "unknown arch call");
        expect(use_smc, 0x82001234, kNotSupported32, "unknown SiP call");
        expect(use_smc, 0x83000001, kNotSupported32, "OEM call");
        expect(use_smc, 0xc3000001, kNotSupported64, "OEM call, SMC64");
        expect(use_smc, 0x84001234, kNotSupported32, "unknown PSCI call");
        expect(use_smc, 0x85000001, kNotSupported32, "standard hypervisor call");
        expect(use_smc, 0x86001234, kNotSupported32, "unknown Warden hypercall");
        expect(use_smc, 0xc6001234, kNotSupported64, "unknown Warden hypercall, SMC64");
        expect(use_smc, 0x80ff0000, kNotSupported32, "fast call with bits 23:16 set");
        expect(use_smc, 0x3f000000, kNotSupported32, "yielding Trusted OS call (no TEE yet)");
        expect(use_smc, 0xbf00ff01, kNotSupported32, "Trusted OS UID (no TEE yet)");
        expect(use_smc, 0xb0000000, kNotSupported32, "Trusted App call (no TEE yet)");
        expect(use_smc, smccc::kVersion, smccc::kVersion1_1, "SMCCC_VERSION");
        expect(use_smc, psci::kVersion, psci::kVersion1_1, "PSCI_VERSION");
        expect(use_smc, hc::kVersion, hc::kInterfaceVersion, "Warden version");
    }
    guest::print("unknown_calls: %d failure(s)", failures);
    return failures;
}
