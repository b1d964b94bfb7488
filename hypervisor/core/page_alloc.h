// Physical page allocator: one bitmap over one contiguous RAM range. The bitmap
// is stored where the caller says (see bitmap_bytes()); if that is inside the range,
// those pages are reserved.
#pragma once

#include <optional>

#include "core/types.h"

namespace warden {

class PageAllocator {
public:
    // Bytes of bitmap storage init() needs for a range of `size` bytes.
    static uint64_t bitmap_bytes(uint64_t size);
    // Manages [base, base + size), both page aligned, with the bitmap at `bitmap`
    // (page aligned, bitmap_bytes(size) long).
    bool init(Pa base, uint64_t size, Pa bitmap);
    // Marks [pa, pa + size) as in use (boot modules, the image itself, ...).
    // Parts outside the managed range are ignored.
    void reserve(Pa pa, uint64_t size);

    std::optional<Pa> alloc_page();
    // `count` contiguous pages whose first address is aligned to `align` bytes.
    std::optional<Pa> alloc_contiguous(uint64_t count, uint64_t align = kPageSize);
    // Freeing a page that is not allocated (or outside the range) is a bug in the
    // caller; it is refused and reported through the return value.
    bool free_page(Pa pa);
    void free_contiguous(Pa pa, uint64_t count);

    uint64_t free_pages() const { return free_; }
    uint64_t total_pages() const { return pages_; }
    bool owns(Pa pa) const;
    // True if pa is managed here and not in use.
    bool is_free(Pa pa) const;

private:
    bool test(uint64_t i) const;
    void set(uint64_t i);
    void clear(uint64_t i);

    Pa base_{};
    uint64_t pages_ = 0;
    uint64_t free_ = 0;
    uint64_t next_hint_ = 0;
    uint64_t* bitmap_ = nullptr;  // bit set = page in use
};

}  // namespace warden
