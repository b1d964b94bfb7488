// SPDX-License-Identifier: Apache-2.0
#include "words.h"

#include <cctype>
#include <limits>
#include <string_view>

namespace warden::cli {
namespace {

// A value this build does not know (a newer daemon) still prints, as its number.
std::string strip(const std::string& name, std::string_view prefix, int value) {
    if (name.empty()) return std::to_string(value);
    std::string_view rest = name;
    if (rest.substr(0, prefix.size()) == prefix) rest.remove_prefix(prefix.size());
    std::string out(rest);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string word(v1::GuestState v) {
    return strip(v1::GuestState_Name(v), "GUEST_STATE_", v);
}
std::string word(v1::TeeType v) {
    return strip(v1::TeeType_Name(v), "TEE_TYPE_", v);
}
std::string word(v1::TeeMethod v) {
    return strip(v1::TeeMethod_Name(v), "TEE_METHOD_", v);
}
std::string word(v1::TeeState v) {
    return strip(v1::TeeState_Name(v), "TEE_STATE_", v);
}
std::string word(v1::Event::Kind v) {
    return strip(v1::Event::Kind_Name(v), "KIND_", v);
}
std::string word(grpc::health::v1::HealthCheckResponse::ServingStatus v) {
    return strip(grpc::health::v1::HealthCheckResponse::ServingStatus_Name(v), "", v);
}

std::string format_size(uint64_t bytes) {
    if (bytes == 0) return "0";
    if (bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + "G";
    if (bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + "M";
    if (bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + "K";
    return std::to_string(bytes);
}

}  // namespace warden::cli
