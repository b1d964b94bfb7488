// SPDX-License-Identifier: Apache-2.0
#include "virtio_console.h"

#include "clock.h"
#include "guest/guest.h"

extern "C" {
#include <libfdt.h>
}

namespace agent {
namespace {

using namespace virtio;

alignas(4096) virtio::QueueMemory<VirtioConsole::kRxBuffers> g_rx_mem;
alignas(4096) virtio::QueueMemory<VirtioConsole::kTxSlots> g_tx_mem;
alignas(4096) uint8_t g_rx_buf[VirtioConsole::kRxBuffers][VirtioConsole::kRxBufferSize];

constexpr uint64_t kSendTimeoutMs = 1000;

uint64_t read_cells(const fdt32_t* p, int cells) {
    uint64_t v = 0;
    for (int i = 0; i < cells; ++i) v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

uint64_t node_base(const void* fdt, int node) {
    int parent = fdt_parent_offset(fdt, node);
    int ac = parent >= 0 ? fdt_address_cells(fdt, parent) : 2;
    int sc = parent >= 0 ? fdt_size_cells(fdt, parent) : 2;
    if (ac < 1 || ac > 2 || sc < 0 || sc > 2) return 0;
    int len = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, "reg", &len));
    if (!reg || len < static_cast<int>(sizeof(fdt32_t)) * (ac + sc)) return 0;
    return read_cells(reg, ac);
}

}  // namespace

VirtioConsole::Found VirtioConsole::find(const void* fdt) {
    Found f;
    if (!fdt) return f;
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        uint64_t base = node_base(fdt, node);
        if (!base) continue;
        Mmio m(base);
        if (m.read(reg::kMagic) != kMagicValue) continue;
        ++f.transports;
        if (m.read(reg::kDeviceId) != kDeviceConsole) continue;  // 0: an empty slot
        if (m.read(reg::kVersion) != kModernVersion) {
            ++f.legacy;
            continue;
        }
        f.base = base;
        return f;
    }
    return f;
}

bool VirtioConsole::start(uint64_t base, const char** why) {
    mmio_ = Mmio(base);
    filled_head_ = filled_count_ = 0;
    head_offset_ = 0;
    next_tx_ = 0;
    auto fail = [&](const char* reason) {
        mmio_.write(reg::kStatus, status::kFailed);
        *why = reason;
        return false;
    };
    if (mmio_.read(reg::kMagic) != kMagicValue || mmio_.read(reg::kVersion) != kModernVersion ||
        mmio_.read(reg::kDeviceId) != kDeviceConsole) {
        *why = "not a modern virtio-mmio console";
        return false;
    }
    stop();
    uint32_t st = status::kAcknowledge;
    mmio_.write(reg::kStatus, st);
    st |= status::kDriver;
    mmio_.write(reg::kStatus, st);

    mmio_.write(reg::kDeviceFeaturesSel, kFeatureWordVersion1);
    if (!(mmio_.read(reg::kDeviceFeatures) & kFeatureVersion1Bit)) {
        return fail("device does not offer VIRTIO_F_VERSION_1");
    }
    // Nothing else is accepted: no MULTIPORT, so port 0 is the only port.
    mmio_.write(reg::kDriverFeaturesSel, 0);
    mmio_.write(reg::kDriverFeatures, 0);
    mmio_.write(reg::kDriverFeaturesSel, kFeatureWordVersion1);
    mmio_.write(reg::kDriverFeatures, kFeatureVersion1Bit);
    st |= status::kFeaturesOk;
    mmio_.write(reg::kStatus, st);
    if (!(mmio_.read(reg::kStatus) & status::kFeaturesOk)) {
        return fail("device refused the features");
    }

    if (!rx_.setup(mmio_, 0, g_rx_mem)) return fail("no receive queue");
    if (!tx_.setup(mmio_, 1, g_tx_mem)) return fail("no transmit queue");
    for (uint16_t id = 0; id < rx_.size(); ++id) recycle(id);

    st |= status::kDriverOk;
    mmio_.write(reg::kStatus, st);
    // Buffers may be announced only once the device is live.
    rx_.publish();
    return true;
}

void VirtioConsole::stop() {
    mmio_.write(reg::kStatus, 0);
    // The reset is complete when the device reads back 0; QEMU's is immediate,
    // the bound keeps a stuck device from hanging the agent.
    for (int i = 0; i < 1000 && mmio_.read(reg::kStatus) != 0; ++i) guest::yield();
}

void VirtioConsole::recycle(uint16_t id) {
    rx_.post(id, reinterpret_cast<uint64_t>(g_rx_buf[id]), kRxBufferSize, true);
}

const uint8_t* VirtioConsole::received(size_t* len) const {
    if (filled_count_ == 0) {
        *len = 0;
        return nullptr;
    }
    uint16_t id = filled_id_[filled_head_];
    *len = filled_len_[filled_head_] - head_offset_;
    return g_rx_buf[id] + head_offset_;
}

void VirtioConsole::consume(size_t n) {
    if (filled_count_ == 0) return;
    head_offset_ += static_cast<uint32_t>(n);
    if (head_offset_ < filled_len_[filled_head_]) return;
    recycle(filled_id_[filled_head_]);
    filled_head_ = static_cast<uint16_t>((filled_head_ + 1) % kRxBuffers);
    --filled_count_;
    head_offset_ = 0;
}

bool VirtioConsole::poll() {
    for (;;) {
        uint16_t id;
        uint32_t len;
        Virtqueue::Used r = rx_.take(&id, &len);
        if (r == Virtqueue::Used::None) break;
        if (r == Virtqueue::Used::Broken) return false;
        if (len == 0) {
            recycle(id);
            continue;
        }
        // take() only returns buffers the device held, so this never overflows.
        filled_id_[(filled_head_ + filled_count_) % kRxBuffers] = id;
        filled_len_[(filled_head_ + filled_count_) % kRxBuffers] = len;
        ++filled_count_;
    }
    rx_.publish();
    return true;
}

bool VirtioConsole::send(const void* data, size_t len) {
    if (len == 0) return true;
    if (len > UINT32_MAX) return false;
    uint16_t id = next_tx_;
    next_tx_ = static_cast<uint16_t>((next_tx_ + 1) % tx_.size());
    if (tx_.owned_by_device(id)) return false;
    tx_.post(id, reinterpret_cast<uint64_t>(data), static_cast<uint32_t>(len), false);
    tx_.publish();
    uint64_t deadline = now_ms() + kSendTimeoutMs;
    for (;;) {
        uint16_t used_id;
        uint32_t used_len;
        Virtqueue::Used r = tx_.take(&used_id, &used_len);
        if (r == Virtqueue::Used::Broken) return false;
        if (r == Virtqueue::Used::Taken) {
            if (used_id == id) return true;
            continue;
        }
        if (now_ms() > deadline) return false;
        guest::yield();
    }
}

}  // namespace agent
