// SPDX-License-Identifier: Apache-2.0
#include "optee.h"

#include "console.h"
#include "optee/model.h"

namespace warden::fw::optee {
namespace {

bool g_present = false;
bool g_trace = false;
optee_model::Model g_model;

}  // namespace

void configure(bool present, uint32_t guest_limit, bool trace) {
    g_present = present;
    g_trace = trace;
    g_model = optee_model::Model(optee_model::Config{guest_limit, 2});
    if (present) {
        console::log("OP-TEE model: virtualization, %u guest(s)%s", guest_limit,
                     trace ? ", tracing calls" : "");
    } else {
        console::log("no Trusted OS");
    }
}

void handle(SmcRegs& regs) {
    if (!g_present) {
        regs.set_result(abi::smccc::kNotSupported);
        regs.x[0] = static_cast<uint32_t>(regs.x[0]);
        return;
    }
    optee_model::Regs in{};
    for (unsigned i = 0; i < 8; ++i) in.x[i] = regs.x[i];
    optee_model::Regs out = g_model.call(in);
    if (g_trace) {
        console::log("optee: client=%u fn=0x%08x a1=0x%lx -> 0x%lx",
                     static_cast<uint32_t>(in.x[7] & 0xffff), static_cast<uint32_t>(in.x[0]),
                     in.x[1], out.x[0]);
    }
    for (unsigned i = 0; i < 4; ++i) regs.x[i] = out.x[i];
}

}  // namespace warden::fw::optee
