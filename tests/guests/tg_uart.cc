// SPDX-License-Identifier: Apache-2.0
// Drives the emulated PL011 at kGuestUartBase as a polling driver does: checks
// its PrimeCell ID, sends a line through it, reads a line the control domain
// typed (kConsoleInput), and sends it back. bench=1: then times 4 KiB sent.
#include <cstdint>

#include "guest/guest.h"
#include "warden/domctl.h"

namespace {

constexpr uint64_t kUart = warden::abi::kGuestUartBase;
constexpr uint32_t kFrRxfe = 1u << 4;
constexpr uint32_t kFrTxff = 1u << 5;

uint32_t rd(uint64_t off) {
    return *reinterpret_cast<volatile uint32_t*>(kUart + off);
}
void wr(uint64_t off, uint32_t v) {
    *reinterpret_cast<volatile uint32_t*>(kUart + off) = v;
}

void send(const char* s) {
    for (; *s; ++s) {
        while (rd(0x018) & kFrTxff) {
        }
        wr(0x000, static_cast<uint8_t>(*s));
    }
}

}  // namespace

int guest_main() {
    const uint32_t id[8] = {rd(0xfe0), rd(0xfe4), rd(0xfe8), rd(0xfec),
                            rd(0xff0), rd(0xff4), rd(0xff8), rd(0xffc)};
    const uint32_t want[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; ++i) GUEST_CHECK(id[i] == want[i]);
    guest::print("uart: PrimeCell ID of a PL011 at 0x%lx", kUart);
    send("pl011: hello through the emulated UART\n");

    char line[64];
    unsigned n = 0;
    uint64_t freq;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    const uint64_t start = guest::counter();
    while (n < sizeof line - 1) {
        GUEST_CHECK(guest::counter() - start < 60 * freq);  // someone types within a minute
        if (rd(0x018) & kFrRxfe) {
            guest::yield();
            continue;
        }
        const char c = static_cast<char>(rd(0x000) & 0xff);
        if (c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    guest::print("uart: read '%s' from the console input", line);
    send("pl011: echo ");
    send(line);
    send("\n");
    // bench=1: throughput, 4 KiB of text in lines of 64, as a polling driver
    // sends it (more than a console reader polling now and then keeps up with).
    char bench[4] = "";
    guest::bootarg("bench", bench, sizeof bench);
    if (bench[0] != '1') return 0;
    char chunk[65];
    for (unsigned i = 0; i < 64; ++i) chunk[i] = static_cast<char>('a' + i % 26);
    chunk[63] = '\n';
    chunk[64] = '\0';
    const uint64_t t0 = guest::counter();
    for (unsigned i = 0; i < 64; ++i) send(chunk);
    const uint64_t t = guest::counter() - t0;
    guest::print("uart: 4096 bytes sent in %lu ticks, %lu per byte", t, t / 4096);
    return 0;
}
