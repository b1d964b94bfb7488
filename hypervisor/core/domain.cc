#include "core/domain.h"

#include "core/arch.h"
#include "core/log.h"
#include "core/phys.h"
#include "lib/format.h"
#include "warden/errno.h"

namespace warden {

const char* to_string(DomainState s) {
    switch (s) {
    case DomainState::Free:
        return "free";
    case DomainState::Created:
        return "created";
    case DomainState::Running:
        return "running";
    case DomainState::Shutdown:
        return "shutdown";
    case DomainState::Crashed:
        return "crashed";
    }
    return "?";
}

const char* to_string(ShutdownReason r) {
    switch (r) {
    case ShutdownReason::None:
        return "none";
    case ShutdownReason::PowerOff:
        return "poweroff";
    case ShutdownReason::Reset:
        return "reset";
    case ShutdownReason::CpusOff:
        return "all vcpus off";
    case ShutdownReason::Crash:
        return "crash";
    }
    return "?";
}

bool Domain::copy_to_guest(Ipa dst, const void* src, uint64_t size) {
    if (dst < ram_ipa_ || dst - ram_ipa_ > ram_size_ || size > ram_size_ - (dst - ram_ipa_)) {
        return false;
    }
    // RAM is physically contiguous behind the IPA range, so one copy suffices.
    auto* to = phys_ptr<unsigned char>(ram_pa_ + (dst - ram_ipa_));
    const auto* from = static_cast<const unsigned char*>(src);
    for (uint64_t i = 0; i < size; ++i) to[i] = from[i];
    return true;
}

void Domain::shutdown(ShutdownReason reason) {
    if (!alive()) return;
    console_flush();
    reason_ = reason;
    state_ = reason == ShutdownReason::Crash ? DomainState::Crashed : DomainState::Shutdown;
    for (unsigned i = 0; i < nr_vcpus_; ++i) vcpus_[i].state = VcpuState::Off;
    WARDEN_LOG_INFO("d%u: stopped (%s)", id_.value, to_string(reason));
}

void Domain::vcpu_stopped() {
    for (unsigned i = 0; i < nr_vcpus_; ++i) {
        if (vcpus_[i].state != VcpuState::Off) return;
    }
    shutdown(ShutdownReason::CpusOff);
}

void Domain::console_flush() {
    if (console_len_ == 0) return;
    char line[sizeof console_line_ + 16];
    size_t n = format(line, sizeof line, "[d%u] ", id_.value);
    for (unsigned i = 0; i < console_len_ && n + 1 < sizeof line; ++i) line[n++] = console_line_[i];
    line[n++] = '\n';
    arch::console_write(line, n);
    console_len_ = 0;
}

void Domain::console_put(const char* s, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') {
            console_flush();
            continue;
        }
        if (c == '\r') continue;
        // Guests may send anything: keep the host terminal safe from control bytes.
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
        console_line_[console_len_++] = c;
        if (console_len_ == sizeof console_line_) console_flush();
    }
}

int DomainTable::create(const DomainConfig& cfg, Domain** out) {
    if (cfg.vcpus == 0 || cfg.vcpus > kMaxVcpusPerDomain || cfg.ram_size == 0 ||
        !is_aligned(cfg.ram_size, kPageSize)) {
        return -abi::err::kInval;
    }
    Domain* d = nullptr;
    for (unsigned i = 0; i < kMaxDomains; ++i) {
        if (domains_[i].state_ == DomainState::Free) {
            d = &domains_[i];
            d->id_ = DomId{static_cast<uint16_t>(i)};
            break;
        }
    }
    if (!d) return -abi::err::kNoSpc;

    Pa ram;
    bool owned = false;
    if (cfg.identity_map) {
        if (!cfg.ram_pa.page_aligned()) return -abi::err::kInval;
        ram = cfg.ram_pa;
    } else {
        auto pa = alloc_.alloc_contiguous(cfg.ram_size >> kPageShift, 2 * 1024 * 1024);
        if (!pa) return -abi::err::kNoMem;
        ram = *pa;
        owned = true;
    }
    Ipa ipa = cfg.identity_map ? Ipa(ram.value()) : Ipa(kGuestRamBase);
    if (!d->s2_.init(alloc_)) {
        if (owned) alloc_.free_contiguous(ram, cfg.ram_size >> kPageShift);
        return -abi::err::kNoMem;
    }
    int err = d->s2_.map(ipa, ram, cfg.ram_size, S2Attr::NormalRw);
    if (err) {
        d->s2_.destroy();
        if (owned) alloc_.free_contiguous(ram, cfg.ram_size >> kPageShift);
        return err;
    }
    d->privileged_ = cfg.privileged;
    d->ram_ipa_ = ipa;
    d->ram_pa_ = ram;
    d->ram_size_ = cfg.ram_size;
    d->ram_owned_ = owned;
    d->nr_vcpus_ = cfg.vcpus;
    d->reason_ = ShutdownReason::None;
    d->console_len_ = 0;
    for (unsigned i = 0; i < cfg.vcpus; ++i) {
        Vcpu& v = d->vcpus_[i];
        v = Vcpu{};
        v.domain = d;
        v.index = static_cast<uint16_t>(i);
        v.state = VcpuState::Off;
    }
    d->state_ = DomainState::Created;
    *out = d;
    return 0;
}

void DomainTable::destroy(Domain& d) {
    if (d.state_ == DomainState::Free) return;
    d.s2_.destroy();
    arch::stage2_flush(d);
    if (d.ram_owned_) alloc_.free_contiguous(d.ram_pa_, d.ram_size_ >> kPageShift);
    d.state_ = DomainState::Free;
}

Domain* DomainTable::find(DomId id) {
    if (id.value >= kMaxDomains || domains_[id.value].state_ == DomainState::Free) return nullptr;
    return &domains_[id.value];
}

unsigned DomainTable::count_alive() const {
    unsigned n = 0;
    for (const auto& d : domains_) n += d.alive() ? 1 : 0;
    return n;
}

bool DomainTable::any_crashed() const {
    for (const auto& d : domains_) {
        if (d.state_ == DomainState::Crashed) return true;
    }
    return false;
}

}  // namespace warden
