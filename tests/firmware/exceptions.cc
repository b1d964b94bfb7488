// SPDX-License-Identifier: Apache-2.0
// Exceptions taken to EL3: SMCs from the normal world go to the dispatcher; anything
// else is a firmware bug or a platform fault, reported and fatal.
#include "console.h"
#include "platform.h"
#include "smc.h"
#include "warden/platform.h"

namespace warden::fw {
namespace {

constexpr uint32_t kEcSmc32 = 0x13;  // from AArch32
constexpr uint32_t kEcSmc64 = 0x17;

// Vector slots in VBAR_EL3 order (vectors.S passes the slot number).
const char* const kVectorNames[16] = {
    "sync from EL3 (SP_EL0)",
    "IRQ from EL3 (SP_EL0)",
    "FIQ from EL3 (SP_EL0)",
    "SError from EL3 (SP_EL0)",
    "sync from EL3",
    "IRQ from EL3",
    "FIQ from EL3",
    "SError from EL3",
    "sync from a lower EL",
    "IRQ from a lower EL",
    "FIQ from a lower EL",
    "SError from a lower EL",
    "sync from a lower EL (A32)",
    "IRQ from a lower EL (A32)",
    "FIQ from a lower EL (A32)",
    "SError from a lower EL (A32)",
};

[[noreturn]] void fatal(unsigned slot, uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr) {
    console::log_fatal(
        "fatal: unexpected %s: ESR_EL3 0x%lx ELR_EL3 0x%lx FAR_EL3 0x%lx "
        "SPSR_EL3 0x%lx",
        slot < 16 ? kVectorNames[slot] : "exception", esr, elr, far, spsr);
    platform::halt(abi::platform::kExitFirmwareFault);
}

}  // namespace

// Synchronous exception from EL2/EL1: x0..x30 saved in *regs, restored on return.
extern "C" void fw_lower_el_sync(SmcRegs* regs, unsigned slot, uint64_t far) {
    const uint32_t ec = static_cast<uint32_t>(regs->esr >> 26) & 0x3f;
    const bool smc64_id = regs->x[0] & abi::smccc::kSmc64Bit;
    if (ec == kEcSmc64 || (ec == kEcSmc32 && !smc64_id)) {
        smc_dispatch(*regs);
        return;
    }
    if (ec == kEcSmc32) {  // an SMC64 function ID from AArch32 cannot be a valid call
        regs->x[0] = static_cast<uint32_t>(abi::smccc::kNotSupported);
        return;
    }
    fatal(slot, regs->esr, regs->elr, far, regs->spsr);
}

extern "C" [[noreturn]] void fw_unexpected(unsigned slot, uint64_t esr, uint64_t elr, uint64_t far,
                                           uint64_t spsr) {
    fatal(slot, esr, elr, far, spsr);
}

}  // namespace warden::fw
