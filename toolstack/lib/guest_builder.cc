// SPDX-License-Identifier: Apache-2.0
#include "guest_builder.h"

#include <cstring>

#include "dt/guest_dt.h"

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
            uint64_t flags;
            std::memcpy(&flags, k.data() + 24, 8);
            if (l.text_offset >= (1ull << 30) || image_size >= (1ull << 32)) {
                return invalid_field("kernel", "implausible arm64 Image header");
            }
            if (flags & 1) {
                return invalid_field("kernel",
                                     "a big-endian arm64 Image: guests start little-endian");
            }
            if (image_size > l.size) l.size = image_size;
        }
    }
    return l;
}

Error step_error(BuildStep step, Error e) {
    return std::move(e.in_step(step));
}

}  // namespace

// Layout: bit 0 TEE method (1 = HVC), bit 1 built by the toolstack,
// bits 8..15 TEE session quota, bits 16..31 TEE shared-memory page quota,
// bits 32..63 the initrd's size in bytes.
ToolData ToolData::decode(uint64_t v) {
    ToolData t;
    t.tee_method = (v & 1) ? TeeMethod::Hvc : TeeMethod::Smc;
    t.built_by_toolstack = v & 2;
    uint32_t sessions = (v >> 8) & 0xff;
    uint32_t pages = (v >> 16) & 0xffff;
    if (sessions) t.quotas.tee_sessions = sessions;
    if (pages) t.quotas.tee_shm_pages = pages;
    t.initrd_size = static_cast<uint32_t>(v >> 32);
    return t;
}

uint64_t ToolData::encode() const {
    return (tee_method == TeeMethod::Hvc ? 1u : 0u) | (built_by_toolstack ? 2u : 0u) |
           (uint64_t{quotas.tee_sessions & 0xff} << 8) |
           (uint64_t{quotas.tee_shm_pages & 0xffff} << 16) | (uint64_t{initrd_size} << 32);
}

uint64_t initrd_address(uint64_t memory, uint64_t size) {
    const uint64_t top = kGuestRamBase + memory - kDeviceTreeRoom;
    return size > top - kGuestRamBase ? kGuestRamBase : (top - size) & ~uint64_t{0xfff};
}

Result<std::vector<uint8_t>> build_device_tree(const GuestConfig& cfg, uint64_t ram_base,
                                               uint64_t initrd_size) {
    // The hypervisor's own builder (runtime/dt): every guest gets the same tree.
    std::vector<uint8_t> buf(kDeviceTreeRoom);
    GuestDtConfig dt;
    dt.ram_base = ram_base;
    dt.ram_size = cfg.memory;
    dt.vcpus = cfg.vcpus;
    dt.bootargs = cfg.bootargs.c_str();
    if (cfg.tee == TeeType::Optee) dt.optee_method = to_string(cfg.tee_method);
    if (initrd_size) {
        dt.initrd_start = initrd_address(cfg.memory, initrd_size);
        dt.initrd_end = dt.initrd_start + initrd_size;
    }
    int len = build_guest_dt(buf.data(), buf.size(), dt);
    if (len < 0) {
        return Error(ErrorKind::Internal,
                     "device tree: " + errno_name(-len) + " from the guest device tree builder");
    }
    buf.resize(static_cast<size_t>(len));
    return buf;
}

Status GuestBuilder::rewrite_device_tree(uint16_t domid, const GuestConfig& cfg) {
    // The initrd stays where it was loaded: its size is in the tool data.
    auto info = hv_.get_info(domid);
    if (!info) return info.error();
    auto dt = build_device_tree(cfg, kGuestRamBase, ToolData::decode(info->tool_data).initrd_size);
    if (!dt) return dt.error();
    if (auto s = hv_.load(domid, kGuestRamBase + cfg.memory - kDeviceTreeRoom, *dt); !s) return s;
    return record_tool_data(domid, cfg);
}

Status GuestBuilder::record_tool_data(uint16_t domid, const GuestConfig& cfg) {
    auto info = hv_.get_info(domid);
    if (!info) return info.error();
    ToolData td;
    td.initrd_size = ToolData::decode(info->tool_data).initrd_size;
    td.tee_method = cfg.tee_method;
    td.built_by_toolstack = true;
    td.quotas = cfg.quotas;
    return hv_.set_tool_data(domid, td.encode());
}

Result<uint16_t> GuestBuilder::build(const GuestConfig& cfg, std::span<const uint8_t> kernel,
                                     std::span<const uint8_t> initrd, bool start) {
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
    const uint64_t initrd_at = initrd_address(cfg.memory, initrd.size());
    if (initrd.size() > UINT32_MAX ||
        (!initrd.empty() && initrd_at < kGuestRamBase + layout->text_offset + layout->size)) {
        return step_error(
            BuildStep::Validate,
            invalid_field("memory", std::to_string(cfg.memory >> 20) + " MiB cannot hold the " +
                                        std::to_string(layout->size) + "-byte kernel, the " +
                                        std::to_string(initrd.size()) +
                                        "-byte initrd and the device tree"));
    }
    auto dt = build_device_tree(cfg, kGuestRamBase, initrd.size());
    if (!dt) return step_error(BuildStep::Validate, dt.error());

    ToolData td;
    td.tee_method = cfg.tee_method;
    td.built_by_toolstack = true;
    td.quotas = cfg.quotas;
    td.initrd_size = static_cast<uint32_t>(initrd.size());
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
    if (!initrd.empty()) {
        if (auto s = hv_.load(domid, initrd_at, initrd); !s) {
            return fail(BuildStep::LoadKernel, s.error());
        }
    }
    done(BuildStep::LoadKernel);
    if (cfg.tee != TeeType::None) {
        if (auto s = hv_.tee_enable(domid, cfg.tee, cfg.quotas.tee()); !s) {
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
