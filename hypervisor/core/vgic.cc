// SPDX-License-Identifier: Apache-2.0
#include "core/vgic.h"

#include "core/vcpu.h"

namespace warden::vgic {
namespace {

// GICD register offsets (GICv2 architecture specification, 4.1.2).
constexpr uint64_t kCtlr = 0x000;
constexpr uint64_t kTyper = 0x004;
constexpr uint64_t kIidr = 0x008;
constexpr uint64_t kIgroupr = 0x080;
constexpr uint64_t kIsenabler = 0x100;
constexpr uint64_t kIcenabler = 0x180;
constexpr uint64_t kIspendr = 0x200;
constexpr uint64_t kIcpendr = 0x280;
constexpr uint64_t kIsactiver = 0x300;
constexpr uint64_t kIpriorityr = 0x400;
constexpr uint64_t kItargetsr = 0x800;
constexpr uint64_t kIcfgr = 0xc00;
constexpr uint64_t kSgir = 0xf00;
constexpr uint64_t kCpendsgir = 0xf10;
constexpr uint64_t kSpendsgir = 0xf20;
constexpr uint64_t kIcpidr2 = 0xfe8;

constexpr uint8_t kPriorityMask = 0xf8;  // 32 levels, as the list registers hold them
constexpr unsigned kBitRegs = kIntids / 32;

bool in(uint64_t offset, uint64_t base, uint64_t bytes) {
    return offset >= base && offset < base + bytes;
}

}  // namespace

void Distributor::reset(unsigned vcpus) {
    const uint64_t gen = gen_ + 1;
    *this = Distributor{};
    gen_ = gen;
    vcpus_ = vcpus == 0 ? 1 : (vcpus > kVcpus ? kVcpus : vcpus);
    for (auto& cpu : private_) {
        for (unsigned i = 0; i < 16; ++i) cpu[i].edge = true;  // SGIs are edge-triggered
    }
}

Irq* Distributor::at(unsigned vcpu, uint32_t intid) {
    if (intid < 32) return vcpu < vcpus_ ? &private_[vcpu][intid] : nullptr;
    return intid < kIntids ? &spi_[intid - 32] : nullptr;
}

const Irq& Distributor::irq(unsigned vcpu, uint32_t intid) const {
    return intid < 32 ? private_[vcpu][intid] : spi_[intid - 32];
}

bool Distributor::is_pending(const Irq& q) const {
    return q.pending || q.sgi_sources || (!q.edge && q.line);
}

Pick Distributor::best(unsigned vcpu) const {
    Pick p;
    bool more = false;
    best_n(vcpu, &p, 1, more);
    return p;
}

unsigned Distributor::best_n(unsigned vcpu, Pick* out, unsigned max, bool& more) const {
    unsigned n = 0, candidates = 0;
    more = false;
    if (!enabled_ || vcpu >= vcpus_) return 0;
    auto consider = [&](const Irq& q, uint32_t intid) {
        // Priority 0xff is never signalled (nothing is below the lowest mask).
        if (!q.enabled || q.active || q.in_lr || q.priority == 0xff || !is_pending(q)) return;
        ++candidates;
        // Its place by priority; an equal one stays behind those found before
        // (lower INTIDs first).
        unsigned at = n;
        while (at > 0 && out[at - 1].priority > q.priority) --at;
        if (at >= max) return;
        for (unsigned k = n < max ? n : max - 1; k > at; --k) out[k] = out[k - 1];
        Pick& p = out[at];
        p.intid = intid;
        p.priority = q.priority;
        p.level = !q.edge;
        p.source = 0;
        if (intid < 16) {
            while (!(q.sgi_sources & (1u << p.source))) ++p.source;
        }
        if (n < max) ++n;
    };
    for (uint32_t i = 0; i < 32; ++i) consider(private_[vcpu][i], i);
    for (uint32_t i = 0; i < kSpis; ++i) {
        if (spi_[i].targets & (1u << vcpu)) consider(spi_[i], 32 + i);
    }
    more = candidates > n;
    return n;
}

void Distributor::take(unsigned vcpu, const Pick& p) {
    ++gen_;
    Irq* q = at(vcpu, p.intid);
    if (!q) return;
    q->in_lr = true;
    if (p.intid < 16) {
        q->sgi_sources &= static_cast<uint8_t>(~(1u << p.source));
    } else {
        q->pending = false;  // the latch moves into the list register
    }
}

void Distributor::lr_done(unsigned vcpu, uint32_t intid, uint8_t source, bool pending,
                          bool active) {
    ++gen_;
    Irq* q = at(vcpu, intid);
    if (!q) return;
    q->in_lr = false;
    q->active = active;
    if (!pending) return;
    // Never acknowledged: still pending, as it was (a level interrupt only if
    // its line is still high, which is_pending() sees by itself).
    if (intid < 16) {
        q->sgi_sources |= static_cast<uint8_t>(1u << source);
    } else if (q->edge) {
        q->pending = true;
    }
}

void Distributor::set_line(unsigned vcpu, uint32_t intid, bool high) {
    if (intid < 16) return;  // SGIs have no input line
    Irq* q = at(vcpu, intid);
    if (!q) return;
    if (q->line == high) return;
    if (q->edge && high) q->pending = true;
    q->line = high;
    ++gen_;
}

void Distributor::send_sgi(unsigned from, uint32_t value) {
    const uint32_t sgi = value & 0xf;
    const uint32_t filter = (value >> 24) & 3;
    uint32_t targets = (value >> 16) & 0xff;
    if (filter == 1) targets = ~(1u << from);
    if (filter == 2) targets = 1u << from;
    if (filter == 3) return;  // reserved
    for (unsigned t = 0; t < vcpus_; ++t) {
        if (targets & (1u << t)) private_[t][sgi].sgi_sources |= static_cast<uint8_t>(1u << from);
    }
}

uint32_t Distributor::read_bits(unsigned vcpu, uint64_t base_reg, uint64_t offset) {
    const auto first = static_cast<uint32_t>((offset - base_reg) / 4 * 32);
    uint32_t v = 0;
    for (uint32_t i = 0; i < 32; ++i) {
        const Irq* q = at(vcpu, first + i);
        if (!q) break;
        bool bit = false;
        switch (base_reg) {
        case kIgroupr:
            bit = q->group;
            break;
        case kIsenabler:
        case kIcenabler:
            bit = q->enabled;
            break;
        case kIspendr:
        case kIcpendr:
            bit = is_pending(*q) || q->in_lr;
            break;
        default:  // IS/ICACTIVER
            bit = q->active;
            break;
        }
        v |= uint32_t{bit} << i;
    }
    return v;
}

void Distributor::write_bits(unsigned vcpu, uint64_t base_reg, uint64_t offset, uint32_t value) {
    const auto first = static_cast<uint32_t>((offset - base_reg) / 4 * 32);
    for (uint32_t i = 0; i < 32; ++i) {
        Irq* q = at(vcpu, first + i);
        if (!q) break;
        const bool bit = (value >> i) & 1;
        switch (base_reg) {
        case kIgroupr:
            q->group = bit;
            break;
        case kIsenabler:
            if (bit) q->enabled = true;
            break;
        case kIcenabler:
            if (bit) q->enabled = false;
            break;
        case kIspendr:  // SGIs: through SPENDSGIR only
            if (bit && first + i >= 16) q->pending = true;
            break;
        case kIcpendr:
            if (bit && first + i >= 16) q->pending = false;  // a high level line stays pending
            break;
        case kIsactiver:
            if (bit) q->active = true;
            break;
        default:  // ICACTIVER
            if (bit) q->active = false;
            break;
        }
    }
}

bool Distributor::read(unsigned vcpu, uint64_t offset, uint8_t size, uint64_t& value) {
    const bool bytes = in(offset, kIpriorityr, kIntids) || in(offset, kItargetsr, kIntids) ||
                       in(offset, kCpendsgir, 32);
    if (!(size == 4 || (size == 1 && bytes)) || (offset & (size - 1))) return false;
    uint32_t v = 0;
    if (offset == kCtlr) {
        v = enabled_;
    } else if (offset == kTyper) {
        v = (kIntids / 32 - 1) | ((vcpus_ - 1) << 5);
    } else if (offset == kIidr) {
        v = 0x43b;  // implementer: Arm
    } else if (in(offset, kIgroupr, 0x80 * 7)) {
        // IGROUPR .. ICACTIVER: one bit per interrupt, 0x80 bytes of registers each.
        const uint64_t base = offset & ~uint64_t{0x7f};
        if ((offset - base) / 4 < kBitRegs) v = read_bits(vcpu, base, offset);
    } else if (bytes && !in(offset, kCpendsgir, 32)) {
        const bool prio = offset < kItargetsr;
        const uint64_t first = offset - (prio ? kIpriorityr : kItargetsr);
        for (unsigned b = 0; b < size; ++b) {
            const Irq* q = at(vcpu, static_cast<uint32_t>(first + b));
            uint8_t byte = 0;
            if (q && prio) byte = q->priority;
            if (q && !prio) byte = first + b < 32 ? static_cast<uint8_t>(1u << vcpu) : q->targets;
            v |= uint32_t{byte} << (8 * b);
        }
    } else if (in(offset, kIcfgr, kIntids / 4)) {
        const auto first = static_cast<uint32_t>((offset - kIcfgr) / 4 * 16);
        for (uint32_t i = 0; i < 16; ++i) {
            const Irq* q = at(vcpu, first + i);
            if (q && q->edge) v |= 2u << (2 * i);
        }
    } else if (in(offset, kCpendsgir, 32)) {
        const uint64_t first = (offset - kCpendsgir) % 16;
        for (unsigned b = 0; b < size; ++b) {
            v |= uint32_t{private_[vcpu < vcpus_ ? vcpu : 0][first + b].sgi_sources} << (8 * b);
        }
    } else if (offset == kIcpidr2) {
        v = 0x20;  // architecture version 2
    }
    value = v;  // everything else reads as zero (SGIR is write-only)
    return true;
}

bool Distributor::write(unsigned vcpu, uint64_t offset, uint8_t size, uint64_t value) {
    ++gen_;
    const bool bytes = in(offset, kIpriorityr, kIntids) || in(offset, kItargetsr, kIntids) ||
                       in(offset, kCpendsgir, 32);
    if (!(size == 4 || (size == 1 && bytes)) || (offset & (size - 1))) return false;
    const auto v = static_cast<uint32_t>(value);
    if (offset == kCtlr) {
        enabled_ = v & 1;
    } else if (in(offset, kIgroupr, 0x80 * 7)) {
        const uint64_t base = offset & ~uint64_t{0x7f};
        if ((offset - base) / 4 < kBitRegs) write_bits(vcpu, base, offset, v);
    } else if (bytes && !in(offset, kCpendsgir, 32)) {
        const bool prio = offset < kItargetsr;
        const uint64_t first = offset - (prio ? kIpriorityr : kItargetsr);
        for (unsigned b = 0; b < size; ++b) {
            Irq* q = at(vcpu, static_cast<uint32_t>(first + b));
            const auto byte = static_cast<uint8_t>(v >> (8 * b));
            if (!q) continue;
            if (prio) q->priority = byte & kPriorityMask;
            if (!prio && first + b >= 32)
                q->targets = byte & static_cast<uint8_t>((1u << vcpus_) - 1);
        }
    } else if (in(offset, kIcfgr, kIntids / 4)) {
        const auto first = static_cast<uint32_t>((offset - kIcfgr) / 4 * 16);
        for (uint32_t i = 0; i < 16; ++i) {
            Irq* q = at(vcpu, first + i);
            if (q && first + i >= 16) q->edge = (v >> (2 * i + 1)) & 1;  // SGIs stay edge
        }
    } else if (offset == kSgir) {
        if (vcpu < vcpus_) send_sgi(vcpu, v);
    } else if (in(offset, kCpendsgir, 32) && vcpu < vcpus_) {
        const bool set = offset >= kSpendsgir;
        const uint64_t first = (offset - kCpendsgir) % 16;
        for (unsigned b = 0; b < size; ++b) {
            auto bits = static_cast<uint8_t>(v >> (8 * b));
            bits &= static_cast<uint8_t>((1u << vcpus_) - 1);
            uint8_t& s = private_[vcpu][first + b].sgi_sources;
            s = set ? static_cast<uint8_t>(s | bits) : static_cast<uint8_t>(s & ~bits);
        }
    }
    return true;  // read-only and reserved registers ignore writes
}

const mmio::Device kDevice = {
    "gicd",
    [](void* ctx, Vcpu& v, uint64_t offset, uint8_t size, uint64_t& value) {
        return static_cast<Distributor*>(ctx)->read(v.index, offset, size, value);
    },
    [](void* ctx, Vcpu& v, uint64_t offset, uint8_t size, uint64_t value) {
        return static_cast<Distributor*>(ctx)->write(v.index, offset, size, value);
    },
};

}  // namespace warden::vgic
