// SPDX-License-Identifier: Apache-2.0
// A domain's virtual GICv2 distributor: the GICD registers a guest programs
// (enable, pending, active, priority, targets, configuration, SGIs between its
// vCPUs), and the state of every interrupt the domain can see. The hardware's
// virtual CPU interface delivers what this model picks: an interrupt moves into
// a list register with take() and comes back with lr_done() once the guest has
// finished with it (the arch port owns the list registers).
//
// INTIDs: 0-15 SGIs and 16-31 PPIs, banked per vCPU; 32 to 32 + kSpis - 1
// SPIs, shared and routed to vCPUs by ITARGETSR.
#pragma once

#include <cstdint>

#include "core/mmio.h"
#include "warden/domctl.h"

namespace warden::vgic {

inline constexpr unsigned kVcpus = abi::kMaxVcpus;
inline constexpr unsigned kSpis = 64;
inline constexpr unsigned kIntids = 32 + kSpis;
inline constexpr uint32_t kNone = 1023;  // no interrupt (GIC's spurious INTID)

struct Irq {
    bool enabled = false;
    bool pending = false;  // latched: edge seen, SGI sent, ISPENDR written
    bool active = false;
    bool line = false;        // level of the input (level-sensitive interrupts)
    bool edge = false;        // configuration: edge-triggered (else level)
    bool in_lr = false;       // handed to the vCPU interface, not back yet
    uint8_t priority = 0;     // 0 highest; the low 3 bits read as zero
    uint8_t targets = 0;      // SPIs: vCPU mask (ITARGETSR)
    uint8_t group = 0;        // IGROUPR bit (stored; the model does not act on it)
    uint8_t sgi_sources = 0;  // SGIs: vCPUs it is pending from
};

struct Pick {
    uint32_t intid = kNone;
    uint8_t priority = 0xff;
    uint8_t source = 0;  // SGIs: the sending vCPU
    bool level = false;  // level-sensitive (the list register asks for EOI maintenance)
};

class Distributor {
public:
    // A distributor for `vcpus` vCPUs, every interrupt disabled and idle.
    void reset(unsigned vcpus);

    // GICD register accesses from vCPU `vcpu` at `offset` (1 or 4 bytes as
    // the GICv2 architecture allows; false for anything else).
    bool read(unsigned vcpu, uint64_t offset, uint8_t size, uint64_t& value);
    bool write(unsigned vcpu, uint64_t offset, uint8_t size, uint64_t value);

    // An interrupt input: an SPI (any vcpu), or a PPI of `vcpu`. Edge-triggered
    // ones become pending on a rising edge; level ones are pending while high.
    void set_line(unsigned vcpu, uint32_t intid, bool high);

    // The highest-priority interrupt `vcpu` should be given now: enabled,
    // pending, not active, not already in a list register, targeting it, with
    // the distributor enabled. intid kNone when there is none.
    Pick best(unsigned vcpu) const;
    // The `max` best, best first, in one pass over the interrupts: what best()
    // and take() in turn would give (take() changes only the one it takes).
    // `more`: others are waiting besides them. Returns how many were written.
    unsigned best_n(unsigned vcpu, Pick* out, unsigned max, bool& more) const;
    // It went into a list register as pending: the latch is consumed (a level
    // interrupt stays pending while its line is high, which the list
    // register's EOI maintenance rechecks).
    void take(unsigned vcpu, const Pick& p);
    // Its list register came back: `active` if the guest acknowledged it and
    // has not deactivated it yet, `pending` if it never acknowledged it.
    void lr_done(unsigned vcpu, uint32_t intid, uint8_t source, bool pending, bool active);

    // Something for `vcpu` to take (wakes a vCPU waiting in WFI).
    bool has_pending(unsigned vcpu) const { return best(vcpu).intid != kNone; }

    bool enabled() const { return enabled_; }
    // Changes with every change of state: a vCPU whose view is current has
    // nothing to look at (the trap path checks this before anything else).
    uint64_t generation() const { return gen_; }
    // One interrupt's state as `vcpu` sees it (intid < kIntids, vcpu < its count).
    const Irq& irq(unsigned vcpu, uint32_t intid) const;

private:
    Irq* at(unsigned vcpu, uint32_t intid);
    bool is_pending(const Irq& q) const;
    void send_sgi(unsigned from, uint32_t value);
    // The bit-per-interrupt registers (IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER).
    uint32_t read_bits(unsigned vcpu, uint64_t base_reg, uint64_t offset);
    void write_bits(unsigned vcpu, uint64_t base_reg, uint64_t offset, uint32_t value);

    bool enabled_ = false;
    unsigned vcpus_ = 1;
    uint64_t gen_ = 1;
    Irq private_[kVcpus][32]{};
    Irq spi_[kSpis]{};
};

// The device on a domain's bus (at the guest's GICD address); ctx is the
// domain's Distributor.
extern const mmio::Device kDevice;

}  // namespace warden::vgic
