// SPDX-License-Identifier: Apache-2.0
// Domains: an IPA space (stage-2), its RAM, its vCPUs, its console and its state.
#pragma once

#include <array>

#include "core/mmio.h"
#include "core/page_alloc.h"
#include "core/phys.h"
#include "core/stage2.h"
#include "core/tee/mediator.h"
#include "core/types.h"
#include "core/vcpu.h"
#include "core/vgic.h"
#include "core/vpl011.h"
#include "warden/domctl.h"

namespace warden {

inline constexpr unsigned kMaxDomains = abi::kMaxDomains;
inline constexpr unsigned kMaxVcpusPerDomain = abi::kMaxVcpus;
inline constexpr uint64_t kGuestRamBase = abi::kGuestRamBase;  // IPA of a domU's RAM

enum class DomainState : uint8_t {
    Free,      // slot unused
    Building,  // being created: its RAM is being cleared (begin_create)
    Dying,     // being destroyed: its RAM is being scrubbed (begin_destroy)
    Created,   // built, never run
    Running,   // has run; vCPUs may be runnable
    Shutdown,  // stopped by the guest (PSCI SYSTEM_OFF / RESET / all CPUs off)
    Crashed,   // stopped by the hypervisor because of a guest fault
};

// Why a domain stopped: the ABI's codes (warden/domctl.h), so reporting is a cast.
enum class ShutdownReason : uint8_t {
    None = abi::kShutdownNone,
    PowerOff = abi::kShutdownPowerOff,
    Reset = abi::kShutdownReset,
    CpusOff = abi::kShutdownCpusOff,
    Crash = abi::kShutdownCrash,
};

const char* to_string(DomainState s);
const char* to_string(ShutdownReason r);

inline constexpr unsigned kDomainNameMax = 32;
inline constexpr unsigned kConsoleRingSize = 4096;
// Pages cleared per step when a domain is built or destroyed from a domctl: the
// domctl then restarts, so that no guest waits longer than one step (1 MiB).
inline constexpr uint64_t kScrubPagesPerStep = 256;

struct DomainConfig {
    const char* name = "";      // for the toolstack; at most kDomainNameMax - 1 chars
    uint64_t tool_data = 0;     // opaque value kept for the toolstack
    bool privileged = false;    // control domain: may issue domctls
    bool identity_map = false;  // IPA == PA (dom0 drives DMA devices)
    Pa ram_pa{};                // identity-mapped domains: where their RAM is
    uint64_t ram_size = 0;
    unsigned vcpus = 1;
};

class Domain {
public:
    DomId id() const { return id_; }
    bool privileged() const { return privileged_; }
    DomainState state() const { return state_; }
    ShutdownReason shutdown_reason() const { return reason_; }
    bool alive() const { return state_ == DomainState::Created || state_ == DomainState::Running; }
    Stage2& stage2() { return s2_; }
    const Stage2& stage2() const { return s2_; }
    Ipa ram_base() const { return ram_ipa_; }
    uint64_t ram_size() const { return ram_size_; }
    Pa ram_pa() const { return ram_pa_; }
    unsigned vcpu_count() const { return nr_vcpus_; }
    Vcpu& vcpu(unsigned i) { return vcpus_[i]; }
    uint16_t vmid() const { return static_cast<uint16_t>(id_.value + 1); }
    bool has_run() const { return state_ != DomainState::Created; }
    bool paused() const { return paused_; }
    void set_paused(bool p) { paused_ = p; }
    // Schedulable: alive and not held by the control domain.
    bool runnable() const { return alive() && !paused_; }
    tee::DomainTee& tee() { return tee_; }
    const tee::DomainTee& tee() const { return tee_; }
    // Its emulated devices (core/mmio.h), and how many of its accesses no
    // device took (each got an external abort).
    mmio::Bus& mmio() { return mmio_; }
    const mmio::Bus& mmio() const { return mmio_; }
    uint64_t mmio_faults() const { return mmio_faults_; }
    uint64_t count_mmio_fault() { return ++mmio_faults_; }
    // Its emulated PL011 (on its bus at kGuestUartBase).
    vpl011::Uart& uart() { return uart_; }
    // Subtracted from the system counter to make the domain's virtual count
    // (CNTVOFF_EL2): the counter's value when the domain was created, so a
    // guest's virtual time starts near zero and tells nothing of the platform's.
    uint64_t cntvoff() const { return cntvoff_; }
    // Its virtual GIC distributor (on its bus at kGuestGicdBase).
    vgic::Distributor& gicd() { return gicd_; }
    // The device tree the hypervisor built for a boot-time domain (size 0: none).
    Ipa boot_dt() const { return boot_dt_; }
    uint64_t boot_dt_size() const { return boot_dt_size_; }
    void set_boot_dt(Ipa at, uint64_t size) {
        boot_dt_ = at;
        boot_dt_size_ = size;
    }

