// SPDX-License-Identifier: Apache-2.0
#include "notify.h"

#include <systemd/sd-daemon.h>

namespace warden::wardend {

bool notify_systemd(const std::string& state) {
    // 0: no $NOTIFY_SOCKET (not started by systemd), nothing to do; < 0: failed.
    return sd_notify(0, state.c_str()) >= 0;
}

}  // namespace warden::wardend
