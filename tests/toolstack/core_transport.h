// SPDX-License-Identifier: Apache-2.0
// A Transport that runs the real hypervisor core (domctl handling, domains, the
// TEE framework and OP-TEE mediator) on the fake machine, with the firmware's
// OP-TEE model as the secure world: the toolstack's unit tests meet the same
// semantics and errors as on QEMU, without QEMU.
//
// Failure injection: `inject` sees every request first and may answer it
// instead (a -errno for domctls and loads, or a transport Error).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/domain.h"
#include "firmware/optee/model.h"
#include "hypervisor.h"
#include "unit/fake_machine.h"

namespace warden::toolstack::testing {

struct CoreTransportConfig {
    uint32_t tee_guests = 2;  // 0: a platform without TEE
    uint64_t ram = 64ull << 20;
};

class CoreTransport : public Transport {
public:
    explicit CoreTransport(const CoreTransportConfig& cfg = {});
    ~CoreTransport() override;

    Result<int64_t> domctl(abi::Domctl& op) override;
    Result<int64_t> load(uint16_t domid, uint64_t dst, std::span<const uint8_t> data) override;
    Result<int64_t> console_input(uint16_t domid, std::span<const uint8_t> data,
                                  uint32_t& accepted) override;
    Result<int64_t> console_read(uint16_t domid, uint64_t from, uint32_t max,
                                 ConsoleChunk& out) override;
    Result<PingInfo> ping() override;

    // Called with the command (kCopyToDomain for loads) before it runs; returning
    // a value answers the request with it instead.
    std::function<std::optional<Result<int64_t>>(uint32_t cmd)> inject;

    const optee_model::Model& optee() const { return model_; }
    Domain* domain(uint16_t id) { return domains_.find(DomId{id}); }
    uint64_t domctls() const { return domctls_; }

private:
    std::optional<Result<int64_t>> injected(uint32_t cmd);

    std::mutex mu_;
    test::FakeMachine machine_;
    PageAllocator alloc_;
    DomainTable domains_{alloc_};
    optee_model::Model model_;
    Domain* dom0_ = nullptr;
    uint64_t domctls_ = 0;
};

}  // namespace warden::toolstack::testing
