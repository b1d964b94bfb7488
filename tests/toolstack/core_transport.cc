// SPDX-License-Identifier: Apache-2.0
#include "core_transport.h"

#include <cstring>

#include "core/domctl.h"
#include "core/tee/tee.h"
#include "unit/optee_world.h"
#include "warden/hypercall.h"
#include "warden/relay.h"

namespace warden::toolstack::testing {
namespace {
constexpr uint64_t kBufferOffset = 0x100000;  // scratch area in dom0's RAM
}

CoreTransport::CoreTransport(const CoreTransportConfig& cfg)
    : machine_(cfg.ram), model_(optee_model::Config{cfg.tee_guests ? cfg.tee_guests : 1, 2}) {
    alloc_.init(machine_.ram_base(), machine_.ram_size(), machine_.ram_base());
    DomainConfig d0;
    d0.privileged = true;
    d0.ram_size = 4ull << 20;
    d0.name = "control";
    domains_.create(d0, &dom0_);
    dom0_->mark_running();
    if (cfg.tee_guests) {
        test::use_optee_model(machine_, model_);
    }
    tee::reset();
    tee::set_pages(&alloc_);
    tee::init();
}

CoreTransport::~CoreTransport() {
    tee::reset();
    tee::set_pages(nullptr);
}

std::optional<Result<int64_t>> CoreTransport::injected(uint32_t cmd) {
    if (!inject) return std::nullopt;
    return inject(cmd);
}

Result<int64_t> CoreTransport::domctl(abi::Domctl& op) {
    std::lock_guard lock(mu_);
    ++domctls_;
    if (auto r = injected(op.cmd)) return *r;
    return static_cast<int64_t>(domctl::execute(domains_, *dom0_, op));
}

Result<int64_t> CoreTransport::load(uint16_t domid, uint64_t dst, std::span<const uint8_t> data) {
    std::lock_guard lock(mu_);
    if (auto r = injected(abi::kCopyToDomain)) return *r;
    Ipa buf = dom0_->ram_base() + kBufferOffset;
    for (size_t done = 0; done < data.size();) {
        size_t n = std::min<size_t>(data.size() - done, 512 * 1024);
        dom0_->copy_to_guest(buf, data.data() + done, n);
        auto op = make_domctl(abi::kCopyToDomain, domid);
        op.u.copy = {dst + done, buf.value(), n};
        ++domctls_;
        int rc = domctl::execute(domains_, *dom0_, op);
        if (rc) return static_cast<int64_t>(rc);
        done += n;
    }
    return int64_t{0};
}

Result<int64_t> CoreTransport::console_read(uint16_t domid, uint64_t from, uint32_t max,
                                            ConsoleChunk& out) {
    std::lock_guard lock(mu_);
    if (auto r = injected(abi::kConsoleRead)) return *r;
    Ipa buf = dom0_->ram_base() + kBufferOffset;
    auto op = make_domctl(abi::kConsoleRead, domid);
    op.u.console.from = from;
    op.u.console.buf = buf.value();
    op.u.console.size = max;
    ++domctls_;
    int rc = domctl::execute(domains_, *dom0_, op);
    if (rc) return static_cast<int64_t>(rc);
    out.data.resize(op.u.console.copied);
    dom0_->copy_from_guest(out.data.data(), buf, out.data.size());
    out.next = op.u.console.next;
    out.lost = op.u.console.lost;
    return int64_t{0};
}

Result<int64_t> CoreTransport::console_input(uint16_t domid, std::span<const uint8_t> data,
                                             uint32_t& accepted) {
    std::lock_guard lock(mu_);
    if (auto r = injected(abi::kConsoleInput)) return *r;
    Ipa buf = dom0_->ram_base() + kBufferOffset;
    dom0_->copy_to_guest(buf, data.data(), data.size());
    auto op = make_domctl(abi::kConsoleInput, domid);
    op.u.input.buf = buf.value();
    op.u.input.size = static_cast<uint32_t>(data.size());
    ++domctls_;
    int rc = domctl::execute(domains_, *dom0_, op);
    accepted = rc == 0 ? op.u.input.accepted : 0;
    return static_cast<int64_t>(rc);
}

Result<PingInfo> CoreTransport::ping() {
    return PingInfo{abi::kRelayVersion, abi::hc::kInterfaceVersion, abi::kRelayMaxPayload};
}

}  // namespace warden::toolstack::testing
