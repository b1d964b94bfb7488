// SPDX-License-Identifier: Apache-2.0
// What each command prints on success. Every function takes the daemon's answer
// and returns the text to write, so tests compare it with golden files.
//
// JSON keys are the API's field names (lower_snake), every field is always
// present (scripts need not guess defaults), enum values are words ("running").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grpc/health/v1/health.pb.h"
#include "table.h"
#include "warden/v1/warden.pb.h"

namespace warden::cli {

enum class Format { kTable, kJson };

using Json = nlohmann::ordered_json;

Json to_json(const v1::Quotas& q);
Json to_json(const v1::GuestTee& t);
Json to_json(const v1::Guest& g);  // "tee": null when the daemon sent none
Json to_json(const v1::TeeCapabilities& c);
Json to_json(const v1::Event& e);  // "guest": null for snapshot_done

std::string render_guest(const v1::Guest& g, Format f);
std::string render_guests(const v1::ListGuestsResponse& list, Format f);
// --validate-only: what would be created; nothing was.
std::string render_validated(const v1::Guest& g, Format f);
std::string render_destroyed(const std::string& name, bool existed, Format f);
std::string render_guest_tee(const v1::GuestTee& t, Format f);
std::string render_capabilities(const v1::TeeCapabilities& c, Format f);
std::string render_health(grpc::health::v1::HealthCheckResponse::ServingStatus s, Format f);

// `tee watch`: the snapshot is held back until it is complete so that it prints
// as one aligned table; each change after it is one row in the same columns (a
// JSON object per line with -o json).
class EventPrinter {
public:
    explicit EventPrinter(Format f) : format_(f) {}

    // Text to write now (possibly nothing).
    std::string on_event(const v1::Event& e);
    // Whatever is still held back when the stream ends early.
    std::string finish();

private:
    std::string flush_snapshot();

    Format format_;
    bool received_ = false;
    bool snapshot_done_ = false;
    std::vector<Row> snapshot_;
    std::vector<size_t> widths_;
};

}  // namespace warden::cli
