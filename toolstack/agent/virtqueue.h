// SPDX-License-Identifier: Apache-2.0
// A split virtqueue driven by polling, one descriptor per buffer: descriptor i
// always describes buffer i, so a used entry names the buffer directly. Whatever
// the device writes into the used ring is checked before it is believed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "virtio_mmio.h"

namespace agent::virtio {

// The transport's registers (device memory, mapped 1:1 by the hypervisor).
class Mmio {
public:
    explicit Mmio(uint64_t base = 0) : base_(base) {}
    uint64_t base() const { return base_; }
    uint32_t read(uint32_t off) const {
        return *reinterpret_cast<volatile const uint32_t*>(base_ + off);
    }
    void write(uint32_t off, uint32_t v) const {
        *reinterpret_cast<volatile uint32_t*>(base_ + off) = v;
    }

private:
    uint64_t base_;
};

// Ring memory for a queue of up to kMax entries, in the agent's RAM (the device
// reads and writes it by its physical address, which is the agent's address).
template <uint16_t kMax>
struct QueueMemory {
    static_assert(kMax && (kMax & (kMax - 1)) == 0, "split virtqueue sizes are powers of two");
    alignas(16) VirtqDesc desc[kMax];
    alignas(2) uint16_t avail[3 + kMax];    // flags, idx, ring[], used_event
    alignas(4) uint8_t used[6 + 8 * kMax];  // flags, idx, ring[] {id, len}, avail_event
};

class Virtqueue {
public:
    enum class Used { None, Taken, Broken };

    // Sets up queue `index` with the largest power-of-two size that both the
    // device and the memory allow. False if the device offers no such queue.
    template <uint16_t kMax>
    bool setup(const Mmio& mmio, uint32_t index, QueueMemory<kMax>& mem) {
        return setup(mmio, index, mem.desc, mem.avail, mem.used, kMax);
    }

    uint16_t size() const { return size_; }
    uint16_t in_flight() const { return in_flight_; }
    bool owned_by_device(uint16_t id) const { return id < size_ && device_owns_[id]; }

    // Hands buffer `id` to the device; visible to it after publish().
    void post(uint16_t id, uint64_t addr, uint32_t len, bool device_writes);
    // Makes posted buffers visible and notifies the device (unless it said it polls).
    void publish();
    // The next buffer the device has finished with. Broken when the device wrote
    // something impossible: more used entries than buffers it holds, an id it
    // does not hold, or a length beyond the buffer.
    Used take(uint16_t* id, uint32_t* len);

private:
    static constexpr uint16_t kMaxSize = 256;

    bool setup(const Mmio& mmio, uint32_t index, VirtqDesc* desc, uint16_t* avail, uint8_t* used,
               uint16_t capacity);

    Mmio mmio_;
    uint32_t index_ = 0;
    uint16_t size_ = 0;
    VirtqDesc* desc_ = nullptr;
    uint16_t* avail_ = nullptr;
    uint8_t* used_ = nullptr;
    uint16_t avail_idx_ = 0;  // ours: the device only reads it
    uint16_t last_used_ = 0;  // used entries consumed so far
    uint16_t in_flight_ = 0;
    bool unpublished_ = false;
    bool device_owns_[kMaxSize] = {};
    uint32_t posted_len_[kMaxSize] = {};
};

}  // namespace agent::virtio
