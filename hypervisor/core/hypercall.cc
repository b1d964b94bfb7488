// SPDX-License-Identifier: Apache-2.0
#include "core/hypercall.h"

#include "core/domain.h"
#include "core/domctl.h"
#include "warden/hypercall.h"

namespace warden::hypercall {
namespace {

namespace hc = abi::hc;
using smccc::Result;

Result console_write(Vcpu& vcpu, const smccc::Call& call) {
    uint64_t n = call.arg(1);
    if (n > hc::kConsoleWriteMax) return Result::value(abi::smccc::kInvalidParameter);
    char buf[hc::kConsoleWriteMax];
    for (uint64_t i = 0; i < n; ++i) {
        buf[i] = static_cast<char>(call.arg(2 + i / 8) >> (8 * (i % 8)));
    }
    vcpu.domain->console_put(buf, n);
    return Result::value(static_cast<int64_t>(n));
}

}  // namespace

Result handle_call(Vcpu& vcpu, const smccc::Call& call, smccc::Conduit) {
    switch (call.id) {
    case hc::kVersion:
        return Result::value(hc::kInterfaceVersion);
    case hc::kConsoleWrite:
        return console_write(vcpu, call);
    case abi::kDomctl:
        return domctl::handle_call(vcpu, call);
    case hc::kYield: {
        Result r = Result::value(0);
        r.reschedule = true;
        return r;
    }
    default:
        break;
    }
    if (call.fast() && !call.smc64()) {
        switch (call.function()) {
        case abi::smccc::kCallCountFn:
            return Result::value(hc::kCallCount);
        case abi::smccc::kUidFn:
            return Result::value(hc::kUid[0], hc::kUid[1], hc::kUid[2], hc::kUid[3]);
        case abi::smccc::kRevisionFn:
            return Result::value(hc::kInterfaceVersion >> 16, hc::kInterfaceVersion & 0xffff);
        default:
            break;
        }
    }
    return Result::not_supported();
}

}  // namespace warden::hypercall
