// SPDX-License-Identifier: Apache-2.0
#include "smc.h"

#include "optee.h"
#include "platform.h"
#include "psci.h"
#include "warden/platform.h"

namespace warden::fw {
namespace {

namespace smccc = abi::smccc;
using smccc::Owner;

void arch_service(SmcRegs& regs) {
    switch (regs.id()) {
    case smccc::kVersion:
        regs.set_result(smccc::kVersion1_1);
        return;
    case smccc::kArchFeatures: {
        const uint32_t queried = static_cast<uint32_t>(regs.arg(1));
        const bool known = queried == smccc::kVersion || queried == smccc::kArchFeatures;
        regs.set_result(known ? smccc::kSuccess : smccc::kNotSupported);
        return;
    }
    default:
        regs.set_result(smccc::kNotSupported);
    }
}

void sip_service(SmcRegs& regs) {
    if (regs.id() == abi::platform::kExit) {
        optee::report_bench();
        platform::exit(static_cast<uint32_t>(regs.arg(1)));
    }
    regs.set_result(smccc::kNotSupported);
}

struct Service {
    Owner first;
    Owner last;
    void (*handle)(SmcRegs& regs);
};

constexpr Service kServices[] = {
    {Owner::Arch, Owner::Arch, arch_service},
    {Owner::Sip, Owner::Sip, sip_service},
    {Owner::StandardSecure, Owner::StandardSecure, psci::handle},
    {Owner::TrustedAppFirst, Owner::TrustedOsLast, optee::handle},
};

const Service* find_service(uint32_t id) {
    const auto owner = static_cast<uint8_t>((id >> smccc::kOwnerShift) & smccc::kOwnerMask);
    if (id & smccc::kFastBit) {
        // Bits 23:16 of a fast call are zero; anything else is not a call at all.
        if ((id >> 16) & 0xff) return nullptr;
    } else if (owner < static_cast<uint8_t>(Owner::TrustedAppFirst)) {
        return nullptr;  // only trusted applications and OSes have yielding calls
    }
    for (const Service& s : kServices) {
        if (owner >= static_cast<uint8_t>(s.first) && owner <= static_cast<uint8_t>(s.last)) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace

void smc_dispatch(SmcRegs& regs) {
    regs.function_id = static_cast<uint32_t>(regs.x[0]);
    const Service* s = find_service(regs.id());
    if (s) {
        s->handle(regs);
    } else {
        regs.set_result(smccc::kNotSupported);
    }
    // OP-TEE returns whole registers (its OS revision carries a 64-bit build ID);
    // its model writes exactly what OP-TEE would.
    if (s && s->handle == optee::handle) return;
    if (!regs.smc64()) {
        for (unsigned i = 0; i < 4; ++i) regs.x[i] = static_cast<uint32_t>(regs.x[i]);
    }
}

}  // namespace warden::fw
