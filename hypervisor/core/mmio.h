// SPDX-License-Identifier: Apache-2.0
// Emulated devices: a guest's load or store to an address with no RAM behind it
// traps as a stage-2 data abort. Its syndrome is decoded into an Access, the
// domain's bus finds the device that owns the address, the device's handler
// runs, and a load's result goes into the guest's register. An access no device
// claims (or one the syndrome does not describe) is the guest's own bus error:
// the hypervisor injects an external abort and the guest goes on.
#pragma once

#include <cstdint>

#include "core/types.h"

namespace warden {
struct Vcpu;
struct GuestRegs;
}  // namespace warden

namespace warden::mmio {

// One access, as a data abort's syndrome describes it.
struct Access {
    Ipa addr{};
    uint8_t size = 0;          // bytes: 1, 2, 4 or 8
    bool write = false;        // WnR: known for every data abort, decodable or not
    uint8_t reg = 0;           // the transfer register: 0..30, 31 is XZR/WZR
    bool sign_extend = false;  // a load that sign-extends (LDRSB, LDRSH, LDRSW)
    bool wide = false;         // the register is Xt (else Wt: the upper half is cleared)
    uint8_t insn_bytes = 4;    // the trapped instruction's length (2 only for a T32 one)
};

enum class Decode : uint8_t {
    Ok,
    NotDataAbort,         // another exception class
    NoSyndrome,           // ISV clear: pairs, writeback, SIMD, exclusives... not emulated
    TableWalk,            // the guest's own stage-1 walk hit stage 2 (S1PTW)
    CacheMaintenance,     // DC/IC by address on a device (CM)
    NotTranslationFault,  // permission, access flag, alignment, ...: not a missing page
};

struct Decoded {
    Decode result = Decode::NotDataAbort;
    Access access{};
};

// Decodes the Armv8 data-abort syndrome (ESR_EL2) of a trap at `ipa`. Pure
// arithmetic: the host tests run it against every syndrome shape.
Decoded decode(uint64_t esr, Ipa ipa);

// The value a store writes: the register's low `size` bytes (XZR is 0).
uint64_t store_value(const GuestRegs& regs, const Access& a);
// Completes a load: the device's low `size` bytes, sign- or zero-extended as the
// instruction asks, into the register (a Wt gets its upper half cleared; XZR
// discards it).
void complete_load(GuestRegs& regs, const Access& a, uint64_t value);

// An emulated device. Handlers get the offset inside its range and the size; a
// read sets `value`. Returning false refuses the access (the guest gets an
// external abort, as from a bus error).
struct Device {
    const char* name;
    bool (*read)(void* ctx, Vcpu& vcpu, uint64_t offset, uint8_t size, uint64_t& value);
    bool (*write)(void* ctx, Vcpu& vcpu, uint64_t offset, uint8_t size, uint64_t value);
};

// A domain's devices by IPA range.
class Bus {
public:
    static constexpr unsigned kMaxRegions = 8;
    struct Region {
        uint64_t base = 0;
        uint64_t size = 0;
        const Device* device = nullptr;
        void* ctx = nullptr;
    };

    // False if the bus is full or the range is empty, wraps, or overlaps another.
    bool add(Ipa base, uint64_t size, const Device& device, void* ctx);
    void clear();
    // The region holding all of [addr, addr + size), or nullptr.
    const Region* find(Ipa addr, uint64_t size) const;
    unsigned count() const { return count_; }

private:
    Region regions_[kMaxRegions]{};
    unsigned count_ = 0;
};

enum class Outcome : uint8_t {
    Done,       // emulated: the caller skips the instruction
    Unclaimed,  // no device at the address
    Refused,    // the device said no
};

// Runs one access on the bus (a load's register written on Done).
Outcome emulate(Vcpu& vcpu, const Bus& bus, const Access& a);

}  // namespace warden::mmio
