#include "core/page_alloc.h"

#include "core/phys.h"

namespace warden {

uint64_t PageAllocator::bitmap_bytes(uint64_t size) {
    uint64_t pages = size >> kPageShift;
    return align_up((pages + 63) / 64 * 8, kPageSize);
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
    // Bits past the end of the range stay clear but are never handed out: every
    // search is bounded by pages_.
    for (uint64_t i = 0; i < bytes / 8; ++i) bitmap_[i] = 0;
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
            return base_ + (i << kPageShift);
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

bool PageAllocator::free_page(Pa pa) {
    if (!pa.page_aligned() || !owns(pa)) return false;
    uint64_t i = (pa - base_) >> kPageShift;
    if (!test(i)) return false;
    clear(i);
    return true;
}

void PageAllocator::free_contiguous(Pa pa, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) free_page(pa + (i << kPageShift));
}

}  // namespace warden
