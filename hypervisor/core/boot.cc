// SPDX-License-Identifier: Apache-2.0
#include "core/boot.h"

#include "core/arch.h"
#include "core/domctl.h"
#include "core/log.h"
#include "core/phys.h"
#include "core/tee/tee.h"
#include "dt/guest_dt.h"
#include "lib/format.h"
#include "warden/errno.h"

namespace warden {
namespace {

constexpr uint32_t kImageMagic = 0x644d5241;  // "ARM\x64"
constexpr uint64_t k2M = 2 * 1024 * 1024;

uint64_t le64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

bool has_word(const char* s, const char* word) {
    size_t n = 0;
    while (word[n]) ++n;
    for (const char* p = s; *p; ++p) {
        if (p != s && p[-1] != ' ') continue;
        size_t i = 0;
        while (i < n && p[i] == word[i]) ++i;
        if (i == n && (p[n] == ' ' || p[n] == '\0')) return true;
    }
    return false;
}

void zero_bytes(Pa at, uint64_t size) {
    __builtin_memset(phys_ptr<unsigned char>(at), 0, size);
}

// Puts the device tree in the last 64 KiB of the domain's RAM and prepares vCPU 0.
bool finish_domain(Domain& d, const BootModule& m, Ipa entry, const GuestDtDevice* virtio = nullptr,
                   unsigned virtio_count = 0, Ipa initrd = Ipa{}) {
    static unsigned char dt_buf[kGuestDtMax];
    GuestDtConfig cfg{d.ram_base().value(), d.ram_size(), d.vcpu_count(),
                      m.bootargs,           virtio,       virtio_count};
    if (m.initrd_size) {
        cfg.initrd_start = initrd.value();
        cfg.initrd_end = initrd.value() + m.initrd_size;
    }
    int len = build_guest_dt(dt_buf, sizeof dt_buf, cfg);
    if (len < 0) {
        WARDEN_LOG_ERROR("d%u: cannot build its device tree (%d)", d.id().value, len);
        return false;
    }
    Ipa dt = d.ram_base() + (d.ram_size() - kGuestDtMax);
    if (!d.copy_to_guest(dt, dt_buf, static_cast<uint64_t>(len))) return false;
    d.set_boot_dt(dt, static_cast<uint64_t>(len));
    Vcpu& v = d.vcpu(0);
    arch::vcpu_reset(v, entry, dt.value());
    v.state = VcpuState::Runnable;
    if (has_word(m.bootargs, "warden.paused")) d.set_paused(true);
    return true;
}

Domain* build_dom0(Hypervisor& hv, const BootInfo& info, const BootModule& m,
                   const ImageInfo& img) {
    if (m.initrd_size) {
        WARDEN_LOG_ERROR("dom0 module at 0x%lx: the control domain takes no initrd",
                         m.base.value());
        return nullptr;
    }
    uint64_t mem = bootargs_mem(m.bootargs);
    if (mem == 0) mem = kDefaultGuestRam;
    mem = align_up(mem, k2M);
    Pa base(align_down(m.base.value(), k2M));
    if (m.base - base != img.text_offset) {
        WARDEN_LOG_ERROR("dom0 module at 0x%lx: must sit at a 2 MiB boundary + text_offset 0x%lx",
                         m.base.value(), img.text_offset);
        return nullptr;
    }
    if (base < info.ram_base || base - info.ram_base + mem > info.ram_size) {
        WARDEN_LOG_ERROR("dom0: RAM 0x%lx+0x%lx is outside the machine's RAM", base.value(), mem);
        return nullptr;
    }
    // The image's own size counts its BSS too, which the module file does not hold.
    uint64_t footprint = img.image_size > m.size ? img.image_size : m.size;
    if (mem < kGuestDtMax * 2 || m.base - base + footprint + kGuestDtMax > mem) {
        WARDEN_LOG_ERROR("dom0: %lu bytes of RAM cannot hold its %lu-byte image", mem, footprint);
        return nullptr;
    }
    // dom0's RAM is mapped 1:1, so it must be memory nobody else has.
    for (uint64_t off = 0; off < mem; off += kPageSize) {
        Pa pa = base + off;
        bool in_module = pa >= Pa(align_down(m.base.value(), kPageSize)) && pa < m.base + m.size;
        if (!in_module && !hv.alloc().is_free(pa)) {
            WARDEN_LOG_ERROR("dom0: RAM 0x%lx+0x%lx overlaps memory in use (0x%lx)", base.value(),
                             mem, pa.value());
            return nullptr;
        }
    }
    hv.alloc().reserve(base, mem);
    // Its RAM is whatever was at those addresses: keep its image, clear the rest.
    zero_bytes(base, m.base - base);
    zero_bytes(m.base + m.size, mem - (m.base - base) - m.size);
    DomainConfig cfg;
    cfg.privileged = true;
    cfg.identity_map = true;
    cfg.ram_pa = base;
    cfg.ram_size = mem;
    Domain* d = nullptr;
    int err = hv.domains().create(cfg, &d);
    if (err) {
        WARDEN_LOG_ERROR("dom0: cannot create (%d)", err);
        return nullptr;
    }
    // The control channel: every virtio-mmio transport, mapped 1:1 as device memory.
    static GuestDtDevice virtio[kMaxPassthrough];
    unsigned nvirtio = 0;
    for (unsigned i = 0; i < info.virtio_count; ++i) {
        const DeviceRegion& r = info.virtio[i];
        uint64_t lo = align_down(r.base.value(), kPageSize);
        uint64_t hi = align_up(r.base.value() + r.size, kPageSize);
        for (uint64_t pg = lo; pg < hi; pg += kPageSize) {
            if (d->stage2().translate(Ipa(pg))) continue;  // several transports share a page
            if (d->stage2().map(Ipa(pg), Pa(pg), kPageSize, S2Attr::DeviceRw) != 0) {
                WARDEN_LOG_ERROR("dom0: cannot map device page 0x%lx", pg);
                hv.domains().destroy(*d);
                return nullptr;
            }
        }
        virtio[nvirtio++] = GuestDtDevice{r.base.value(), r.size};
    }
    if (!finish_domain(*d, m, Ipa(m.base.value()), virtio, nvirtio)) {
        hv.domains().destroy(*d);
        return nullptr;
    }
    return d;
}

Domain* build_domu(Hypervisor& hv, const BootModule& m, const ImageInfo& img) {
    uint64_t mem = bootargs_mem(m.bootargs);
    if (mem == 0) mem = kDefaultGuestRam;
    mem = align_up(mem, k2M);
    uint64_t need = img.text_offset + (img.image_size > m.size ? img.image_size : m.size);
    // The initrd, page-aligned, right below the device tree.
    const uint64_t initrd_off = (mem - kGuestDtMax - m.initrd_size) & ~(kPageSize - 1);
    if (need + kGuestDtMax + m.initrd_size > mem || (m.initrd_size && initrd_off < need)) {
        WARDEN_LOG_ERROR(
            "module at 0x%lx: %lu bytes of RAM cannot hold its %lu-byte image "
            "and %lu-byte initrd",
            m.base.value(), mem, need, m.initrd_size);
        return nullptr;
    }
    DomainConfig cfg;
    cfg.ram_size = mem;
    // warden.vcpus=N: secondaries start with PSCI CPU_ON.
    const uint64_t vcpus = bootargs_number(m.bootargs, "warden.vcpus=");
    if (vcpus > kMaxVcpusPerDomain) {
        WARDEN_LOG_ERROR("module at 0x%lx: warden.vcpus=%lu: at most %u", m.base.value(), vcpus,
                         kMaxVcpusPerDomain);
        return nullptr;
    }
    if (vcpus) cfg.vcpus = static_cast<unsigned>(vcpus);
    Domain* d = nullptr;
    int err = hv.domains().create(cfg, &d);
    if (err) {
        WARDEN_LOG_ERROR("module at 0x%lx: cannot create a domain with %lu MiB (%d)",
                         m.base.value(), mem >> 20, err);
        return nullptr;
    }
    Ipa entry = d->ram_base() + img.text_offset;
    const Ipa initrd = d->ram_base() + initrd_off;
    if (!d->copy_to_guest(entry, phys_ptr<const unsigned char>(m.base), m.size) ||
        (m.initrd_size &&
         !d->copy_to_guest(initrd, phys_ptr<const unsigned char>(m.initrd), m.initrd_size)) ||
        !finish_domain(*d, m, entry, nullptr, 0, initrd)) {
        hv.domains().destroy(*d);
        return nullptr;
    }
    return d;
}

// A module that asks for a TEE gets it before its first instruction, with the
// same checks and errors as the domctl. A refusal (no room in the TEE, no TEE)
// is reported and the domain stays paused: it is not started without it, and the
// control domain may still enable it (or destroy it) later.
void enable_boot_tee(Domain& d, const BootModule& m) {
    BootTeeRequest req = bootargs_tee(m.bootargs);
    if (req.kind == BootTeeRequest::None) return;
    if (req.kind == BootTeeRequest::Malformed) {
        WARDEN_LOG_ERROR("d%u: warden.tee=%s: expected optee, optee,smc or optee,hvc; not started",
                         d.id().value, req.value);
        d.set_paused(true);
        return;
    }
    abi::DomctlTeeQuotas quotas{};
    quotas.shm_pages = req.shm_pages > abi::kTeeMaxShmPages ? abi::kTeeMaxShmPages + 1
                                                            : static_cast<uint32_t>(req.shm_pages);
    int rc = domctl::enable_tee(d, abi::kTeeOptee, req.dt_method, quotas);
    if (rc == 0) return;
    d.set_paused(true);
    switch (-rc) {
    case abi::err::kNoSpc:
        WARDEN_LOG_ERROR(
            "d%u: warden.tee=%s refused: the TEE has no room for another guest (%u in use); "
            "not started",
            d.id().value, req.value, tee::guests_in_use());
        return;
    case abi::err::kNoDev:
        WARDEN_LOG_ERROR("d%u: warden.tee=%s refused: no TEE on this platform; not started",
                         d.id().value, req.value);
        return;
    default:
        WARDEN_LOG_ERROR("d%u: warden.tee=%s failed (%d); not started", d.id().value, req.value,
                         rc);
        return;
    }
}

}  // namespace

ImageInfo parse_image_header(const void* data, uint64_t size) {
    ImageInfo info;
    const auto* p = static_cast<const unsigned char*>(data);
    if (size < 64) return info;
    uint32_t magic = static_cast<uint32_t>(p[0x38]) | static_cast<uint32_t>(p[0x39]) << 8 |
                     static_cast<uint32_t>(p[0x3a]) << 16 | static_cast<uint32_t>(p[0x3b]) << 24;
    if (magic != kImageMagic) return info;
    info.is_image = true;
    info.text_offset = le64(p + 8);
    info.image_size = le64(p + 16);
    return info;
}

unsigned build_boot_domains(Hypervisor& hv, const BootInfo& info) {
    if (info.module_count == 0) {
        WARDEN_LOG_INFO("no boot modules: no domains to run");
        return 0;
    }
    // Modules stay where the boot loader put them until they are copied.
    for (unsigned i = 0; i < info.module_count; ++i) {
        hv.alloc().reserve(info.modules[i].base, info.modules[i].size);
        if (info.modules[i].initrd_size) {
            hv.alloc().reserve(info.modules[i].initrd, info.modules[i].initrd_size);
        }
    }
    unsigned built = 0;
    for (unsigned i = 0; i < info.module_count; ++i) {
        const BootModule& m = info.modules[i];
        ImageInfo img = parse_image_header(phys_ptr<const void>(m.base), m.size);
        if (img.text_offset >= (uint64_t{1} << 30) || img.image_size >= (uint64_t{1} << 32)) {
            WARDEN_LOG_ERROR("module at 0x%lx: implausible image header", m.base.value());
            continue;
        }
        Domain* d = i == 0 ? build_dom0(hv, info, m, img) : build_domu(hv, m, img);
        if (!d) continue;
        enable_boot_tee(*d, m);
        ++built;
        char where[32];
        format(where, sizeof where, d->privileged() ? "1:1" : "PA 0x%lx", d->ram_pa().value());
        WARDEN_LOG_INFO("d%u: %s, %lu MiB at IPA 0x%lx (%s)%s, \"%s\"", d->id().value,
                        d->privileged() ? "control domain" : "guest", d->ram_size() >> 20,
                        d->ram_base().value(), where, d->paused() ? ", paused" : "", m.bootargs);
    }
    return built;
}

}  // namespace warden
