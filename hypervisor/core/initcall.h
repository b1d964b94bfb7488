// SPDX-License-Identifier: Apache-2.0
// Ordered init calls: subsystems register a function and a level in a linker
// section; boot runs them level by level, in link order within a level. The TEE
// framework's probe is one of them, so adding a subsystem never means editing the
// boot path.
#pragma once

#include <cstdint>

namespace warden {

enum class InitLevel : uint8_t {
    Arch = 0,      // interrupt controller, timers
    Platform = 1,  // firmware services, secure world
    Service = 2,   // subsystems built on the platform (TEE framework)
    Late = 3,
};
inline constexpr unsigned kInitLevels = 4;

struct InitCall {
    InitLevel level;
    const char* name;
    // 0 on success; a negative errno is logged and boot goes on.
    int (*fn)();
};

// Runs every registered init call in level order. Returns how many failed.
unsigned run_initcalls();

}  // namespace warden

// The explicit alignment keeps the compiler from padding entries (it may raise the
// alignment of larger objects), so the section stays a plain array.
#define WARDEN_INITCALL(level_, fn_)                                              \
    [[gnu::used, gnu::section("warden_initcalls"),                                \
      gnu::aligned(8)]] static const ::warden::InitCall warden_initcall_##fn_ = { \
        ::warden::InitLevel::level_, #fn_, fn_}
