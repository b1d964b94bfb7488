// SPDX-License-Identifier: Apache-2.0
// Golden files live in cli/tests/golden and are compared byte for byte. After an
// intended output change, WARDEN_UPDATE_GOLDEN=1 rewrites them; review the diff.
#pragma once

#include <string>

namespace warden::cli::test {

std::string read_golden(const std::string& name);
// A gtest failure when `actual` differs from the file's text.
void expect_golden(const std::string& name, const std::string& actual);

}  // namespace warden::cli::test
