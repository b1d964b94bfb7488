// SPDX-License-Identifier: Apache-2.0
// How values read in wardenctl's output: enum values as lower-case words without
// their type prefix (GUEST_STATE_RUNNING -> "running"), sizes as the config file
// writes them ("64M"). Table and JSON output share these so they never disagree.
#pragma once

#include <cstdint>
#include <string>

#include "grpc/health/v1/health.pb.h"
#include "size.h"
#include "warden/v1/warden.pb.h"

namespace warden::cli {

std::string word(v1::GuestState v);
std::string word(v1::TeeType v);
std::string word(v1::TeeMethod v);
std::string word(v1::TeeState v);
std::string word(v1::Event::Kind v);
std::string word(grpc::health::v1::HealthCheckResponse::ServingStatus v);

// Largest unit that divides exactly: 67108864 -> "64M", 1536 -> "1536" (never "1.5K").
std::string format_size(uint64_t bytes);

// "64M", "1G", "512K" or a bare number of MiB: the toolstack's one parser.
using toolstack::parse_size;

}  // namespace warden::cli
