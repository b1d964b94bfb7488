// SPDX-License-Identifier: Apache-2.0
#include "core/stage2.h"

#include "core/phys.h"
#include "warden/errno.h"

namespace warden {
namespace {

constexpr uint64_t kValid = 1u << 0;
constexpr uint64_t kTableOrPage = 1u << 1;
constexpr uint64_t kAddrMask = 0x0000fffffffff000ull;
constexpr uint64_t kAf = 1u << 10;
constexpr uint64_t kShInner = 3u << 8;
constexpr uint64_t kS2apRead = 1u << 6;
constexpr uint64_t kS2apWrite = 1u << 7;
constexpr uint64_t kMemAttrNormalWb = 0xfu << 2;
constexpr uint64_t kMemAttrDevice = 0x1u << 2;  // Device-nGnRE
constexpr uint64_t kXn = 1ull << 54;
constexpr unsigned kEntries = 512;
constexpr uint64_t kPaLimit = uint64_t{1} << 48;

constexpr unsigned index_at(Ipa ipa, unsigned level) {
    // level 1: bits 39:30 (10 bits: two concatenated tables), 2: 29:21, 3: 20:12
    unsigned shift = 12 + 9 * (3 - level);
    uint64_t mask = level == 1 ? 0x3ff : 0x1ff;
    return static_cast<unsigned>((ipa.value() >> shift) & mask);
}

uint64_t leaf(Pa pa, S2Attr attr) {
    uint64_t d = pa.value() | kValid | kTableOrPage | kAf | kS2apRead;
    switch (attr) {
    case S2Attr::NormalRw:
        d |= kMemAttrNormalWb | kShInner | kS2apWrite;
        break;
    case S2Attr::NormalRo:
        d |= kMemAttrNormalWb | kShInner;
        break;
    case S2Attr::DeviceRw:
        d |= kMemAttrDevice | kS2apWrite | kXn;
        break;
    }
    return d;
}

void zero_page(Pa pa) {
    auto* p = phys_ptr<uint64_t>(pa);
    for (unsigned i = 0; i < kEntries; ++i) p[i] = 0;
}

}  // namespace

bool Stage2::init(PageAllocator& alloc) {
    auto root = alloc.alloc_contiguous(2, 2 * kPageSize);
    if (!root) return false;
    zero_page(*root);
    zero_page(*root + kPageSize);
    alloc_ = &alloc;
    root_ = *root;
    return true;
}

uint64_t* Stage2::walk(Ipa ipa, bool create) {
    uint64_t* table = phys_ptr<uint64_t>(root_);
    for (unsigned level = 1; level < 3; ++level) {
        uint64_t& d = table[index_at(ipa, level)];
        if (!(d & kValid)) {
            if (!create) return nullptr;
            auto page = alloc_->alloc_page();
            if (!page) return nullptr;
            zero_page(*page);
            d = page->value() | kValid | kTableOrPage;
        }
        table = phys_ptr<uint64_t>(Pa(d & kAddrMask));
    }
    return &table[index_at(ipa, 3)];
}

const uint64_t* Stage2::lookup(Ipa ipa) const {
    const uint64_t* table = phys_ptr<uint64_t>(root_);
    for (unsigned level = 1; level < 3; ++level) {
        uint64_t d = table[index_at(ipa, level)];
        if (!(d & kValid)) return nullptr;
        table = phys_ptr<uint64_t>(Pa(d & kAddrMask));
    }
    return &table[index_at(ipa, 3)];
}

int Stage2::map(Ipa ipa, Pa pa, uint64_t size, S2Attr attr) {
    if (!valid() || !ipa.page_aligned() || !pa.page_aligned() || !is_aligned(size, kPageSize) ||
        size == 0 || ipa.value() >= kIpaLimit || size > kIpaLimit - ipa.value() ||
        pa.value() >= kPaLimit || size > kPaLimit - pa.value()) {
        return -abi::err::kInval;
    }
    for (uint64_t off = 0; off < size; off += kPageSize) {
        uint64_t* e = walk(ipa + off, true);
        int err = 0;
        if (!e)
            err = -abi::err::kNoMem;
        else if (*e & kValid)
            err = -abi::err::kExist;
        if (err) {
            unmap(ipa, off);
            return err;
        }
        *e = leaf(pa + off, attr);
    }
    return 0;
}

void Stage2::unmap(Ipa ipa, uint64_t size) {
    if (!valid()) return;
    for (uint64_t off = 0; off < size; off += kPageSize) {
        uint64_t* e = walk(ipa + off, false);
        if (e) *e = 0;
    }
}

std::optional<Pa> Stage2::translate(Ipa ipa, bool for_write) const {
    if (!valid() || ipa.value() >= kIpaLimit) return std::nullopt;
    const uint64_t* e = lookup(Ipa(align_down(ipa.value(), kPageSize)));
    if (!e || !(*e & kValid)) return std::nullopt;
    if (for_write && !(*e & kS2apWrite)) return std::nullopt;
    return Pa((*e & kAddrMask) | (ipa.value() & (kPageSize - 1)));
}

void Stage2::free_table(Pa table, unsigned level) {
    if (level < 3) {
        const uint64_t* t = phys_ptr<uint64_t>(table);
        for (unsigned i = 0; i < kEntries; ++i) {
            if (t[i] & kValid) free_table(Pa(t[i] & kAddrMask), level + 1);
        }
    }
    alloc_->free_page(table);
}

void Stage2::destroy() {
    if (!valid()) return;
    const uint64_t* root = phys_ptr<uint64_t>(root_);
    for (unsigned i = 0; i < 2 * kEntries; ++i) {
        if (root[i] & kValid) free_table(Pa(root[i] & kAddrMask), 2);
    }
    alloc_->free_contiguous(root_, 2);
    alloc_ = nullptr;
    root_ = Pa{};
}

}  // namespace warden