    // Copy bytes to or from guest memory at an IPA, page by page through the
    // domain's stage-2 tables (so exactly what the guest itself can access, and
    // for writes, what it can write). False, with nothing copied, if any byte is not.
    bool copy_to_guest(Ipa dst, const void* src, uint64_t size);
    bool copy_from_guest(void* dst, Ipa src, uint64_t size) const;
    // [ipa, ipa + size) lies inside the domain's RAM.
    bool in_ram(Ipa ipa, uint64_t size) const;
    // Where the hypervisor reaches [ipa, ipa + size) of the domain's RAM, or
    // nullptr if that is not all RAM. A domain's RAM is one block, mapped
    // read-write and linearly for its whole life, so this is what stage-2 gives
    // the guest, without a table walk.
    void* ram_ptr(Ipa ipa, uint64_t size) const {
        return in_ram(ipa, size) ? phys_ptr<void>(ram_pa_ + (ipa - ram_ipa_)) : nullptr;
    }
    // Pages of the domain's RAM the secure world may be using (the TEE mediator
    // pins them while it may): RAM with pins left is never scrubbed or reused.
    void pin_pages(uint64_t n) { pinned_ += n; }
    void unpin_pages(uint64_t n) { pinned_ -= n; }
    uint64_t pinned_pages() const { return pinned_; }
    // Marks the domain running (first time a vCPU is started).
    void mark_running() {
        if (state_ == DomainState::Created) state_ = DomainState::Running;
    }
    // Stops every vCPU; the domain keeps its memory until it is destroyed.
    void shutdown(ShutdownReason reason);
    // Called when a vCPU of this domain turned itself off.
    void vcpu_stopped();
    // Appends guest console output; complete lines are printed prefixed "[dN] ".
    // Everything (sanitised) also goes into a ring the control domain can read.
    void console_put(const char* s, uint64_t n);
    // Copies console bytes from position `from` (see kConsoleRead).
    struct ConsoleChunk {
        uint64_t start;  // position of the first byte copied
        uint64_t count;
        uint64_t lost;  // bytes between `from` and `start` no longer kept
    };
    ConsoleChunk console_read(uint64_t from, char* out, uint64_t max) const;
    uint64_t console_position() const { return console_pos_; }
    const char* name() const { return name_; }
    uint64_t tool_data() const { return tool_data_; }
    void set_tool_data(uint64_t v) { tool_data_ = v; }

private:
    friend class DomainTable;
    void console_flush();

    DomId id_{0};
    DomainState state_ = DomainState::Free;
    ShutdownReason reason_ = ShutdownReason::None;
    bool privileged_ = false;
    bool paused_ = false;
    Stage2 s2_;
    tee::DomainTee tee_;
    mmio::Bus mmio_;
    uint64_t mmio_faults_ = 0;
    vpl011::Uart uart_;
    vgic::Distributor gicd_;
    uint64_t cntvoff_ = 0;
    Ipa boot_dt_{};
    uint64_t boot_dt_size_ = 0;
    Ipa ram_ipa_{};
    Pa ram_pa_{};
    uint64_t ram_size_ = 0;
    bool ram_owned_ = false;   // allocated from the page allocator (not identity RAM)
    uint64_t scrub_next_ = 0;  // Building/Dying: next RAM page to clear
    uint64_t pinned_ = 0;
    unsigned nr_vcpus_ = 0;
    std::array<Vcpu, kMaxVcpusPerDomain> vcpus_{};
    char console_line_[128];
    unsigned console_len_ = 0;
    char console_ring_[kConsoleRingSize];
    uint64_t console_pos_ = 0;  // bytes ever written into the ring
    char name_[kDomainNameMax] = {};
    uint64_t tool_data_ = 0;
};

// A domain's RAM holds nothing but zeros when it is created (whatever its pages
// held before) and is scrubbed before its pages are freed, so nothing one guest
// wrote reaches the next. Both take time proportional to the RAM: from a domctl
// they go in bounded steps (begin_* then continue_* until it returns true).
class DomainTable {
public:
    explicit DomainTable(PageAllocator& alloc) : alloc_(alloc) {}
    // Creates a domain with its RAM mapped and cleared; -errno on failure, with
    // nothing leaked.
    int create(const DomainConfig& cfg, Domain** out);
    // The first step of create(): the domain is Building until continue_create()
    // returns true (then Created). find() does not see it before.
    int begin_create(const DomainConfig& cfg, Domain** out);
    bool continue_create(Domain& d, uint64_t budget = kScrubPagesPerStep);
    // Gives up a Building domain (its pages go back dirty: nobody wrote them).
    void abandon_create(Domain& d);
    // Releases everything the domain holds, its TEE registration first.
    void destroy(Domain& d);
    // The first step of destroy(): the TEE is told, the stage-2 tables are gone,
    // and the domain is Dying until continue_destroy() returns true (then Free).
    void begin_destroy(Domain& d);
    bool continue_destroy(Domain& d, uint64_t budget = kScrubPagesPerStep);
    // A domain that is Created, Running, Shutdown or Crashed.
    Domain* find(DomId id);
    // Any domain in use, also Building or Dying (for continuing those steps).
    Domain* find_any(DomId id);
    // Calls fn(Domain&) for every domain find() sees, in ID order.
    template <typename Fn>
    void for_each(Fn fn) {
        for (auto& d : domains_) {
            if (d.state_ != DomainState::Free && d.state_ != DomainState::Building &&
                d.state_ != DomainState::Dying) {
                fn(d);
            }
        }
    }
    unsigned count_alive() const;
    bool any_crashed() const;

private:
    PageAllocator& alloc_;
    std::array<Domain, kMaxDomains> domains_{};
};

}  // namespace warden
