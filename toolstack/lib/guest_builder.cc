// SPDX-License-Identifier: Apache-2.0
#include "guest_builder.h"

#include <cstring>

extern "C" {
#include <libfdt.h>
}

namespace warden::toolstack {
namespace {

constexpr uint32_t kImageMagic = 0x644d5241;  // "ARM\x64"

struct ImageLayout {
    uint64_t text_offset = 0;
    uint64_t size = 0;  // bytes the image occupies once loaded
};

Result<ImageLayout> image_layout(std::span<const uint8_t> k) {
    if (k.empty()) return invalid_field("kernel", "empty file");
    ImageLayout l;
    l.size = k.size();
    if (k.size() >= 64) {
        uint32_t magic;
        std::memcpy(&magic, k.data() + 0x38, 4);
        if (magic == kImageMagic) {
            uint64_t image_size;
            std::memcpy(&l.text_offset, k.data() + 8, 8);
            std::memcpy(&image_size, k.data() + 16, 8);
            if (l.text_offset >= (1ull << 30) || image_size >= (1ull << 32)) {
                return invalid_field("kernel", "implausible arm64 Image header");
            }
            if (image_size > l.size) l.size = image_size;
        }
    }
    return l;
}

Error step_error(BuildStep step, Error e) {
    return std::move(e.in_step(step));
}

// Appends to a libfdt sequential-write tree; the first error sticks.
struct Fdt {
    std::vector<uint8_t> buf;
    int err = 0;
    explicit Fdt(size_t size) : buf(size) { err = fdt_create(buf.data(), static_cast<int>(size)); }
    void* p() { return buf.data(); }
    void begin(const char* n) {
        if (!err) err = fdt_begin_node(p(), n);
    }
    void end() {
        if (!err) err = fdt_end_node(p());
    }
    void u32(const char* n, uint32_t v) {
        if (!err) err = fdt_property_u32(p(), n, v);
    }
    void str(const char* n, const char* v) {
        if (!err) err = fdt_property_string(p(), n, v);
    }
    void raw(const char* n, const void* v, int len) {
        if (!err) err = fdt_property(p(), n, v, len);
    }
    void cells(const char* n, std::initializer_list<uint32_t> v) {
        std::vector<fdt32_t> c;
        for (uint32_t x : v) c.push_back(cpu_to_fdt32(x));
        raw(n, c.data(), static_cast<int>(c.size() * 4));
    }
};

}  // namespace

// Layout: bit 0 TEE method (1 = HVC), bit 1 built by the toolstack,
// bits 8..15 TEE session quota, bits 16..31 TEE shared-memory page quota.
ToolData ToolData::decode(uint64_t v) {
    ToolData t;
    t.tee_method = (v & 1) ? TeeMethod::Hvc : TeeMethod::Smc;
    t.built_by_toolstack = v & 2;
    uint32_t sessions = (v >> 8) & 0xff;
    uint32_t pages = (v >> 16) & 0xffff;
    if (sessions) t.quotas.tee_sessions = sessions;
    if (pages) t.quotas.tee_shm_pages = pages;
    return t;
}

uint64_t ToolData::encode() const {
    return (tee_method == TeeMethod::Hvc ? 1u : 0u) | (built_by_toolstack ? 2u : 0u) |
           (uint64_t{quotas.tee_sessions & 0xff} << 8) |
           (uint64_t{quotas.tee_shm_pages & 0xffff} << 16);
}

Result<std::vector<uint8_t>> build_device_tree(const GuestConfig& cfg, uint64_t ram_base) {
    Fdt f(kDeviceTreeRoom);
    if (!f.err) f.err = fdt_finish_reservemap(f.p());
    f.begin("");
    f.u32("#address-cells", 2);
    f.u32("#size-cells", 2);
    f.str("compatible", "warden,guest");
    f.str("model", "Warden guest");

    std::string mem = "memory@" + [&] {
        char b[24];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(ram_base));
        return std::string(b);
    }();
    f.begin(mem.c_str());
    f.str("device_type", "memory");
    f.cells("reg", {static_cast<uint32_t>(ram_base >> 32), static_cast<uint32_t>(ram_base),
                    static_cast<uint32_t>(cfg.memory >> 32), static_cast<uint32_t>(cfg.memory)});
    f.end();

    f.begin("cpus");
    f.u32("#address-cells", 1);
    f.u32("#size-cells", 0);
    for (uint32_t i = 0; i < cfg.vcpus; ++i) {
        std::string n = "cpu@" + std::to_string(i);
        f.begin(n.c_str());
        f.str("device_type", "cpu");
        f.str("compatible", "arm,armv8");
        f.u32("reg", i);
        f.str("enable-method", "psci");
        f.end();
    }
    f.end();

