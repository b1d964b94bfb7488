// SPDX-License-Identifier: Apache-2.0
// `wardenctl completion bash`: a static script, so that completing never needs a
// running daemon (guest names are the one exception, asked for when typed).
#pragma once

#include <string_view>

namespace warden::cli {

std::string_view bash_completion();

}  // namespace warden::cli
