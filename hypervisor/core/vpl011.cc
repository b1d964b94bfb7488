// SPDX-License-Identifier: Apache-2.0
#include "core/vpl011.h"

#include "core/domain.h"

namespace warden::vpl011 {
namespace {

// Register offsets (PL011 TRM, table 3-1).
constexpr uint64_t kDr = 0x000;
constexpr uint64_t kRsrEcr = 0x004;
constexpr uint64_t kFr = 0x018;
constexpr uint64_t kIlpr = 0x020;
constexpr uint64_t kIbrd = 0x024;
constexpr uint64_t kFbrd = 0x028;
constexpr uint64_t kLcrH = 0x02c;
constexpr uint64_t kCr = 0x030;
constexpr uint64_t kIfls = 0x034;
constexpr uint64_t kImsc = 0x038;
constexpr uint64_t kRis = 0x03c;
constexpr uint64_t kMis = 0x040;
constexpr uint64_t kIcr = 0x044;
constexpr uint64_t kDmacr = 0x048;
constexpr uint64_t kPeriphId0 = 0xfe0;

// UARTFR bits.
constexpr uint32_t kFrRxfe = 1u << 4;  // receive FIFO empty
constexpr uint32_t kFrRxff = 1u << 6;  // receive FIFO full
constexpr uint32_t kFrTxfe = 1u << 7;  // transmit FIFO empty

// PeriphID0..3 then PCellID0..3: a PL011 r1p5, as QEMU's.
constexpr uint8_t kIds[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

// The UART's interrupt line into the domain's distributor (SPI kGuestUartSpi).
void update_line(Domain& d) {
    d.gicd().set_line(0, 32 + abi::kGuestUartSpi, d.uart().irq_pending());
}

bool read(void* ctx, Vcpu& vcpu, uint64_t offset, uint8_t size, uint64_t& value) {
    auto& u = *static_cast<Uart*>(ctx);
    if (size > 4 || (offset & (size - 1))) return false;  // 8-byte or unaligned: a bus error
    const uint64_t reg = offset & ~uint64_t{3};
    uint32_t v = 0;
    switch (reg) {
    case kDr:
        if (u.rx_count) {
            v = u.rx[u.rx_head];
            u.rx_head = (u.rx_head + 1) % kRxSize;
            --u.rx_count;
            if (!u.rx_count) u.cleared &= ~(kIntRx | kIntRxTimeout);
        }
        break;
    case kRsrEcr:
        break;  // no framing, parity, break or overrun errors
    case kFr:
        v = kFrTxfe | (u.rx_count ? 0 : kFrRxfe) | (u.rx_count == kRxSize ? kFrRxff : 0);
        break;
    case kIlpr:
        v = u.ilpr;
        break;
    case kIbrd:
        v = u.ibrd;
        break;
    case kFbrd:
        v = u.fbrd;
        break;
    case kLcrH:
        v = u.lcr_h;
        break;
    case kCr:
        v = u.cr;
        break;
    case kIfls:
        v = u.ifls;
        break;
    case kImsc:
        v = u.imsc;
        break;
    case kRis:
        v = u.raw_status();
        break;
    case kMis:
        v = u.raw_status() & u.imsc;
        break;
    case kDmacr:
        v = u.dmacr;
        break;
    default:
        if (reg >= kPeriphId0 && reg < kPeriphId0 + 32) v = kIds[(reg - kPeriphId0) / 4];
        break;  // reserved registers read as zero
    }
    value = v >> ((offset & 3) * 8);
    if (reg == kDr) update_line(*vcpu.domain);
    return true;
}

bool write(void* ctx, Vcpu& vcpu, uint64_t offset, uint8_t size, uint64_t value) {
    auto& u = *static_cast<Uart*>(ctx);
    if (size > 4 || (offset & (size - 1))) return false;
    const auto v = static_cast<uint32_t>(value);
    switch (offset) {
    case kDr: {
        const char c = static_cast<char>(v & 0xff);
        vcpu.domain->console_put(&c, 1);
        u.cleared &= ~kIntTx;  // room again at once
        break;
    }
    case kIlpr:
        u.ilpr = v & 0xff;
        break;
    case kIbrd:
        u.ibrd = v & 0xffff;
        break;
    case kFbrd:
        u.fbrd = v & 0x3f;
        break;
    case kLcrH:
        u.lcr_h = v & 0xff;
        break;
    case kCr:
        u.cr = v & 0xff87;
        break;
    case kIfls:
        u.ifls = v & 0x3f;
        break;
    case kImsc:
        u.imsc = v & 0x7ff;
        break;
    case kIcr:
        u.cleared |= v & 0x7ff;
        break;
    case kDmacr:
        u.dmacr = v & 0x7;
        break;
    default:
        break;  // read-only and reserved registers ignore writes
    }
    update_line(*vcpu.domain);
    return true;
}

}  // namespace

uint32_t Uart::raw_status() const {
    uint32_t ris = kIntTx;
    if (rx_count) ris |= kIntRx | kIntRxTimeout;
    return ris & ~cleared;
}

uint32_t Uart::push_input(const uint8_t* data, uint32_t n) {
    uint32_t taken = 0;
    while (taken < n && rx_count < kRxSize) {
        rx[(rx_head + rx_count) % kRxSize] = data[taken++];
        ++rx_count;
    }
    if (taken) cleared &= ~(kIntRx | kIntRxTimeout);  // new data: the guest hears of it
    return taken;
}

void input_arrived(Domain& d) {
    update_line(d);
}

const mmio::Device kDevice = {"pl011", read, write};

}  // namespace warden::vpl011
