// SPDX-License-Identifier: Apache-2.0
// Physical page allocator: one bitmap over one contiguous RAM range. The bitmap
// is stored where the caller says (see bitmap_bytes()); if that is inside the range,
// those pages are reserved.
//
// It also knows which pages may hold someone else's data ("dirty"): every page at
// boot (what the firmware or an earlier boot left in RAM) and every page freed
// without being cleared. alloc_page() only returns zeroed pages; a caller of
// alloc_contiguous() clears what it got with zero_dirty(), in steps if it likes;
// whoever frees pages it has cleared says so with free_zeroed().
#pragma once

#include <optional>

#include "core/types.h"

namespace warden {

class PageAllocator {
public:
    // Bytes of bitmap storage init() needs for a range of `size` bytes (both maps).
    static uint64_t bitmap_bytes(uint64_t size);
    // Manages [base, base + size), both page aligned, with the bitmap at `bitmap`
    // (page aligned, bitmap_bytes(size) long).
    bool init(Pa base, uint64_t size, Pa bitmap);
    // Marks [pa, pa + size) as in use (boot modules, the image itself, ...).
    // Parts outside the managed range are ignored.
    void reserve(Pa pa, uint64_t size);

    // A page of zeros.
    std::optional<Pa> alloc_page();
    // `count` contiguous pages whose first address is aligned to `align` bytes.
    // They may hold old data until zero_dirty() has gone over them.
    std::optional<Pa> alloc_contiguous(uint64_t count, uint64_t align = kPageSize);
    // Zeroes the dirty pages among the `count` allocated pages from `pa`, starting
    // at page index `from`, until `budget` pages have been zeroed. Returns the index
    // to go on from (`count` when every page is clean).
    uint64_t zero_dirty(Pa pa, uint64_t count, uint64_t from, uint64_t budget);
    // Freeing a page that is not allocated (or outside the range) is a bug in the
    // caller; it is refused and reported through the return value. The page is
    // dirty from then on: it is cleared before anyone gets it again.
    bool free_page(Pa pa);
    void free_contiguous(Pa pa, uint64_t count);
    // Frees pages the caller has zeroed (or never let anybody write).
    void free_zeroed(Pa pa, uint64_t count);
    // True if the page may hold data from its previous owner.
    bool is_dirty(Pa pa) const;

    // Zeroes a page (4 KiB of stores).
    static void zero_page(Pa pa);

    uint64_t free_pages() const { return free_; }
    uint64_t total_pages() const { return pages_; }
    bool owns(Pa pa) const;
    // True if pa is managed here and not in use.
    bool is_free(Pa pa) const;

private:
    bool test(uint64_t i) const;
    void set(uint64_t i);
    void clear(uint64_t i);
    bool dirty(uint64_t i) const { return (dirty_[i / 64] >> (i % 64)) & 1; }
    void set_dirty(uint64_t i, bool on);

    Pa base_{};
    uint64_t pages_ = 0;
    uint64_t free_ = 0;
    uint64_t next_hint_ = 0;
    uint64_t* bitmap_ = nullptr;  // bit set = page in use
    uint64_t* dirty_ = nullptr;   // bit set = may hold a previous owner's data
};

}  // namespace warden
