// SPDX-License-Identifier: Apache-2.0
#include "core/domctl.h"

#include "core/arch.h"
#include "core/domain.h"
#include "core/hv.h"
#include "core/log.h"
#include "core/tee/tee.h"
#include "dt/guest_dt.h"
#include "warden/errno.h"

namespace warden::domctl {
namespace {

namespace err = abi::err;

// Bytes of the union an operation reads as input; all others must be zero.
uint64_t input_bytes(uint32_t cmd) {
    switch (cmd) {
    case abi::kGetDomainInfo:
        return sizeof(uint32_t) * 2;  // flags + reserved (reserved checked separately)
    case abi::kTeeEnable:
        return sizeof(abi::DomctlTeeEnable);
    case abi::kCreateDomain:
        return offsetof(abi::DomctlCreateDomain, domid);
    case abi::kCopyToDomain:
        return sizeof(abi::DomctlCopyToDomain);
    case abi::kSetVcpuEntry:
        return sizeof(abi::DomctlSetVcpuEntry);
    case abi::kConsoleRead:
        return offsetof(abi::DomctlConsoleRead, copied);
    case abi::kConsoleInput:
        return offsetof(abi::DomctlConsoleInput, accepted);
    case abi::kSetToolData:
        return sizeof(uint64_t);
    case abi::kTeeSetQuotas:
        return offsetof(abi::DomctlTeeSetQuotas, in_use);
    default:
        return 0;
    }
}

bool known(uint32_t cmd) {
    switch (cmd) {
    case abi::kGetDomainInfo:
    case abi::kPause:
    case abi::kUnpause:
    case abi::kDestroy:
    case abi::kTeeEnable:
    case abi::kTeeDisable:
    case abi::kTeeQuery:
    case abi::kCreateDomain:
    case abi::kCopyToDomain:
    case abi::kSetVcpuEntry:
    case abi::kConsoleRead:
    case abi::kConsoleInput:
    case abi::kTeeInfo:
    case abi::kSetToolData:
    case abi::kTeeSetQuotas:
        return true;
    default:
        return false;
    }
}

bool valid_envelope(const abi::Domctl& op) {
    if (op.interface_version != abi::kDomctlInterfaceVersion || op.reserved0 || op.reserved1) {
        return false;
    }
    if (!known(op.cmd)) return false;
    for (uint64_t i = input_bytes(op.cmd); i < sizeof op.u.raw; ++i) {
        if (op.u.raw[i]) return false;
    }
    return true;
}

uint32_t state_code(const Domain& d) {
    switch (d.state()) {
    case DomainState::Shutdown:
        return abi::kStateShutdown;
    case DomainState::Crashed:
        return abi::kStateCrashed;
    default:
        break;
    }
    if (d.paused()) return abi::kStatePaused;
    return d.has_run() ? abi::kStateRunning : abi::kStateCreated;
}

uint32_t shutdown_code(ShutdownReason r) {
    return static_cast<uint32_t>(r);  // the ABI's codes
}

int get_info(DomainTable& domains, abi::Domctl& op) {
    auto& in = op.u.info;
    if (in.reserved || (in.flags & ~abi::kInfoFirstAtOrAfter)) return -err::kInval;
    Domain* d = nullptr;
    if (in.flags & abi::kInfoFirstAtOrAfter) {
        for (unsigned id = op.domid; id < kMaxDomains && !d; ++id) {
            d = domains.find(DomId{static_cast<uint16_t>(id)});
        }
    } else {
        d = domains.find(DomId{op.domid});
    }
    if (!d) return -err::kSrch;
    abi::DomctlGetDomainInfo out{};
    out.flags = in.flags;
    out.domid = d->id().value;
    out.vcpus = static_cast<uint16_t>(d->vcpu_count());
    out.state = state_code(*d);
    out.shutdown = shutdown_code(d->shutdown_reason());
    out.dom_flags = (d->privileged() ? abi::kDomainPrivileged : 0) |
                    (d->boot_dt_size() ? abi::kDomainBootDt : 0) |
                    (d->has_run() ? abi::kDomainHasRun : 0);
    out.ram_base = d->ram_base().value();
    out.ram_size = d->ram_size();
    out.tee_type = d->tee().type;
    out.tee_client = d->tee().client.value;
    for (unsigned i = 0; i < abi::kDomainNameMax; ++i) out.name[i] = d->name()[i];
    out.tool_data = d->tool_data();
    in = out;
    return 0;
}

int create_domain(DomainTable& domains, abi::Domctl& op, Continuation& cont) {
    auto& in = op.u.create;
    Domain* d = cont.building;
    if (!d) {
        if (in.ram_size < abi::kDomainRamMin || !is_aligned(in.ram_size, abi::kDomainRamAlign) ||
            in.ram_size > abi::kDomainRamMax || in.vcpus == 0 || in.vcpus > kMaxVcpusPerDomain ||
            in.flags || !abi::valid_domain_name(in.name, sizeof in.name)) {
            return -err::kInval;
        }
        DomainConfig cfg;
        cfg.name = in.name;
        cfg.tool_data = in.tool_data;
        cfg.ram_size = in.ram_size;
        cfg.vcpus = in.vcpus;
        int rc = domains.begin_create(cfg, &d);
        if (rc) return rc;
        cont.building = d;
    }
    if (!domains.continue_create(*d)) return kRestart;
    cont.building = nullptr;
    d->set_paused(true);
    in.domid = d->id().value;
    WARDEN_LOG_INFO("d%u: created \"%s\", %lu MiB at PA 0x%lx, %u vCPU(s), paused", d->id().value,
                    d->name(), d->ram_size() >> 20, d->ram_pa().value(), d->vcpu_count());
    return 0;
}

int destroy_domain(DomainTable& domains, Domain& caller, DomId id) {
    Domain* d = domains.find_any(id);
    if (!d || d->state() == DomainState::Building) return -err::kSrch;
    if (d == &caller) return -err::kInval;
    if (d->state() != DomainState::Dying) {
        WARDEN_LOG_INFO("d%u: destroyed by d%u", d->id().value, caller.id().value);
        domains.begin_destroy(*d);
    }
    if (!domains.continue_destroy(*d)) return kRestart;
    WARDEN_LOG_INFO("d%u: memory scrubbed and released", id.value);
    return 0;
}

int copy_to_domain(Domain& caller, Domain& target, const abi::DomctlCopyToDomain& in) {
    if (&target == &caller || in.size == 0 || in.size > abi::kCopyMax) return -err::kInval;
    if (target.has_run()) return -err::kBusy;
    if (!target.in_ram(Ipa(in.dst), in.size) || !caller.in_ram(Ipa(in.src), in.size)) {
        return -err::kFault;
    }
    static unsigned char bounce[kPageSize];
    for (uint64_t done = 0; done < in.size;) {
        uint64_t n = in.size - done < sizeof bounce ? in.size - done : sizeof bounce;
        if (!caller.copy_from_guest(bounce, Ipa(in.src) + done, n) ||
            !target.copy_to_guest(Ipa(in.dst) + done, bounce, n)) {
            return -err::kFault;  // both ranges were checked: only an unmapped page gets here
        }
        done += n;
    }
    return 0;
}

int set_vcpu_entry(Domain& target, const abi::DomctlSetVcpuEntry& in) {
    if (in.reserved || in.vcpu >= target.vcpu_count() || !is_aligned(in.pc, 4) ||
        !target.in_ram(Ipa(in.pc), 4)) {
        return -err::kInval;
    }
    if (target.has_run()) return -err::kBusy;
    Vcpu& v = target.vcpu(in.vcpu);
    arch::vcpu_reset(v, Ipa(in.pc), in.x0);
    v.state = VcpuState::Runnable;
    return 0;
}

int console_read(Domain& caller, const Domain& target, abi::DomctlConsoleRead& io) {
    static char chunk[kConsoleRingSize];
    uint64_t max = io.size < sizeof chunk ? io.size : sizeof chunk;
    if (io.size && !caller.in_ram(Ipa(io.buf), io.size)) return -err::kFault;
    Domain::ConsoleChunk c = target.console_read(io.from, chunk, max);
    if (c.count && !caller.copy_to_guest(Ipa(io.buf), chunk, c.count)) return -err::kFault;
    io.copied = static_cast<uint32_t>(c.count);
    io.next = c.start + c.count;
    io.lost = c.lost;
    return 0;
}

int console_input(const Domain& caller, Domain& target, abi::DomctlConsoleInput& io) {
    if (io.size == 0 || io.size > abi::kConsoleInputMax) return -err::kInval;
    if (!target.alive()) return -err::kBusy;
    uint8_t bytes[abi::kConsoleInputMax];
    if (!caller.copy_from_guest(bytes, Ipa(io.buf), io.size)) return -err::kFault;
    io.accepted = target.uart().push_input(bytes, io.size);
    vpl011::input_arrived(target);
    return 0;
}

bool any_vcpu_started(Domain& d) {
    for (unsigned i = 0; i < d.vcpu_count(); ++i) {
        if (d.vcpu(i).state == VcpuState::Runnable) return true;
    }
    return false;
}

// Adds /firmware/optee to the device tree the hypervisor built for a boot domain.
int describe_tee_in_boot_dt(Domain& d, uint32_t method) {
    static unsigned char buf[kGuestDtMaxSize];
    if (!d.boot_dt_size() || d.boot_dt_size() > sizeof buf) return -err::kInval;
    if (!d.copy_from_guest(buf, d.boot_dt(), d.boot_dt_size())) return -err::kFault;
    int len = add_optee_node(buf, sizeof buf, method == abi::kTeeDtSmc ? "smc" : "hvc");
    if (len < 0) return len;
    if (!d.copy_to_guest(d.boot_dt(), buf, static_cast<uint64_t>(len))) return -err::kFault;
    d.set_boot_dt(d.boot_dt(), static_cast<uint64_t>(len));
    return 0;
}

int remove_tee_from_boot_dt(Domain& d) {
    static unsigned char buf[kGuestDtMaxSize];
    if (d.boot_dt_size() > sizeof buf) return -err::kInval;
    if (!d.copy_from_guest(buf, d.boot_dt(), d.boot_dt_size())) return -err::kFault;
    int len = remove_optee_node(buf, sizeof buf);
    if (len < 0) return len == -err::kNoEnt ? 0 : len;
    if (!d.copy_to_guest(d.boot_dt(), buf, static_cast<uint64_t>(len))) return -err::kFault;
    d.set_boot_dt(d.boot_dt(), static_cast<uint64_t>(len));
    return 0;
}

int tee_enable(Domain& d, abi::DomctlTeeEnable& io) {
    if (io.guest_limit || io.guests_in_use) return -err::kInval;
    int rc = enable_tee(d, io.tee_type, io.dt_method, io.quotas);
    if (rc == -err::kNoSpc) {
        // How full the TEE is, so the caller can say so without asking again.
        io.guest_limit = tee::guest_limit();
        io.guests_in_use = tee::guests_in_use();
    }
    return rc;
}

// Once unpaused a guest may run at any moment, and it reads its device tree
// first: the TEE can only go away while the guest is held (or stopped).
int tee_disable(Domain& d) {
    if (!d.tee().enabled()) return -err::kNoEnt;
    if (d.alive() && !d.paused()) return -err::kBusy;
    int rc = tee::disable(d);
    if (rc) return rc;
    // A guest that never ran finds no trace of the TEE when it does.
    if (!d.has_run() && d.boot_dt_size()) {
        rc = remove_tee_from_boot_dt(d);
        if (rc) WARDEN_LOG_WARN("d%u: cannot remove /firmware/optee (%d)", d.id().value, rc);
    }
    WARDEN_LOG_INFO("d%u: TEE disabled", d.id().value);
    return 0;
}

int tee_query(const Domain& d, abi::Domctl& op) {
    abi::DomctlTeeQuery out{};
    out.tee_type = d.tee().type;
    out.client_id = d.tee().client.value;
    out.calls_forwarded = d.tee().calls_forwarded;
    out.calls_refused = d.tee().calls_refused;
    out.guest_limit = tee::guest_limit();
    out.guests_in_use = tee::guests_in_use();
    out.limits = d.tee().quotas;
    out.in_use = d.tee().in_use;
    op.u.tee_query = out;
    return 0;
}

}  // namespace

int enable_tee(Domain& d, uint32_t tee_type, uint32_t dt_method, abi::DomctlTeeQuotas quotas) {
    if (dt_method > abi::kTeeDtHvc || tee_type == abi::kTeeNone) return -err::kInval;
    if (dt_method != abi::kTeeDtNone && !d.boot_dt_size()) return -err::kInval;
    if (d.tee().enabled()) return -err::kExist;
    if (d.has_run()) return -err::kBusy;
    int rc = tee::enable(d, static_cast<abi::TeeType>(tee_type), quotas);
    if (rc) return rc;
    if (dt_method != abi::kTeeDtNone) {
        rc = describe_tee_in_boot_dt(d, dt_method);
        if (rc) {
            tee::disable(d);  // never leave a guest half-enabled
            return rc;
        }
    }
    WARDEN_LOG_INFO("d%u: TEE enabled, client ID %u", d.id().value, d.tee().client.value);
    return 0;
}

int execute_step(DomainTable& domains, Domain& caller, abi::Domctl& op, Continuation& cont) {
    if (!caller.privileged()) return -err::kPerm;
    if (cont.building && (op.cmd != abi::kCreateDomain || !valid_envelope(op))) {
        // The caller went on to something else: the domain it was creating goes.
        domains.abandon_create(*cont.building);
        cont.building = nullptr;
    }
    if (!valid_envelope(op)) return -err::kInval;
    if (op.cmd == abi::kGetDomainInfo) return get_info(domains, op);
    if (op.cmd == abi::kCreateDomain) return create_domain(domains, op, cont);
    if (op.cmd == abi::kDestroy) return destroy_domain(domains, caller, DomId{op.domid});
    if (op.cmd == abi::kTeeInfo) {
        tee::describe(op.u.tee_info);
        return 0;
    }

    Domain* d = domains.find(DomId{op.domid});
    if (!d) return -err::kSrch;
    switch (op.cmd) {
    case abi::kPause:
        if (d == &caller) return -err::kInval;
        if (!d->alive()) return -err::kBusy;
        d->set_paused(true);
        return 0;
    case abi::kUnpause:
        if (!d->alive()) return -err::kBusy;
        if (!any_vcpu_started(*d)) return -err::kInval;  // set an entry point first
        d->set_paused(false);
        return 0;
    case abi::kCopyToDomain:
        return copy_to_domain(caller, *d, op.u.copy);
    case abi::kSetVcpuEntry:
        return set_vcpu_entry(*d, op.u.entry);
    case abi::kConsoleRead:
        return console_read(caller, *d, op.u.console);
    case abi::kConsoleInput:
        return console_input(caller, *d, op.u.input);
    case abi::kSetToolData:
        d->set_tool_data(op.u.tool_data);
        return 0;
    case abi::kTeeEnable:
        return tee_enable(*d, op.u.tee_enable);
    case abi::kTeeDisable:
        return tee_disable(*d);
    case abi::kTeeQuery:
        return tee_query(*d, op);
    case abi::kTeeSetQuotas: {
        int rc = tee::set_quotas(*d, op.u.tee_quotas.limits);
        op.u.tee_quotas.in_use = d->tee().in_use;
        return rc;
    }
    default:
        return -err::kInval;
    }
}

int execute(DomainTable& domains, Domain& caller, abi::Domctl& op) {
    Continuation cont;
    int rc;
    while ((rc = execute_step(domains, caller, op, cont)) == kRestart) {
    }
    return rc;
}

smccc::Result handle_call(Vcpu& vcpu, const smccc::Call& call) {
    Domain& caller = *vcpu.domain;
    if (!caller.privileged()) return smccc::Result::value(-err::kPerm);
    Ipa at(call.arg(1));
    if (!is_aligned(at.value(), 8)) return smccc::Result::value(-err::kInval);
    abi::Domctl op;
    if (!caller.copy_from_guest(&op, at, sizeof op)) return smccc::Result::value(-err::kFault);
    Continuation cont{vcpu.domctl_building};
    int rc = execute_step(hv().domains(), caller, op, cont);
    vcpu.domctl_building = cont.building;
    if (rc == kRestart) {
        // Not finished: run the same HVC/SMC again (the PC goes back to it and x0..x3
        // stay as the caller set them), after whatever else is due to run.
        vcpu.regs.pc -= 4;
        smccc::Result again = smccc::Result::value(static_cast<int64_t>(vcpu.regs.x[0]),
                                                   vcpu.regs.x[1], vcpu.regs.x[2], vcpu.regs.x[3]);
        again.full_width = true;
        return again;
    }
    // Results go back on success, and with the one error that carries some.
    bool results = rc == 0 || (op.cmd == abi::kTeeEnable && rc == -err::kNoSpc) ||
                   (op.cmd == abi::kTeeSetQuotas && rc == -err::kBusy);
    if (results && !caller.copy_to_guest(at, &op, sizeof op)) rc = -err::kFault;
    return smccc::Result::value(rc);
}

}  // namespace warden::domctl