    static const char kPsci[] = "arm,psci-1.0\0arm,psci-0.2";
    f.begin("psci");
    f.raw("compatible", kPsci, sizeof kPsci);
    f.str("method", "hvc");
    f.end();

    // The generic timer's PPIs (secure, non-secure, virtual, hypervisor), level.
    f.begin("timer");
    f.str("compatible", "arm,armv8-timer");
    f.cells("interrupts", {1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08, 1, 10, 0xf08});
    f.end();

    // The guest's console is the hypervisor's console hypercall.
    f.begin("hypervisor");
    f.str("compatible", "warden,hypervisor");
    f.str("console", "hypercall");
    f.end();

    if (cfg.tee == TeeType::Optee) {
        f.begin("firmware");
        f.begin("optee");
        f.str("compatible", "linaro,optee-tz");
        f.str("method", to_string(cfg.tee_method));
        f.end();
        f.end();
    }

    f.begin("chosen");
    f.str("bootargs", cfg.bootargs.c_str());
    f.end();
    f.end();
    if (!f.err) f.err = fdt_finish(f.p());
    if (f.err) {
        return Error(ErrorKind::Internal, std::string("device tree: ") + fdt_strerror(f.err));
    }
    f.buf.resize(fdt_totalsize(f.p()));
    return f.buf;
}

Status GuestBuilder::rewrite_device_tree(uint16_t domid, const GuestConfig& cfg) {
    auto dt = build_device_tree(cfg, kGuestRamBase);
    if (!dt) return dt.error();
    if (auto s = hv_.load(domid, kGuestRamBase + cfg.memory - kDeviceTreeRoom, *dt); !s) return s;
    ToolData td;
    td.tee_method = cfg.tee_method;
    td.built_by_toolstack = true;
    td.quotas = cfg.quotas;
    return hv_.set_tool_data(domid, td.encode());
}

Result<uint16_t> GuestBuilder::build(const GuestConfig& cfg, std::span<const uint8_t> kernel,
                                     bool start) {
    if (auto s = validate_guest_config(cfg); !s) return step_error(BuildStep::Validate, s.error());
    auto layout = image_layout(kernel);
    if (!layout) return step_error(BuildStep::Validate, layout.error());
    if (layout->text_offset + layout->size + kDeviceTreeRoom > cfg.memory) {
        return step_error(
            BuildStep::Validate,
            invalid_field("memory", std::to_string(cfg.memory >> 20) + " MiB cannot hold the " +
                                        std::to_string(layout->size) +
                                        "-byte kernel and the device tree"));
    }
    auto dt = build_device_tree(cfg, kGuestRamBase);
    if (!dt) return step_error(BuildStep::Validate, dt.error());

    ToolData td;
    td.tee_method = cfg.tee_method;
    td.built_by_toolstack = true;
    td.quotas = cfg.quotas;
    auto id = hv_.create_domain({cfg.name, cfg.memory, cfg.vcpus, td.encode()});
    if (!id) return step_error(BuildStep::Create, id.error());
    uint16_t domid = *id;
    auto done = [&](BuildStep step) {
        if (after_step) after_step(step);
    };
    done(BuildStep::Create);

    auto fail = [&](BuildStep step, const Error& e) -> Result<uint16_t> {
        // Never leave a half-built guest: destroying it also releases its TEE
        // client ID. If even that fails, say so: the operator must know.
        Status undo = hv_.destroy(domid);
        Error err = step_error(step, e);
        if (!undo) err.suffix("; rollback failed too: " + undo.error().message());
        return err;
    };

    uint64_t entry = kGuestRamBase + layout->text_offset;
    if (auto s = hv_.load(domid, entry, kernel); !s) return fail(BuildStep::LoadKernel, s.error());
    done(BuildStep::LoadKernel);
    if (cfg.tee != TeeType::None) {
        if (auto s = hv_.tee_enable(domid, cfg.tee); !s) {
            return fail(BuildStep::EnableTee, s.error());
        }
        done(BuildStep::EnableTee);
    }
    uint64_t dt_ipa = kGuestRamBase + cfg.memory - kDeviceTreeRoom;
    if (auto s = hv_.load(domid, dt_ipa, *dt); !s) {
        return fail(BuildStep::LoadDeviceTree, s.error());
    }
    done(BuildStep::LoadDeviceTree);
    if (auto s = hv_.set_vcpu_entry(domid, 0, entry, dt_ipa); !s) {
        return fail(BuildStep::SetEntry, s.error());
    }
    done(BuildStep::SetEntry);
    if (start) {
        if (auto s = hv_.unpause(domid); !s) return fail(BuildStep::Unpause, s.error());
        done(BuildStep::Unpause);
    }
    return domid;
}

}  // namespace warden::toolstack
