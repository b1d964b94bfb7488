// SPDX-License-Identifier: Apache-2.0
// The toolstack's view of the hypervisor: typed operations mirroring the domctls
// (warden/domctl.h). One implementation drives a real hypervisor through a
// Transport (the relay to the dom0 agent); tests use the same class over a fake
// transport, so everything above it is tested against the real semantics.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "status.h"
#include "warden/domctl.h"

namespace warden::toolstack {

// The hypervisor's codes (warden/domctl.h), and Unknown for any other value.
enum class DomainState : uint32_t {
    Unknown = 0,
    Created = abi::kStateCreated,
    Running = abi::kStateRunning,
    Paused = abi::kStatePaused,
    Shutdown = abi::kStateShutdown,
    Crashed = abi::kStateCrashed,
};
enum class ShutdownReason : uint32_t {
    None = abi::kShutdownNone,
    PowerOff = abi::kShutdownPowerOff,
    Reset = abi::kShutdownReset,
    CpusOff = abi::kShutdownCpusOff,
    Crash = abi::kShutdownCrash,
    Unknown = 0xffffffff,
};
enum class TeeType { None, Optee };

const char* to_string(DomainState s);
const char* to_string(ShutdownReason r);
const char* to_string(TeeType t);

struct DomainInfo {
    uint16_t id = 0;
    std::string name;
    uint64_t tool_data = 0;
    DomainState state = DomainState::Unknown;
    ShutdownReason shutdown = ShutdownReason::None;
    bool privileged = false;
    bool has_run = false;  // a guest that has run can no longer change its TEE
    uint16_t vcpus = 0;
    uint64_t ram_base = 0;
    uint64_t ram_size = 0;
    TeeType tee = TeeType::None;
    uint16_t tee_client = 0;
};

struct TeeStatus {
    TeeType type = TeeType::None;
    uint16_t client_id = 0;
    uint64_t calls_forwarded = 0;
    uint64_t calls_refused = 0;
    uint32_t guest_limit = 0;  // 0: not known yet
    uint32_t guests_in_use = 0;
    TeeQuotas limits;  // zero when the TEE is not enabled
    TeeQuotas in_use;
};

struct TeeInfo {
    TeeType type = TeeType::None;
    uint32_t os_major = 0, os_minor = 0;
    uint32_t guest_limit = 0;  // 0: not known yet
    uint32_t guests_in_use = 0;
    uint32_t threads = 0;
};

struct ConsoleChunk {
    std::string data;
    uint64_t next = 0;
    uint64_t lost = 0;
};

struct CreateSpec {
    std::string name;
    uint64_t ram_size = 0;
    uint32_t vcpus = 1;
    uint64_t tool_data = 0;
};

struct PingInfo {
    uint32_t agent_version = 0;
    uint32_t hypercall_version = 0;
    uint32_t max_payload = 0;
};

// The raw operations a transport carries, one at a time.
class Transport {
public:
    virtual ~Transport() = default;
    // Issues the domctl; returns its rc (0 or -errno) with `op` as written back.
    virtual Result<int64_t> domctl(abi::Domctl& op) = 0;
    // Copies bytes into a domain (any size: the transport splits it).
    virtual Result<int64_t> load(uint16_t domid, uint64_t dst, std::span<const uint8_t> data) = 0;
    virtual Result<int64_t> console_read(uint16_t domid, uint64_t from, uint32_t max,
                                         ConsoleChunk& out) = 0;
    // Queues input for the target's PL011; `accepted` says how much it took.
    virtual Result<int64_t> console_input(uint16_t domid, std::span<const uint8_t> data,
                                          uint32_t& accepted) = 0;
    virtual Result<PingInfo> ping() = 0;
};

class Hypervisor {
public:
    explicit Hypervisor(std::shared_ptr<Transport> transport) : t_(std::move(transport)) {}

    Result<PingInfo> ping() { return t_->ping(); }
    Result<uint16_t> create_domain(const CreateSpec& spec);
    Status load(uint16_t domid, uint64_t ipa, std::span<const uint8_t> data);
    Status set_vcpu_entry(uint16_t domid, uint32_t vcpu, uint64_t pc, uint64_t x0);
    Status pause(uint16_t domid);
    Status unpause(uint16_t domid);
    Status destroy(uint16_t domid);
    Result<DomainInfo> get_info(uint16_t domid);
    Result<std::vector<DomainInfo>> list();
    // Quotas of 0 take the hypervisor's defaults.
    Status tee_enable(uint16_t domid, TeeType type, TeeQuotas quotas = {});
    // New limits for a guest's TEE; refused (-EBUSY) below what it holds.
    Status tee_set_quotas(uint16_t domid, TeeQuotas limits);
    Status tee_disable(uint16_t domid);
    Result<TeeStatus> tee_query(uint16_t domid);
    Result<TeeInfo> tee_info();
    Status set_tool_data(uint16_t domid, uint64_t value);
    Result<ConsoleChunk> console_read(uint16_t domid, uint64_t from, uint32_t max = 4096);
    // Input for the guest's emulated PL011, at most abi::kConsoleInputMax bytes
    // at a time: how many it took (0 while its 256-byte buffer is full).
    Result<uint32_t> console_input(uint16_t domid, std::span<const uint8_t> data);

    Transport& transport() { return *t_; }

private:
    Result<int64_t> call(abi::Domctl& op);
    std::shared_ptr<Transport> t_;
};

// A domctl with the envelope filled in (the ABI header's helper).
using abi::make_domctl;

// The sentence for a domctl error: what the errno means for that operation.
std::string domctl_error_reason(uint32_t cmd, uint16_t domid, int negative_errno,
                                const std::optional<TeeOccupancy>& tee = std::nullopt);

// "the TEE has no room for another guest (2 of 2 client IDs in use)": the one
// place this is said.
std::string tee_full_sentence(const std::optional<TeeOccupancy>& occupancy);

}  // namespace warden::toolstack
