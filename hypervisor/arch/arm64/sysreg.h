// SPDX-License-Identifier: Apache-2.0
// Access to system registers by name.
#pragma once

#include <cstdint>

#define WARDEN_READ_SYSREG(reg)                             \
    ({                                                      \
        uint64_t v_;                                        \
        asm volatile("mrs %0, " #reg : "=r"(v_)::"memory"); \
        v_;                                                 \
    })
#define WARDEN_WRITE_SYSREG(reg, v) \
    asm volatile("msr " #reg ", %0" ::"r"(static_cast<uint64_t>(v)) : "memory")

namespace warden::arm64 {

inline void isb() {
    asm volatile("isb" ::: "memory");
}
inline void dsb_sy() {
    asm volatile("dsb sy" ::: "memory");
}

inline uint32_t mmio_read32(uint64_t addr) {
    return *reinterpret_cast<volatile uint32_t*>(addr);
}
inline void mmio_write32(uint64_t addr, uint32_t v) {
    *reinterpret_cast<volatile uint32_t*>(addr) = v;
}

// ESR_ELx exception classes Warden handles.
inline constexpr uint32_t kEcUnknown = 0x00;
inline constexpr uint32_t kEcWfx = 0x01;
inline constexpr uint32_t kEcHvc64 = 0x16;
inline constexpr uint32_t kEcSmc64 = 0x17;
inline constexpr uint32_t kEcSysReg = 0x18;
inline constexpr uint32_t kEcIabtLow = 0x20;
inline constexpr uint32_t kEcDabtLow = 0x24;

}  // namespace warden::arm64
