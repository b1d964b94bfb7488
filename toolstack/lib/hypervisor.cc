// SPDX-License-Identifier: Apache-2.0
#include "hypervisor.h"

#include <cstring>

#include "warden/errno.h"

namespace warden::toolstack {
namespace {

namespace e = abi::err;

DomainState state_of(uint32_t s) {
    return s >= abi::kStateCreated && s <= abi::kStateCrashed ? static_cast<DomainState>(s)
                                                              : DomainState::Unknown;
}

ShutdownReason shutdown_of(uint32_t s) {
    return s <= abi::kShutdownCrash ? static_cast<ShutdownReason>(s) : ShutdownReason::Unknown;
}

TeeType tee_of(uint32_t t) {
    return t == abi::kTeeOptee ? TeeType::Optee : TeeType::None;
}

uint32_t abi_tee(TeeType t) {
    return t == TeeType::Optee ? abi::kTeeOptee : abi::kTeeNone;
}

DomainInfo info_of(const abi::DomctlGetDomainInfo& i) {
    DomainInfo d;
    d.id = i.domid;
    d.name.assign(i.name, strnlen(i.name, sizeof i.name));
    d.tool_data = i.tool_data;
    d.state = state_of(i.state);
    d.shutdown = shutdown_of(i.shutdown);
    d.privileged = i.dom_flags & abi::kDomainPrivileged;
    d.has_run = i.dom_flags & abi::kDomainHasRun;
    d.vcpus = i.vcpus;
    d.ram_base = i.ram_base;
    d.ram_size = i.ram_size;
    d.tee = tee_of(i.tee_type);
    d.tee_client = i.tee_client;
    return d;
}

const char* op_name(uint32_t cmd) {
    switch (cmd) {
    case abi::kGetDomainInfo:
        return "get domain info";
    case abi::kPause:
        return "pause";
    case abi::kUnpause:
        return "unpause";
    case abi::kDestroy:
        return "destroy";
    case abi::kCreateDomain:
        return "create domain";
    case abi::kCopyToDomain:
        return "load";
    case abi::kSetVcpuEntry:
        return "set vCPU entry";
    case abi::kConsoleRead:
        return "read console";
    case abi::kConsoleInput:
        return "console input";
    case abi::kTeeEnable:
        return "enable TEE";
    case abi::kTeeDisable:
        return "disable TEE";
    case abi::kTeeQuery:
        return "query TEE";
    case abi::kTeeInfo:
        return "describe the TEE";
    case abi::kTeeSetQuotas:
        return "set TEE quotas";
    case abi::kSetToolData:
        return "record toolstack data";
    default:
        return "domctl";
    }
}

}  // namespace

const char* to_string(DomainState s) {
    return abi::domain_state_name(static_cast<uint32_t>(s));
}

const char* to_string(ShutdownReason r) {
    return abi::shutdown_name(static_cast<uint32_t>(r));
}

const char* to_string(TeeType t) {
    return t == TeeType::Optee ? "optee" : "none";
}

std::string tee_full_sentence(const std::optional<TeeOccupancy>& o) {
    std::string s = "the TEE has no room for another guest";
    if (o && o->limit) {
        return s + " (" + std::to_string(o->in_use) + " of " + std::to_string(o->limit) +
               " client IDs in use)";
    }
    return s + " (client IDs exhausted)";
}

std::string domctl_error_reason(uint32_t cmd, uint16_t domid, int rc,
                                const std::optional<TeeOccupancy>& tee) {
    std::string what = cmd == abi::kCreateDomain ? std::string(op_name(cmd)) + ": "
                                                 : std::string(op_name(cmd)) + " of domain " +
                                                       std::to_string(domid) + ": ";
    switch (-rc) {
    case e::kSrch:
        return what + "no such domain";
    case e::kPerm:
        return what + "the caller is not the control domain";
    case e::kNoMem:
        return what + "not enough free memory in the hypervisor";
    case e::kFault:
        return what + "address outside the domain's memory";
    default:
        break;
    }
    if (cmd == abi::kTeeEnable) {
        switch (-rc) {
        case e::kNoDev:
            return what + "the platform has no TEE of that type";
        case e::kNoSpc:
            return what + tee_full_sentence(tee);
        case e::kExist:
            return what + "TEE already enabled";
        case e::kBusy:
            return what + "the domain has already run; enable the TEE before it starts";
        case e::kIo:
            return what + "the TEE failed unexpectedly";
        default:
            break;
        }
    }
    if (cmd == abi::kTeeSetQuotas) {
        if (-rc == e::kNoEnt) return what + "TEE not enabled";
        if (-rc == e::kBusy) return what + "a limit is below what the guest holds";
        if (-rc == e::kInval) {
            return what + "limits are 1 to " + std::to_string(abi::kTeeMaxSessions) +
                   " sessions and 1 to " + std::to_string(abi::kTeeMaxShmPages) + " pages";
        }
    }
    if (cmd == abi::kTeeDisable) {
        if (-rc == e::kNoEnt) return what + "TEE not enabled";
        if (-rc == e::kBusy) return what + "the domain is running; pause it first";
    }
    if (cmd == abi::kCreateDomain && -rc == e::kNoSpc) {
        return what + "the hypervisor's domain table is full (" + std::to_string(abi::kMaxDomains) +
               " domains, the control domain included): destroy a guest first";
    }
    if (-rc == e::kBusy) return what + "not allowed in the domain's current state";
    if (-rc == e::kInval) return what + "invalid argument";
    return what + "failed";
}

Result<int64_t> Hypervisor::call(abi::Domctl& op) {
    uint32_t cmd = op.cmd;
    uint16_t domid = op.domid;
    auto rc = t_->domctl(op);
    if (!rc) return rc.error();
    if (*rc == 0) return rc;
    int err = static_cast<int>(*rc);
    std::optional<TeeOccupancy> tee;
    if (cmd == abi::kTeeEnable && err == -abi::err::kNoSpc) {
        // The hypervisor wrote back how full the TEE is.
        tee = TeeOccupancy{op.u.tee_enable.guest_limit, op.u.tee_enable.guests_in_use};
    }
    Error e = Error::hypervisor(err, domctl_error_reason(cmd, domid, err, tee), cmd);
    if (tee) e.set_tee_occupancy(*tee);
    if (cmd == abi::kTeeSetQuotas && err == -abi::err::kBusy) {
        // The hypervisor wrote back what the guest holds.
        const auto& held = op.u.tee_quotas.in_use;
        e.set_tee_held({held.sessions, held.shm_pages});
        e.suffix(" (" + std::to_string(held.sessions) + " sessions and " +
                 std::to_string(held.shm_pages) + " shared-memory pages)");
    }
    return e;
}

Result<uint16_t> Hypervisor::create_domain(const CreateSpec& spec) {
    auto op = make_domctl(abi::kCreateDomain, 0);
    if (spec.name.empty() || spec.name.size() >= abi::kDomainNameMax) {
        return Error(ErrorKind::InvalidInput, "domain name must have 1 to " +
                                                  std::to_string(abi::kDomainNameMax - 1) +
                                                  " characters");
    }
    op.u.create.ram_size = spec.ram_size;
    op.u.create.vcpus = spec.vcpus;
    op.u.create.tool_data = spec.tool_data;
    std::memcpy(op.u.create.name, spec.name.data(), spec.name.size());
    auto rc = call(op);
    if (!rc) return rc.error();
    return op.u.create.domid;
}

Status Hypervisor::load(uint16_t domid, uint64_t ipa, std::span<const uint8_t> data) {
    auto rc = t_->load(domid, ipa, data);
    if (!rc) return rc.error();
    if (*rc != 0) {
        return Error::hypervisor(
            static_cast<int>(*rc),
            domctl_error_reason(abi::kCopyToDomain, domid, static_cast<int>(*rc)),
            abi::kCopyToDomain);
    }
    return {};
}

Status Hypervisor::set_vcpu_entry(uint16_t domid, uint32_t vcpu, uint64_t pc, uint64_t x0) {
    auto op = make_domctl(abi::kSetVcpuEntry, domid);
    op.u.entry.vcpu = vcpu;
    op.u.entry.pc = pc;
    op.u.entry.x0 = x0;
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Status Hypervisor::pause(uint16_t domid) {
    auto op = make_domctl(abi::kPause, domid);
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Status Hypervisor::unpause(uint16_t domid) {
    auto op = make_domctl(abi::kUnpause, domid);
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Status Hypervisor::destroy(uint16_t domid) {
    auto op = make_domctl(abi::kDestroy, domid);
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Result<DomainInfo> Hypervisor::get_info(uint16_t domid) {
    auto op = make_domctl(abi::kGetDomainInfo, domid);
    auto rc = call(op);
    if (!rc) return rc.error();
    return info_of(op.u.info);
}

Result<std::vector<DomainInfo>> Hypervisor::list() {
    std::vector<DomainInfo> out;
    for (uint32_t next = 0; next <= 0xffff;) {
        auto op = make_domctl(abi::kGetDomainInfo, static_cast<uint16_t>(next));
        op.u.info.flags = abi::kInfoFirstAtOrAfter;
        auto rc = t_->domctl(op);
        if (!rc) return rc.error();
        if (*rc == -abi::err::kSrch) break;
        if (*rc != 0) {
            return Error::hypervisor(
                static_cast<int>(*rc),
                domctl_error_reason(abi::kGetDomainInfo, static_cast<uint16_t>(next),
                                    static_cast<int>(*rc)),
                abi::kGetDomainInfo);
        }
        out.push_back(info_of(op.u.info));
        next = op.u.info.domid + 1u;
    }
    return out;
}

Status Hypervisor::tee_enable(uint16_t domid, TeeType type, TeeQuotas quotas) {
    auto op = make_domctl(abi::kTeeEnable, domid);
    op.u.tee_enable.tee_type = abi_tee(type);
    op.u.tee_enable.dt_method = abi::kTeeDtNone;  // the toolstack writes the device tree
    op.u.tee_enable.quotas = {quotas.sessions, quotas.shm_pages};
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Status Hypervisor::tee_set_quotas(uint16_t domid, TeeQuotas limits) {
    auto op = make_domctl(abi::kTeeSetQuotas, domid);
    op.u.tee_quotas.limits = {limits.sessions, limits.shm_pages};
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Status Hypervisor::tee_disable(uint16_t domid) {
    auto op = make_domctl(abi::kTeeDisable, domid);
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Result<TeeStatus> Hypervisor::tee_query(uint16_t domid) {
    auto op = make_domctl(abi::kTeeQuery, domid);
    auto rc = call(op);
    if (!rc) return rc.error();
    const auto& q = op.u.tee_query;
    TeeStatus s;
    s.type = tee_of(q.tee_type);
    s.client_id = q.client_id;
    s.calls_forwarded = q.calls_forwarded;
    s.calls_refused = q.calls_refused;
    s.guest_limit = q.guest_limit;
    s.guests_in_use = q.guests_in_use;
    s.limits = {q.limits.sessions, q.limits.shm_pages};
    s.in_use = {q.in_use.sessions, q.in_use.shm_pages};
    return s;
}

Status Hypervisor::set_tool_data(uint16_t domid, uint64_t value) {
    auto op = make_domctl(abi::kSetToolData, domid);
    op.u.tool_data = value;
    auto rc = call(op);
    return rc ? Status() : Status(rc.error());
}

Result<TeeInfo> Hypervisor::tee_info() {
    auto op = make_domctl(abi::kTeeInfo, 0);
    auto rc = call(op);
    if (!rc) return rc.error();
    const auto& i = op.u.tee_info;
    return TeeInfo{tee_of(i.tee_type), i.os_major,      i.os_minor,
                   i.guest_limit,      i.guests_in_use, i.threads};
}

Result<ConsoleChunk> Hypervisor::console_read(uint16_t domid, uint64_t from, uint32_t max) {
    ConsoleChunk c;
    auto rc = t_->console_read(domid, from, max, c);
    if (!rc) return rc.error();
    if (*rc != 0) {
        return Error::hypervisor(
            static_cast<int>(*rc),
            domctl_error_reason(abi::kConsoleRead, domid, static_cast<int>(*rc)),
            abi::kConsoleRead);
    }
    return c;
}

Result<uint32_t> Hypervisor::console_input(uint16_t domid, std::span<const uint8_t> data) {
    if (data.empty() || data.size() > abi::kConsoleInputMax) {
        return invalid_field("data",
                             "1 to " + std::to_string(abi::kConsoleInputMax) + " bytes at a time");
    }
    uint32_t accepted = 0;
    auto rc = t_->console_input(domid, data, accepted);
    if (!rc) return rc.error();
    if (*rc != 0) {
        return Error::hypervisor(
            static_cast<int>(*rc),
            domctl_error_reason(abi::kConsoleInput, domid, static_cast<int>(*rc)),
            abi::kConsoleInput);
    }
    return accepted;
}

}  // namespace warden::toolstack
