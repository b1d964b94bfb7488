// SPDX-License-Identifier: Apache-2.0
#include "virtqueue.h"

#include <cstring>

namespace agent::virtio {
namespace {

// The device is another observer of memory (outer shareable, as DMA is): ring
// contents must be visible before the index that publishes them, and the index
// before the notification that asks the device to look. (The host build, for
// unit tests with a simulated device, only needs the compiler to keep order.)
#if defined(__aarch64__)
inline void dma_wmb() {
    asm volatile("dmb oshst" ::: "memory");
}
inline void dma_rmb() {
    asm volatile("dmb oshld" ::: "memory");
}
inline void dma_mb() {
    asm volatile("dmb osh" ::: "memory");
}
inline void io_wmb() {
    asm volatile("dsb st" ::: "memory");
}
#else
inline void dma_wmb() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void dma_rmb() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void dma_mb() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void io_wmb() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
#endif

template <typename T>
T read_shared(const void* p) {
    return *static_cast<volatile const T*>(p);
}
template <typename T>
void write_shared(void* p, T v) {
    *static_cast<volatile T*>(p) = v;
}

}  // namespace

bool Virtqueue::setup(const Mmio& mmio, uint32_t index, VirtqDesc* desc, uint16_t* avail,
                      uint8_t* used, uint16_t capacity) {
    mmio_ = mmio;
    index_ = index;
    mmio.write(reg::kQueueSel, index);
    if (mmio.read(reg::kQueueReady) != 0) return false;  // the device was not reset
    uint32_t max = mmio.read(reg::kQueueNumMax);
    uint32_t limit = capacity < kMaxSize ? capacity : kMaxSize;
    if (max < limit) limit = max;
    if (limit == 0) return false;
    uint16_t n = 1;
    while (static_cast<uint32_t>(n) * 2 <= limit) n = static_cast<uint16_t>(n * 2);
    size_ = n;
    desc_ = desc;
    avail_ = avail;
    used_ = used;
    std::memset(desc, 0, sizeof(VirtqDesc) * n);
    std::memset(avail, 0, sizeof(uint16_t) * (3 + n));
    std::memset(used, 0, 6 + 8 * static_cast<size_t>(n));
    // Polled: the device need not raise an interrupt for used buffers.
    avail_[0] = kAvailFlagNoInterrupt;
    avail_idx_ = last_used_ = in_flight_ = 0;
    unpublished_ = false;
    std::memset(device_owns_, 0, sizeof device_owns_);

    auto addr = [](const void* p) { return reinterpret_cast<uint64_t>(p); };
    dma_wmb();
    mmio.write(reg::kQueueNum, n);
    mmio.write(reg::kQueueDescLow, static_cast<uint32_t>(addr(desc)));
    mmio.write(reg::kQueueDescHigh, static_cast<uint32_t>(addr(desc) >> 32));
    mmio.write(reg::kQueueDriverLow, static_cast<uint32_t>(addr(avail)));
    mmio.write(reg::kQueueDriverHigh, static_cast<uint32_t>(addr(avail) >> 32));
    mmio.write(reg::kQueueDeviceLow, static_cast<uint32_t>(addr(used)));
    mmio.write(reg::kQueueDeviceHigh, static_cast<uint32_t>(addr(used) >> 32));
    mmio.write(reg::kQueueReady, 1);
    return mmio.read(reg::kQueueReady) == 1;
}

void Virtqueue::post(uint16_t id, uint64_t addr, uint32_t len, bool device_writes) {
    if (id >= size_ || device_owns_[id]) return;  // a caller bug; the device must not see it
    desc_[id] = VirtqDesc{addr, len, static_cast<uint16_t>(device_writes ? kDescFlagWrite : 0), 0};
    avail_[2 + (avail_idx_ & (size_ - 1))] = id;
    ++avail_idx_;
    device_owns_[id] = true;
    posted_len_[id] = len;
    ++in_flight_;
    unpublished_ = true;
}

void Virtqueue::publish() {
    if (!unpublished_) return;
    unpublished_ = false;
    dma_wmb();
    write_shared<uint16_t>(&avail_[1], avail_idx_);
    // The device may stop polling between our index update and its flags read:
    // order the two so that a needed notification is never skipped.
    dma_mb();
    if (read_shared<uint16_t>(used_) & kUsedFlagNoNotify) return;
    io_wmb();
    mmio_.write(reg::kQueueNotify, index_);
}

Virtqueue::Used Virtqueue::take(uint16_t* id, uint32_t* len) {
    uint16_t used_idx = read_shared<uint16_t>(used_ + 2);
    if (used_idx == last_used_) return Used::None;
    if (static_cast<uint16_t>(used_idx - last_used_) > in_flight_) return Used::Broken;
    // The entry was written before the index: read it only after the index.
    dma_rmb();
    const uint8_t* elem = used_ + 4 + 8 * static_cast<size_t>(last_used_ & (size_ - 1));
    uint32_t eid = read_shared<uint32_t>(elem);
    uint32_t elen = read_shared<uint32_t>(elem + 4);
    if (eid >= size_ || !device_owns_[eid] || elen > posted_len_[eid]) return Used::Broken;
    device_owns_[eid] = false;
    --in_flight_;
    ++last_used_;
    *id = static_cast<uint16_t>(eid);
    *len = elen;
    return Used::Taken;
}

}  // namespace agent::virtio
