// SPDX-License-Identifier: Apache-2.0
#include "core/page_alloc.h"

#include "core/phys.h"

namespace warden {

namespace {

uint64_t map_bytes(uint64_t pages) {
    return (pages + 63) / 64 * 8;
}

}  // namespace

uint64_t PageAllocator::bitmap_bytes(uint64_t size) {
    return align_up(2 * map_bytes(size >> kPageShift), kPageSize);
}

void PageAllocator::zero_page(Pa pa) {
    auto* p = phys_ptr<uint64_t>(pa);
    for (uint64_t i = 0; i < kPageSize / 8; i += 4) {
        p[i] = 0;
        p[i + 1] = 0;
        p[i + 2] = 0;
        p[i + 3] = 0;
    }
}

bool PageAllocator::init(Pa base, uint64_t size, Pa bitmap) {
    if (!base.page_aligned() || !bitmap.page_aligned() || !is_aligned(size, kPageSize) ||
        size == 0) {
        return false;
    }
    uint64_t bytes = bitmap_bytes(size);
    base_ = base;
    pages_ = size >> kPageShift;
    bitmap_ = phys_ptr<uint64_t>(bitmap);
    dirty_ = bitmap_ + map_bytes(pages_) / 8;
    // Bits past the end of the range stay clear but are never handed out: every
    // search is bounded by pages_. Nothing is known about what RAM holds at boot.
    for (uint64_t i = 0; i < map_bytes(pages_) / 8; ++i) {
        bitmap_[i] = 0;
        dirty_[i] = ~uint64_t{0};
    }
    free_ = pages_;
    next_hint_ = 0;
    reserve(bitmap, bytes);
    return true;
}

bool PageAllocator::owns(Pa pa) const {
    return pa >= base_ && (pa - base_) >> kPageShift < pages_;
}

bool PageAllocator::is_free(Pa pa) const {
    return owns(pa) && !test((pa - base_) >> kPageShift);
}

bool PageAllocator::test(uint64_t i) const {
    return (bitmap_[i / 64] >> (i % 64)) & 1;
}

void PageAllocator::set(uint64_t i) {
    if (!test(i)) {
        bitmap_[i / 64] |= uint64_t{1} << (i % 64);
        --free_;
    }
}

void PageAllocator::clear(uint64_t i) {
    if (test(i)) {
        bitmap_[i / 64] &= ~(uint64_t{1} << (i % 64));
        ++free_;
    }
}

void PageAllocator::set_dirty(uint64_t i, bool on) {
    if (on) {
        dirty_[i / 64] |= uint64_t{1} << (i % 64);
    } else {
        dirty_[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
}

bool PageAllocator::is_dirty(Pa pa) const {
    return owns(pa) && dirty((pa - base_) >> kPageShift);
}

void PageAllocator::reserve(Pa pa, uint64_t size) {
    if (pages_ == 0 || size == 0) return;
    uint64_t start = align_down(pa.value(), kPageSize);
    uint64_t end = align_up(pa.value() + size, kPageSize);
    uint64_t lo = base_.value();
    uint64_t hi = lo + (pages_ << kPageShift);
    if (start < lo) start = lo;
    if (end > hi) end = hi;
    for (uint64_t a = start; a < end; a += kPageSize) set((a - lo) >> kPageShift);
}

std::optional<Pa> PageAllocator::alloc_page() {
    if (free_ == 0) return std::nullopt;
    for (uint64_t n = 0; n < pages_; ++n) {
        uint64_t i = (next_hint_ + n) % pages_;
        if (bitmap_[i / 64] == ~uint64_t{0}) {
            n += 63 - (i % 64);  // skip the rest of a full word
            continue;
        }
        if (!test(i)) {
            set(i);
            next_hint_ = i + 1;
            Pa pa = base_ + (i << kPageShift);
            if (dirty(i)) {
                zero_page(pa);
                set_dirty(i, false);
            }
            return pa;
        }
    }
    return std::nullopt;
}

std::optional<Pa> PageAllocator::alloc_contiguous(uint64_t count, uint64_t align) {
    if (count == 0 || count > free_ || align < kPageSize || (align & (align - 1))) {
        return std::nullopt;
    }
    uint64_t first = (align_up(base_.value(), align) - base_.value()) >> kPageShift;
    uint64_t step = align >> kPageShift;
    for (uint64_t i = first; i + count <= pages_; i += step) {
        uint64_t j = 0;
        while (j < count && !test(i + j)) ++j;
        if (j == count) {
            for (j = 0; j < count; ++j) set(i + j);
            return base_ + (i << kPageShift);
        }
    }
    return std::nullopt;
}

uint64_t PageAllocator::zero_dirty(Pa pa, uint64_t count, uint64_t from, uint64_t budget) {
    uint64_t done = 0;
    uint64_t n = from;
    // Clean pages cost a bitmap test each; bound those too.
    for (; n < count && done < budget && n - from < budget * 16; ++n) {
        Pa page = pa + (n << kPageShift);
        if (!owns(page)) continue;
        uint64_t i = (page - base_) >> kPageShift;
        if (!test(i) || !dirty(i)) continue;  // only pages the caller holds
        zero_page(page);
        set_dirty(i, false);
        ++done;
    }
    return n;
}

bool PageAllocator::free_page(Pa pa) {
    if (!pa.page_aligned() || !owns(pa)) return false;
    uint64_t i = (pa - base_) >> kPageShift;
    if (!test(i)) return false;
    clear(i);
    set_dirty(i, true);
    return true;
}

void PageAllocator::free_contiguous(Pa pa, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) free_page(pa + (i << kPageShift));
}

void PageAllocator::free_zeroed(Pa pa, uint64_t count) {
    for (uint64_t n = 0; n < count; ++n) {
        Pa page = pa + (n << kPageShift);
        if (!free_page(page)) continue;
        set_dirty((page - base_) >> kPageShift, false);
    }
}

}  // namespace warden
