// SPDX-License-Identifier: Apache-2.0
// Edits of QEMU's device tree that stand in for what real firmware does to it, so
// the hypervisor's handling of them is tested: TF-A with OP-TEE adds OP-TEE's
// memory to /reserved-memory.
#pragma once

#include <cstdint>

namespace warden::fw::dt_edit {

// What TF-A + OP-TEE (QEMU port) put in the tree: /reserved-memory with
// optee_core@e100000 (secure RAM) and optee_shm@42000000 (2 MiB of non-secure RAM,
// no-map), plus one /memreserve/ entry (kMemreserveBase, 1 MiB). `room` is how many
// bytes the tree may grow to in place. False (after logging) if it cannot.
inline constexpr uint64_t kOpteeShmBase = 0x42000000;
inline constexpr uint64_t kOpteeShmSize = 0x200000;
inline constexpr uint64_t kMemreserveBase = 0x43000000;
inline constexpr uint64_t kMemreserveSize = 0x100000;
bool add_optee_reservations(uint64_t dtb, uint32_t room);

}  // namespace warden::fw::dt_edit
