// SPDX-License-Identifier: Apache-2.0
#include "console.h"

#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "arch.h"
#include "board.h"
#include "lib/format.h"

namespace warden::fw::console {
namespace {

constexpr uint64_t kDr = 0x000;
constexpr uint64_t kFr = 0x018;
constexpr uint64_t kIbrd = 0x024;
constexpr uint64_t kFbrd = 0x028;
constexpr uint64_t kLcrh = 0x02c;
constexpr uint64_t kCr = 0x030;
constexpr uint32_t kFrTxFull = 1u << 5;
constexpr uint32_t kFrBusy = 1u << 3;
constexpr uint32_t kLcrh8n1Fifo = 0x70;
constexpr uint32_t kCrEnableTx = 0x101;  // UARTEN | TXE

Spinlock g_lock;

void put(char c) {
    const uint64_t base = board::kSecureUartBase;
    while (mmio_read32(base + kFr) & kFrTxFull) {
    }
    mmio_write32(base + kDr, static_cast<uint8_t>(c));
}

void write_line(const char* fmt, va_list ap) {
    char buf[200];
    const char prefix[] = "fw: ";
    size_t n = sizeof(prefix) - 1;
    for (size_t i = 0; i < n; ++i) buf[i] = prefix[i];
    vformat(buf + n, sizeof(buf) - n, fmt, ap);
    for (const char* p = buf; *p; ++p) {
        if (*p == '\n') put('\r');
        put(*p);
    }
    put('\r');
    put('\n');
}

}  // namespace

void init() {
    const uint64_t base = board::kSecureUartBase;
    while (mmio_read32(base + kFr) & kFrBusy) {
    }
    mmio_write32(base + kCr, 0);
    // 115200 baud from the 24 MHz reference clock real boards use; QEMU ignores it.
    mmio_write32(base + kIbrd, 13);
    mmio_write32(base + kFbrd, 1);
    mmio_write32(base + kLcrh, kLcrh8n1Fifo);
    mmio_write32(base + kCr, kCrEnableTx);
}

void log(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    LockGuard guard(g_lock);
    write_line(fmt, ap);
    va_end(ap);
}

void log_fatal(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const bool locked = g_lock.try_lock_for(1u << 20);
    write_line(fmt, ap);
    if (locked) g_lock.unlock();
    va_end(ap);
}

}  // namespace warden::fw::console
