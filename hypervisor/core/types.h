// SPDX-License-Identifier: Apache-2.0
// Distinct types for the address spaces and IDs the hypervisor juggles, so that a
// guest IPA can never be passed where a physical address is expected (or a domain ID
// where a TEE client ID is).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

namespace warden {

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

constexpr bool is_aligned(uint64_t v, uint64_t align) {
    return (v & (align - 1)) == 0;
}
constexpr uint64_t align_up(uint64_t v, uint64_t align) {
    return (v + align - 1) & ~(align - 1);
}
constexpr uint64_t align_down(uint64_t v, uint64_t align) {
    return v & ~(align - 1);
}

template <typename Tag>
class Address {
public:
    constexpr Address() = default;
    constexpr explicit Address(uint64_t v) : value_(v) {}
    constexpr uint64_t value() const { return value_; }
    constexpr Address operator+(uint64_t off) const { return Address(value_ + off); }
    constexpr uint64_t operator-(Address other) const { return value_ - other.value_; }
    constexpr bool page_aligned() const { return is_aligned(value_, kPageSize); }
    constexpr auto operator<=>(const Address&) const = default;

private:
    uint64_t value_ = 0;
};

struct IpaTag;
struct PaTag;
struct HvaTag;

// Guest intermediate physical address (what a guest calls physical).
using Ipa = Address<IpaTag>;
// Host physical address.
using Pa = Address<PaTag>;
// Hypervisor virtual address.
using Hva = Address<HvaTag>;

// Domain identifier: 0 is the control domain.
struct DomId {
    uint16_t value;
    constexpr auto operator<=>(const DomId&) const = default;
};

}  // namespace warden
