// SPDX-License-Identifier: Apache-2.0
// SMCCC call decoding and the dispatcher that routes a guest's call, whether it
// arrived over HVC or a trapped SMC, to the service that owns its function ID.
#pragma once

#include <cstdint>

#include "core/vcpu.h"
#include "warden/smccc.h"

namespace warden::smccc {

enum class Conduit : uint8_t { Hvc, Smc };

const char* to_string(Conduit c);

// A decoded call, read in place from the caller's saved registers: w0 = function
// ID, x1..x7 = arguments (x7 also carries the client ID when the call goes to a
// secure-world service).
struct Call {
    uint32_t id;
    const uint64_t* x;  // the caller's x0..x7

    static Call from(const GuestRegs& r) { return Call{static_cast<uint32_t>(r.x[0]), r.x}; }
    uint64_t arg(unsigned n) const { return x[n]; }
    bool fast() const { return id & abi::smccc::kFastBit; }
    bool smc64() const { return id & abi::smccc::kSmc64Bit; }
    uint8_t owner() const { return (id >> abi::smccc::kOwnerShift) & abi::smccc::kOwnerMask; }
    uint16_t function() const { return id & abi::smccc::kFunctionMask; }
    // Fast calls must have bits 23:16 clear; such IDs are not valid calls at all.
    bool well_formed() const { return !fast() || ((id >> 16) & 0xff) == 0; }
};

// What a service answers: x0..x3, and whether the calling vCPU may keep running.
struct Result {
    uint64_t x[4] = {static_cast<uint64_t>(static_cast<int64_t>(abi::smccc::kNotSupported)), 0, 0,
                     0};
    bool reschedule = false;  // the caller stopped, yielded or changed state
    bool full_width = false;  // x0..x3 as given, even for an SMC32 function ID

    static Result value(int64_t v0, uint64_t v1 = 0, uint64_t v2 = 0, uint64_t v3 = 0) {
        Result r;
        r.x[0] = static_cast<uint64_t>(v0);
        r.x[1] = v1;
        r.x[2] = v2;
        r.x[3] = v3;
        return r;
    }
    static Result not_supported() { return Result{}; }
};

using ServiceFn = Result (*)(Vcpu& vcpu, const Call& call, Conduit conduit);

struct Service {
    uint8_t first_owner;
    uint8_t last_owner;
    const char* name;
    ServiceFn handle;
};

// Routes a call to its owner's service and writes x0..x3 back into the vCPU's
// registers (32-bit results zero-extended for SMC32 IDs). Returns true when the
// vCPU must be rescheduled.
bool dispatch(Vcpu& vcpu, Conduit conduit);

// Exposed for tests: the route a function ID takes (nullptr: none, answered -1).
const Service* route(uint32_t id);

}  // namespace warden::smccc
