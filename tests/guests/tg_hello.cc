// SPDX-License-Identifier: Apache-2.0
// Prints a few lines, yielding between them, then powers off.
#include "guest/guest.h"

int guest_main() {
    char name[32] = "guest";
    guest::bootarg("name", name, sizeof name);
    for (int i = 0; i < 3; ++i) {
        guest::print("hello from %s (%d/3)", name, i + 1);
        guest::yield();
    }
    guest::print("hello: done");
    return 0;
}
