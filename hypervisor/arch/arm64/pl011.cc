// SPDX-License-Identifier: Apache-2.0
#include "arch/arm64/pl011.h"

#include "arch/arm64/sysreg.h"

namespace warden::arm64 {
namespace {

constexpr uint64_t kDr = 0x00;
constexpr uint64_t kFr = 0x18;
constexpr uint32_t kFrTxff = 1u << 5;

uint64_t g_base = 0x09000000;  // QEMU virt's UART until the device tree says otherwise

void putc(char c) {
    while (mmio_read32(g_base + kFr) & kFrTxff) {
    }
    mmio_write32(g_base + kDr, static_cast<uint8_t>(c));
}

}  // namespace

void pl011_init(uint64_t base) {
    if (base) g_base = base;
}

void pl011_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (s[i] == '\n') putc('\r');
        putc(s[i]);
    }
}

}  // namespace warden::arm64
