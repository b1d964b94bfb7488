// SPDX-License-Identifier: Apache-2.0
#include "core/domain.h"

#include "core/arch.h"
#include "core/log.h"
#include "core/phys.h"
#include "core/tee/tee.h"
#include "lib/format.h"
#include "warden/errno.h"

namespace warden {

const char* to_string(DomainState s) {
    switch (s) {
    case DomainState::Free:
        return "free";
    case DomainState::Building:
        return "building";
    case DomainState::Dying:
        return "dying";
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
    return abi::shutdown_name(static_cast<uint32_t>(r));
}

namespace {

// Calls fn(host pointer, offset, chunk) for each page-bounded piece of
// [ipa, ipa + size), after checking that every page is mapped (writable, if asked).
template <typename Fn>
bool for_each_guest_chunk(const Stage2& s2, Ipa ipa, uint64_t size, bool write, Fn fn) {
    if (size == 0) return true;
    if (ipa.value() + size < ipa.value()) return false;
    for (uint64_t page = align_down(ipa.value(), kPageSize); page < ipa.value() + size;
         page += kPageSize) {
        if (!s2.translate(Ipa(page), write)) return false;
    }
    uint64_t done = 0;
    while (done < size) {
        Ipa at = ipa + done;
        uint64_t chunk = kPageSize - (at.value() & (kPageSize - 1));
        if (chunk > size - done) chunk = size - done;
        fn(phys_ptr<unsigned char>(*s2.translate(at, write)), done, chunk);
        done += chunk;
    }
    return true;
}

}  // namespace

bool Domain::in_ram(Ipa ipa, uint64_t size) const {
    return ipa >= ram_ipa_ && ipa - ram_ipa_ <= ram_size_ && size <= ram_size_ - (ipa - ram_ipa_);
}

bool Domain::copy_to_guest(Ipa dst, const void* src, uint64_t size) {
    if (!in_ram(dst, size)) return false;  // never into a device the guest may map
    const auto* from = static_cast<const unsigned char*>(src);
    return for_each_guest_chunk(
        s2_, dst, size, true,
        [&](unsigned char* p, uint64_t off, uint64_t n) { __builtin_memcpy(p, from + off, n); });
}

bool Domain::copy_from_guest(void* dst, Ipa src, uint64_t size) const {
    if (!in_ram(src, size)) return false;
    auto* to = static_cast<unsigned char*>(dst);
    return for_each_guest_chunk(
        s2_, src, size, false,
        [&](unsigned char* p, uint64_t off, uint64_t n) { __builtin_memcpy(to + off, p, n); });
}

void Domain::shutdown(ShutdownReason reason) {
    if (!alive()) return;
    console_flush();
    reason_ = reason;
    state_ = reason == ShutdownReason::Crash ? DomainState::Crashed : DomainState::Shutdown;
    for (unsigned i = 0; i < nr_vcpus_; ++i) vcpus_[i].state = VcpuState::Off;
    WARDEN_LOG_INFO("d%u: stopped (%s)", id_.value, to_string(reason));
    if (tee_.enabled() && tee_.invoke_from_el2_min != ~uint64_t{0}) {
        WARDEN_LOG_INFO("d%u: TEE: cheapest INVOKE_COMMAND from EL2 as the guest: %lu ticks",
                        id_.value, tee_.invoke_from_el2_min);
    }
    const tee::DomainTee::Cost* costs[] = {&tee_.invoke_values, &tee_.invoke_memrefs};
    const char* kinds[] = {"value parameters", "memory references"};
    for (unsigned k = 0; k < 2; ++k) {
        if (!costs[k]->count) continue;
        WARDEN_LOG_INFO(
            "d%u: TEE: INVOKE_COMMAND with %s, the mediator's own ticks: min %lu, mean %lu; "
            "in the secure world: mean %lu (%lu calls)",
            id_.value, kinds[k], costs[k]->min, costs[k]->total / costs[k]->count,
            costs[k]->secure_total / costs[k]->count, costs[k]->count);
    }
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
            console_ring_[console_pos_++ % kConsoleRingSize] = '\n';
            console_flush();
            continue;
        }
        if (c == '\r') continue;
        // Guests may send anything: keep the host terminal safe from control bytes.
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
        console_ring_[console_pos_++ % kConsoleRingSize] = c;
        console_line_[console_len_++] = c;
        if (console_len_ == sizeof console_line_) console_flush();
    }
}

Domain::ConsoleChunk Domain::console_read(uint64_t from, char* out, uint64_t max) const {
    uint64_t oldest = console_pos_ > kConsoleRingSize ? console_pos_ - kConsoleRingSize : 0;
    ConsoleChunk c{from, 0, 0};
    if (c.start > console_pos_) c.start = console_pos_;
    if (c.start < oldest) {
        c.lost = oldest - c.start;
        c.start = oldest;
    }
    c.count = console_pos_ - c.start;
    if (c.count > max) c.count = max;
    for (uint64_t i = 0; i < c.count; ++i) out[i] = console_ring_[(c.start + i) % kConsoleRingSize];
    return c;
}

int DomainTable::create(const DomainConfig& cfg, Domain** out) {
    int rc = begin_create(cfg, out);
    if (rc) return rc;
    while (!continue_create(**out, ~uint64_t{0})) {
    }
    return 0;
}

