// SPDX-License-Identifier: Apache-2.0
// The emulated PL011 UART every domain has at kGuestUartBase (warden/domctl.h):
// the registers a PL011 driver uses (Linux's amba-pl011 and earlycon among
// them), with what the guest transmits going into the domain's console ring
// and what the control domain sends (kConsoleInput) waiting in a bounded
// receive buffer. Transmission is instant: the FIFO is never full, never busy.
#pragma once

#include <cstdint>

#include "core/mmio.h"
#include "warden/domctl.h"

namespace warden {
class Domain;
}

namespace warden::vpl011 {

inline constexpr unsigned kRxSize = abi::kConsoleInputMax;  // bytes waiting for the guest

// Interrupt bits (UARTRIS/UARTMIS/UARTIMSC/UARTICR).
inline constexpr uint32_t kIntRx = 1u << 4;
inline constexpr uint32_t kIntTx = 1u << 5;
inline constexpr uint32_t kIntRxTimeout = 1u << 6;

struct Uart {
    uint32_t cr = 0x300;  // UARTEN clear, TXE and RXE set (the reset value)
    uint32_t lcr_h = 0;
    uint32_t ibrd = 0;
    uint32_t fbrd = 0;
    uint32_t ifls = 0x12;
    uint32_t imsc = 0;
    uint32_t ilpr = 0;
    uint32_t dmacr = 0;
    uint32_t cleared = 0;  // interrupt bits the guest cleared and no event has set again
    uint8_t rx[kRxSize] = {};
    uint32_t rx_head = 0;  // next byte the guest reads
    uint32_t rx_count = 0;

    // Raw interrupt status (UARTRIS): transmit always wants data; receive and
    // its timeout while bytes wait, unless cleared since.
    uint32_t raw_status() const;
    // What the interrupt line carries (UARTMIS != 0); the virtual GIC samples it.
    bool irq_pending() const { return (raw_status() & imsc) != 0; }
    // Queues input for the guest: as many bytes as fit, returned (0 when full:
    // the sender waits and retries).
    uint32_t push_input(const uint8_t* data, uint32_t n);
};

// Tells the domain's interrupt controller after push_input() (the line may rise).
void input_arrived(Domain& d);

// The device on a domain's bus; ctx is the domain's Uart.
extern const mmio::Device kDevice;

}  // namespace warden::vpl011
