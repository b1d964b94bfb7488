// SPDX-License-Identifier: Apache-2.0
// Support the compiler and libfdt expect from a C/C++ runtime.
#include <cstddef>
#include <cstdint>

#include "core/arch.h"
#include "core/log.h"
#include "warden/platform.h"

extern "C" {

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766;  // replaced at entry

[[noreturn]] void __stack_chk_fail() {
    WARDEN_LOG_ERROR("stack corruption detected");
    warden::arch::platform_exit(warden::abi::platform::kExitHypervisorPanic);
}

[[noreturn]] void __cxa_pure_virtual() {
    WARDEN_LOG_ERROR("pure virtual call");
    warden::arch::platform_exit(warden::abi::platform::kExitHypervisorPanic);
}

}  // extern "C"

void operator delete(void*, size_t) noexcept {}
void operator delete(void*) noexcept {}