int DomainTable::begin_create(const DomainConfig& cfg, Domain** out) {
    if (cfg.vcpus == 0 || cfg.vcpus > kMaxVcpusPerDomain || cfg.ram_size == 0 ||
        !is_aligned(cfg.ram_size, kPageSize) || !cfg.name) {
        return -abi::err::kInval;
    }
    unsigned name_len = 0;
    while (name_len < kDomainNameMax && cfg.name[name_len]) ++name_len;
    if (name_len == kDomainNameMax) return -abi::err::kInval;
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
    if (!err) err = arch::map_guest_gic(*d);
    if (err) {
        d->s2_.destroy();
        if (owned) alloc_.free_contiguous(ram, cfg.ram_size >> kPageShift);
        return err;
    }
    d->privileged_ = cfg.privileged;
    d->paused_ = false;
    d->tee_ = tee::DomainTee{};
    d->mmio_.clear();
    d->mmio_faults_ = 0;
    d->uart_ = vpl011::Uart{};
    d->mmio_.add(Ipa(abi::kGuestUartBase), abi::kGuestUartSize, vpl011::kDevice, &d->uart_);
    d->gicd_.reset(cfg.vcpus);
    d->cntvoff_ = arch::counter();
    d->mmio_.add(Ipa(abi::kGuestGicdBase), abi::kGuestGicdSize, vgic::kDevice, &d->gicd_);
    d->boot_dt_ = Ipa{};
    d->boot_dt_size_ = 0;
    d->ram_ipa_ = ipa;
    d->ram_pa_ = ram;
    d->ram_size_ = cfg.ram_size;
    d->ram_owned_ = owned;
    d->pinned_ = 0;
    d->scrub_next_ = 0;
    d->nr_vcpus_ = cfg.vcpus;
    d->reason_ = ShutdownReason::None;
    d->console_len_ = 0;
    d->console_pos_ = 0;
    for (unsigned i = 0; i < kDomainNameMax; ++i) d->name_[i] = i < name_len ? cfg.name[i] : '\0';
    d->tool_data_ = cfg.tool_data;
    for (unsigned i = 0; i < cfg.vcpus; ++i) {
        Vcpu& v = d->vcpus_[i];
        v = Vcpu{};
        v.domain = d;
        v.index = static_cast<uint16_t>(i);
        v.state = VcpuState::Off;
    }
    d->state_ = DomainState::Building;
    *out = d;
    return 0;
}

bool DomainTable::continue_create(Domain& d, uint64_t budget) {
    if (d.state_ != DomainState::Building) return true;
    // Identity-mapped RAM is the boot loader's to describe (see build_dom0).
    if (d.ram_owned_) {
        uint64_t pages = d.ram_size_ >> kPageShift;
        d.scrub_next_ = alloc_.zero_dirty(d.ram_pa_, pages, d.scrub_next_, budget);
        if (d.scrub_next_ < pages) return false;
    }
    d.state_ = DomainState::Created;
    return true;
}

void DomainTable::abandon_create(Domain& d) {
    if (d.state_ != DomainState::Building) return;
    d.s2_.destroy();
    arch::stage2_flush(d);
    // Pages it cleared are still clean, the others still dirty: the guest never ran.
    if (d.ram_owned_) {
        uint64_t pages = d.ram_size_ >> kPageShift;
        for (uint64_t i = 0; i < pages; ++i) {
            Pa pa = d.ram_pa_ + (i << kPageShift);
            if (alloc_.is_dirty(pa)) {
                alloc_.free_page(pa);
            } else {
                alloc_.free_zeroed(pa, 1);
            }
        }
    }
    d.state_ = DomainState::Free;
}

void DomainTable::destroy(Domain& d) {
    if (d.state_ == DomainState::Building) {
        abandon_create(d);
        return;
    }
    begin_destroy(d);
    while (!continue_destroy(d, ~uint64_t{0})) {
    }
}

void DomainTable::begin_destroy(Domain& d) {
    if (d.state_ == DomainState::Free || d.state_ == DomainState::Dying) return;
    tee::domain_destroyed(d);
    d.s2_.destroy();
    arch::stage2_flush(d);
    for (unsigned i = 0; i < d.nr_vcpus_; ++i) d.vcpus_[i].state = VcpuState::Off;
    d.scrub_next_ = 0;
    d.state_ = DomainState::Dying;
}

bool DomainTable::continue_destroy(Domain& d, uint64_t budget) {
    if (d.state_ != DomainState::Dying) return d.state_ == DomainState::Free;
    if (d.pinned_ && d.ram_owned_ && d.scrub_next_ == 0) {
        // The TEE mediator could not get the secure world to let go of some of
        // the guest's pages (it finishes every call before this; see
        // core/tee/optee.cc). With one physical CPU nothing can release them
        // later, so waiting would never end: the RAM is kept out of use for
        // good instead, and the domain slot is freed.
        WARDEN_LOG_ERROR(
            "d%u: %lu page(s) still held by the secure world: %lu MiB of RAM "
            "at 0x%lx kept out of use",
            d.id_.value, d.pinned_, d.ram_size_ >> 20, d.ram_pa_.value());
        d.ram_owned_ = false;
    }
    if (d.ram_owned_) {
        // Every page: the guest may have written any of them.
        uint64_t pages = d.ram_size_ >> kPageShift;
        uint64_t end = pages - d.scrub_next_ > budget ? d.scrub_next_ + budget : pages;
        for (uint64_t i = d.scrub_next_; i < end; ++i) {
            PageAllocator::zero_page(d.ram_pa_ + (i << kPageShift));
        }
        alloc_.free_zeroed(d.ram_pa_ + (d.scrub_next_ << kPageShift), end - d.scrub_next_);
        d.scrub_next_ = end;
        if (end < pages) return false;
    }
    d.state_ = DomainState::Free;
    return true;
}

Domain* DomainTable::find(DomId id) {
    Domain* d = find_any(id);
    if (!d || d->state_ == DomainState::Building || d->state_ == DomainState::Dying) return nullptr;
    return d;
}

Domain* DomainTable::find_any(DomId id) {
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
