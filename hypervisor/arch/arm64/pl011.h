// SPDX-License-Identifier: Apache-2.0
// Polled PL011 UART output.
#pragma once

#include <cstddef>
#include <cstdint>

namespace warden::arm64 {

void pl011_init(uint64_t base);
void pl011_write(const char* s, size_t n);

}  // namespace warden::arm64
