// SPDX-License-Identifier: Apache-2.0
// Powers itself off through virtual PSCI right away: only this domain stops.
#include "guest/guest.h"
#include "warden/psci.h"

int guest_main() {
    namespace psci = warden::abi::psci;
    auto r = guest::hvc({{psci::kVersion, 0, 0, 0, 0, 0, 0, 0}});
    GUEST_CHECK(r.x[0] == psci::kVersion1_1);
    r = guest::hvc({{psci::kFeatures, psci::kSystemOff, 0, 0, 0, 0, 0, 0}});
    GUEST_CHECK(r.x[0] == 0);
    guest::print("psci_off: calling SYSTEM_OFF");
    return 0;  // the runtime powers off through PSCI SYSTEM_OFF
}
