// SPDX-License-Identifier: Apache-2.0
// Register and memory access for the EL3 firmware. The MMU stays off at EL3, so every
// data access is Device-nGnRnE: accesses must be naturally aligned (hence
// -mstrict-align) and the only ordering needed between CPUs is what the barriers below
// give.
#pragma once

#include <atomic>
#include <cstdint>

#define FW_SYSREG(name)                               \
    inline uint64_t read_##name() {                   \
        uint64_t v;                                   \
        asm volatile("mrs %0, " #name : "=r"(v));     \
        return v;                                     \
    }                                                 \
    inline void write_##name(uint64_t v) {            \
        asm volatile("msr " #name ", %0" : : "r"(v)); \
    }

namespace warden::fw {

FW_SYSREG(mpidr_el1)
FW_SYSREG(midr_el1)
FW_SYSREG(currentel)
FW_SYSREG(cntfrq_el0)
FW_SYSREG(cntpct_el0)
FW_SYSREG(pmcr_el0)
FW_SYSREG(vbar_el3)
FW_SYSREG(scr_el3)
FW_SYSREG(sctlr_el3)
FW_SYSREG(cptr_el3)
FW_SYSREG(mdcr_el3)
FW_SYSREG(esr_el3)
FW_SYSREG(elr_el3)
FW_SYSREG(far_el3)
FW_SYSREG(spsr_el3)
FW_SYSREG(sctlr_el2)
FW_SYSREG(hcr_el2)
FW_SYSREG(cptr_el2)
FW_SYSREG(cnthctl_el2)
FW_SYSREG(cntvoff_el2)
FW_SYSREG(cnthp_ctl_el2)
FW_SYSREG(vpidr_el2)
FW_SYSREG(vmpidr_el2)
FW_SYSREG(vttbr_el2)
FW_SYSREG(hstr_el2)
FW_SYSREG(mdcr_el2)
FW_SYSREG(sctlr_el1)

inline void isb() {
    asm volatile("isb" ::: "memory");
}
inline void dsb_sy() {
    asm volatile("dsb sy" ::: "memory");
}
// Waiting CPUs poll instead of sleeping in wfe: under QEMU's -icount one thread runs
// the vCPUs in turn, and a vCPU that gives up its turn early (wfe, yield) is not run
// again while another vCPU spins, so a parked CPU would never see a CPU_ON from a
// caller that busy-waits for it. Without -icount QEMU treats wfe as a no-op anyway.
// Events are still sent so that the code stays right for hardware that does sleep.
inline void send_event() {
    asm volatile("dsb ish\n\tsev" ::: "memory");
}
inline void cpu_relax() {
    asm volatile("isb" ::: "memory");
}
// Busy-waits for about `loops` iterations without touching memory or devices.
inline void delay_loops(uint64_t loops) {
    asm volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(loops) : : "cc");
}
inline void wait_for_interrupt() {
    asm volatile("dsb sy\n\twfi" ::: "memory");
}

inline uint32_t mmio_read32(uint64_t addr) {
    return *reinterpret_cast<volatile uint32_t*>(addr);
}
inline void mmio_write32(uint64_t addr, uint32_t v) {
    *reinterpret_cast<volatile uint32_t*>(addr) = v;
}
inline void mmio_write16(uint64_t addr, uint16_t v) {
    *reinterpret_cast<volatile uint16_t*>(addr) = v;
}
inline uint8_t mmio_read8(uint64_t addr) {
    return *reinterpret_cast<volatile uint8_t*>(addr);
}
inline uint64_t mmio_read64(uint64_t addr) {
    return *reinterpret_cast<volatile uint64_t*>(addr);
}

// Several CPUs can be at EL3 at once (concurrent SMCs). Exclusive loads and stores
// work on QEMU with the MMU off, which is all this test firmware runs on.
class Spinlock {
public:
    void lock() {
        while (locked_.exchange(1, std::memory_order_acquire)) {
            while (locked_.load(std::memory_order_relaxed)) {
            }
        }
    }
    // For the fatal path: gives up instead of deadlocking on a lock its own CPU holds.
    bool try_lock_for(unsigned spins) {
        for (; spins; --spins) {
            if (!locked_.exchange(1, std::memory_order_acquire)) return true;
        }
        return false;
    }
    void unlock() { locked_.store(0, std::memory_order_release); }

private:
    std::atomic<uint32_t> locked_{0};
};

class LockGuard {
public:
    explicit LockGuard(Spinlock& l) : lock_(l) { lock_.lock(); }
    ~LockGuard() { lock_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Spinlock& lock_;
};

}  // namespace warden::fw
