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
        auto queried = static_cast<uint32_t>(call.arg[1]);
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

}  // namespace

const char* to_string(Conduit c) {
    return c == Conduit::Hvc ? "hvc" : "smc";
}

Call Call::from(const GuestRegs& r) {
    Call c;  // every field is written below: no zeroing on the hot path
    c.id = static_cast<uint32_t>(r.x[0]);
    c.arg[0] = 0;
    for (unsigned i = 1; i < 8; ++i) c.arg[i] = r.x[i];
    return c;
}

const Service* route(uint32_t id) {
    bool fast = id & abi::smccc::kFastBit;
    if (fast && ((id >> 16) & 0xff) != 0) return nullptr;  // not a well-formed fast call
    auto owner = static_cast<uint8_t>((id >> abi::smccc::kOwnerShift) & abi::smccc::kOwnerMask);
    for (const auto& s : kServices) {
        if (owner >= s.first_owner && owner <= s.last_owner) return &s;
    }
    return nullptr;
}

bool dispatch(Vcpu& vcpu, Conduit conduit) {
    Call call = Call::from(vcpu.regs);
    const Service* s = route(call.id);
    Result r = s ? s->handle(vcpu, call, conduit) : Result::not_supported();
    for (unsigned i = 0; i < 4; ++i) {
        vcpu.regs.x[i] = (call.smc64() || r.full_width) ? r.x[i] : (r.x[i] & 0xffffffffu);
    }
    return r.reschedule;
}

}  // namespace warden::smccc
