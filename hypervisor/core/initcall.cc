// SPDX-License-Identifier: Apache-2.0
#include "core/initcall.h"

#include "core/log.h"

// Weak: a host test binary without any init call has no such section.
extern "C" const warden::InitCall __start_warden_initcalls[] __attribute__((weak));
extern "C" const warden::InitCall __stop_warden_initcalls[] __attribute__((weak));

namespace warden {

unsigned run_initcalls() {
    unsigned failed = 0;
    for (unsigned level = 0; level < kInitLevels; ++level) {
        for (const InitCall* c = __start_warden_initcalls; c < __stop_warden_initcalls; ++c) {
            if (static_cast<unsigned>(c->level) != level) continue;
            int err = c->fn();
            if (err) {
                WARDEN_LOG_ERROR("init %s failed (%d)", c->name, err);
                ++failed;
            }
        }
    }
    return failed;
}

}  // namespace warden
