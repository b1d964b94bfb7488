// SPDX-License-Identifier: Apache-2.0
// The virtio console (device ID 3) over virtio-mmio, as the relay's byte stream:
// port 0 only (no MULTIPORT), so receiveq is queue 0 and transmitq queue 1.
// Polled, since guests get no interrupts: received bytes are read straight out of
// the filled buffers in the order the device used them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "virtqueue.h"

namespace agent {

class VirtioConsole {
public:
    // QEMU fills at most 4 KiB per read of its chardev; 128 of them keep the
    // socket draining while the agent serves a request.
    static constexpr uint16_t kRxBuffers = 128;
    static constexpr uint32_t kRxBufferSize = 4096;
    static constexpr uint16_t kTxSlots = 4;

    struct Found {
        uint64_t base = 0;        // 0: no console
        unsigned transports = 0;  // virtio-mmio nodes seen
        unsigned legacy = 0;      // of which speak only the legacy interface
    };
    // The first virtio-mmio transport in the device tree whose device is a console.
    static Found find(const void* fdt);

    // Resets the device and brings it up. On failure returns false with a reason.
    bool start(uint64_t base, const char** why);
    // Resets the device: it lets go of every buffer.
    void stop();

    // Received bytes not consumed yet (the oldest filled buffer's rest), or none.
    const uint8_t* received(size_t* len) const;
    void consume(size_t n);
    // Collects buffers the device filled and gives consumed ones back. False when
    // the device broke the virtqueue rules (then stop() and start() again).
    bool poll();
    // Sends len bytes and waits until the device has taken them (up to a second).
    bool send(const void* data, size_t len);

    uint16_t rx_queue_size() const { return rx_.size(); }
    uint16_t tx_queue_size() const { return tx_.size(); }

private:
    void recycle(uint16_t id);

    virtio::Mmio mmio_;
    virtio::Virtqueue rx_;
    virtio::Virtqueue tx_;
    // Filled buffers in the order the device returned them: ids and byte counts.
    uint16_t filled_id_[kRxBuffers] = {};
    uint32_t filled_len_[kRxBuffers] = {};
    uint16_t filled_head_ = 0;
    uint16_t filled_count_ = 0;
    uint32_t head_offset_ = 0;  // bytes of the oldest filled buffer already consumed
    uint16_t next_tx_ = 0;
};

}  // namespace agent
