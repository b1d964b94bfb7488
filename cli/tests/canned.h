// SPDX-License-Identifier: Apache-2.0
// The guests, TEE and events the golden files and the fake daemon share, so that
// an end-to-end run must print exactly what the rendering tests pin down.
#pragma once

#include <vector>

#include "warden/v1/warden.pb.h"

namespace warden::cli::test {

// web-1 (running, OP-TEE over SMC), db (created, no TEE), old (shut down).
std::vector<v1::Guest> canned_guests();
v1::TeeCapabilities canned_capabilities();
// The snapshot of canned_guests(), its end, then a TEE change and a removal.
std::vector<v1::Event> canned_events();

}  // namespace warden::cli::test
