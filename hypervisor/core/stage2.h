// SPDX-License-Identifier: Apache-2.0
// Stage-2 translation tables for one domain: 4 KiB granule, 40-bit IPA, walks start
// at level 1 with two concatenated level-1 tables (VTCR_EL2.SL0 = 1, T0SZ = 24).
#pragma once

#include <optional>

#include "core/page_alloc.h"
#include "core/types.h"

namespace warden {

enum class S2Attr : uint8_t {
    NormalRw,  // guest RAM: write-back cacheable, inner shareable
    NormalRo,
    DeviceRw,  // MMIO passed through
};

class Stage2 {
public:
    static constexpr unsigned kIpaBits = 40;
    static constexpr uint64_t kIpaLimit = uint64_t{1} << kIpaBits;

    // Allocates the 8 KiB root. False when memory is exhausted.
    bool init(PageAllocator& alloc);
    // Maps [ipa, ipa + size) to [pa, pa + size); page aligned, inside the IPA space,
    // not already mapped. Returns 0 or a negative errno (-EINVAL, -ENOMEM, -EEXIST).
    // On failure nothing that the call mapped stays mapped.
    int map(Ipa ipa, Pa pa, uint64_t size, S2Attr attr);
    // Removes whatever is mapped in [ipa, ipa + size).
    void unmap(Ipa ipa, uint64_t size);
    // The physical address behind ipa, if mapped (and writable, if asked).
    std::optional<Pa> translate(Ipa ipa, bool for_write = false) const;
    // Frees every table page (not the memory the tables pointed to).
    void destroy();

    Pa root() const { return root_; }
    bool valid() const { return alloc_ != nullptr; }

private:
    uint64_t* walk(Ipa ipa, bool create);
    const uint64_t* lookup(Ipa ipa) const;
    void free_table(Pa table, unsigned level);

    PageAllocator* alloc_ = nullptr;
    Pa root_{};
};

}  // namespace warden
