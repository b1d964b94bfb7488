// SPDX-License-Identifier: Apache-2.0
#include "golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace warden::cli::test {

namespace {
std::string path_of(const std::string& name) {
    return std::string(WARDEN_CLI_GOLDEN_DIR) + "/" + name;
}
}  // namespace

std::string read_golden(const std::string& name) {
    std::ifstream in(path_of(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_golden(const std::string& name, const std::string& actual) {
    const char* update = std::getenv("WARDEN_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
        std::ofstream(path_of(name), std::ios::binary) << actual;
        return;
    }
    std::ifstream probe(path_of(name));
    ASSERT_TRUE(probe.good()) << "missing golden file " << path_of(name);
    EXPECT_EQ(read_golden(name), actual) << "golden file " << name;
}

}  // namespace warden::cli::test
