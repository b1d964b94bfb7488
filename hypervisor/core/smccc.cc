// SPDX-License-Identifier: Apache-2.0
#include "core/smccc.h"

#include "core/hypercall.h"
#include "core/tee/tee.h"
#include "core/vpsci.h"

namespace warden::smccc {
namespace {

using abi::smccc::Owner;

Result arch_service(Vcpu&, const Call& call, Conduit) {
    switch (call.id) {
    case abi::smccc::kVersion:
        return Result::value(abi::smccc::kVersion1_1);
    case abi::smccc::kArchFeatures: {
        auto queried = static_cast<uint32_t>(call.arg(1));
        bool known = queried == abi::smccc::kVersion || queried == abi::smccc::kArchFeatures;
        return Result::value(known ? abi::smccc::kSuccess : abi::smccc::kNotSupported);
    }
    default:
        return Result::not_supported();
    }
}

constexpr Service kServices[] = {
    {static_cast<uint8_t>(Owner::Arch), static_cast<uint8_t>(Owner::Arch), "arch", arch_service},
    {static_cast<uint8_t>(Owner::StandardSecure), static_cast<uint8_t>(Owner::StandardSecure),
     "psci", vpsci::handle_call},
    {static_cast<uint8_t>(Owner::VendorHypervisor), static_cast<uint8_t>(Owner::VendorHypervisor),
     "hypervisor", hypercall::handle_call},
    {static_cast<uint8_t>(Owner::TrustedAppFirst), static_cast<uint8_t>(Owner::TrustedOsLast),
     "tee", tee::handle_call},
};

// Owner number -> service, built once at compile time: routing is one load.
struct OwnerTable {
    const Service* entry[64];
};
constexpr OwnerTable make_owner_table() {
    OwnerTable t{};
    for (const auto& s : kServices) {
        for (unsigned o = s.first_owner; o <= s.last_owner; ++o) t.entry[o] = &s;
    }
    return t;
}
constexpr OwnerTable kByOwner = make_owner_table();

}  // namespace

const char* to_string(Conduit c) {
    return c == Conduit::Hvc ? "hvc" : "smc";
}

const Service* route(uint32_t id) {
    bool fast = id & abi::smccc::kFastBit;
    if (fast && ((id >> 16) & 0xff) != 0) return nullptr;  // not a well-formed fast call
    return kByOwner.entry[(id >> abi::smccc::kOwnerShift) & abi::smccc::kOwnerMask];
}

bool dispatch(Vcpu& vcpu, Conduit conduit) {
    Call call = Call::from(vcpu.regs);
    const Service* s = route(call.id);
    Result r = s ? s->handle(vcpu, call, conduit) : Result::not_supported();
    uint64_t mask = (call.smc64() || r.full_width) ? ~uint64_t{0} : 0xffffffffu;
    vcpu.regs.x[0] = r.x[0] & mask;
    vcpu.regs.x[1] = r.x[1] & mask;
    vcpu.regs.x[2] = r.x[2] & mask;
    vcpu.regs.x[3] = r.x[3] & mask;
    return r.reschedule;
}

}  // namespace warden::smccc
