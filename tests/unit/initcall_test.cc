// SPDX-License-Identifier: Apache-2.0
#include "core/initcall.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_machine.h"

namespace {

std::string g_order;

int late_call() {
    g_order += "late;";
    return 0;
}
int arch_call() {
    g_order += "arch;";
    return 0;
}
int failing_service_call() {
    g_order += "service;";
    return -19;
}

WARDEN_INITCALL(Late, late_call);
WARDEN_INITCALL(Arch, arch_call);
WARDEN_INITCALL(Service, failing_service_call);

TEST(InitCalls, RunInLevelOrderAndReportFailures) {
    warden::test::FakeMachine machine{1024 * 1024};
    g_order.clear();
    EXPECT_EQ(warden::run_initcalls(), 1u);
    EXPECT_EQ(g_order, "arch;service;late;");
    EXPECT_NE(machine.console.find("init failing_service_call failed (-19)"), std::string::npos)
        << machine.console;
}

}  // namespace
