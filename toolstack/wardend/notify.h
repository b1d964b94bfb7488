// SPDX-License-Identifier: Apache-2.0
// The systemd readiness protocol, through libsystemd's sd_notify: a datagram to
// $NOTIFY_SOCKET. Without that variable (not started by systemd) it does nothing.
#pragma once

#include <string>

namespace warden::wardend {

// Sends e.g. "READY=1\nSTATUS=serving". Returns false only when a socket was
// named and the message could not be sent.
bool notify_systemd(const std::string& state);

}  // namespace warden::wardend
