// SPDX-License-Identifier: Apache-2.0
#include "core/mmio.h"

#include "core/vcpu.h"

namespace warden::mmio {
namespace {

// ESR_EL2 for a data abort from a lower exception level (Arm ARM D17.2.37).
constexpr uint32_t kEcDabtLow = 0x24;
constexpr uint64_t kIl = uint64_t{1} << 25;
constexpr uint64_t kIsv = uint64_t{1} << 24;
constexpr unsigned kSasShift = 22;
constexpr uint64_t kSse = uint64_t{1} << 21;
constexpr unsigned kSrtShift = 16;
constexpr uint64_t kSf = uint64_t{1} << 15;
constexpr uint64_t kCm = uint64_t{1} << 8;
constexpr uint64_t kS1ptw = uint64_t{1} << 7;
constexpr uint64_t kWnr = uint64_t{1} << 6;
constexpr uint64_t kDfscMask = 0x3f;
constexpr uint64_t kDfscTranslationL0 = 0x04;  // 0x04..0x07: levels 0 to 3

uint64_t low_bytes(uint64_t v, uint8_t size) {
    return size >= 8 ? v : v & ((uint64_t{1} << (size * 8)) - 1);
}

}  // namespace

Decoded decode(uint64_t esr, Ipa ipa) {
    Decoded d;
    if (((esr >> 26) & 0x3f) != kEcDabtLow) return d;
    d.access.write = esr & kWnr;  // valid even when the rest cannot be decoded
    const uint64_t dfsc = esr & kDfscMask;
    if ((dfsc & ~uint64_t{3}) != kDfscTranslationL0) {
        d.result = Decode::NotTranslationFault;
        return d;
    }
    if (esr & kS1ptw) {
        d.result = Decode::TableWalk;
        return d;
    }
    if (esr & kCm) {
        d.result = Decode::CacheMaintenance;
        return d;
    }
    if (!(esr & kIsv)) {
        d.result = Decode::NoSyndrome;
        return d;
    }
    Access& a = d.access;
    a.addr = ipa;
    a.size = static_cast<uint8_t>(1u << ((esr >> kSasShift) & 3));
    a.reg = static_cast<uint8_t>((esr >> kSrtShift) & 0x1f);
    a.sign_extend = !a.write && (esr & kSse);
    a.wide = esr & kSf;
    a.insn_bytes = (esr & kIl) ? 4 : 2;
    d.result = Decode::Ok;
    return d;
}

uint64_t store_value(const GuestRegs& regs, const Access& a) {
    return a.reg == 31 ? 0 : low_bytes(regs.x[a.reg], a.size);
}

void complete_load(GuestRegs& regs, const Access& a, uint64_t value) {
    if (a.reg == 31) return;
    uint64_t v = low_bytes(value, a.size);
    if (a.sign_extend && a.size < 8) {
        const unsigned shift = 64 - a.size * 8;
        v = static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
    }
    if (!a.wide) v &= 0xffffffffu;
    regs.x[a.reg] = v;
}

bool Bus::add(Ipa base, uint64_t size, const Device& device, void* ctx) {
    const uint64_t b = base.value();
    if (count_ == kMaxRegions || size == 0 || b + size < b) return false;
    for (unsigned i = 0; i < count_; ++i) {
        const Region& r = regions_[i];
        if (b < r.base + r.size && r.base < b + size) return false;
    }
    regions_[count_++] = Region{b, size, &device, ctx};
    return true;
}

void Bus::clear() {
    for (Region& r : regions_) r = Region{};
    count_ = 0;
}

const Bus::Region* Bus::find(Ipa addr, uint64_t size) const {
    const uint64_t a = addr.value();
    for (unsigned i = 0; i < count_; ++i) {
        const Region& r = regions_[i];
        if (a >= r.base && a - r.base < r.size && size <= r.size - (a - r.base)) return &r;
    }
    return nullptr;
}

Outcome emulate(Vcpu& vcpu, const Bus& bus, const Access& a) {
    const Bus::Region* r = bus.find(a.addr, a.size);
    if (!r) return Outcome::Unclaimed;
    const uint64_t offset = a.addr.value() - r->base;
    if (a.write) {
        return r->device->write(r->ctx, vcpu, offset, a.size, store_value(vcpu.regs, a))
                   ? Outcome::Done
                   : Outcome::Refused;
    }
    uint64_t value = 0;
    if (!r->device->read(r->ctx, vcpu, offset, a.size, value)) return Outcome::Refused;
    complete_load(vcpu.regs, a, value);
    return Outcome::Done;
}

}  // namespace warden::mmio
