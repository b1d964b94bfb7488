// SPDX-License-Identifier: Apache-2.0
// A failed call as wardenctl reports it: the gRPC status plus the rich details
// wardend attaches (google.rpc.Status in the grpc-status-details-bin trailer with
// an ErrorInfo and, for bad fields, a BadRequest).
#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <utility>
#include <vector>

#include "exit_code.h"

namespace warden::cli {

struct FieldViolation {
    std::string field;
    std::string description;
};

struct RpcError {
    grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
    std::string message;
    std::string reason;  // empty: no ErrorInfo (e.g. a transport failure)
    std::string domain;
    // `reason` as wardend's enum: ERROR_REASON_UNSPECIFIED when there is none,
    // it is another domain's, or this build does not know it.
    v1::ErrorReason known_reason = v1::ERROR_REASON_UNSPECIFIED;
    std::vector<std::pair<std::string, std::string>> metadata;  // sorted by key
    std::vector<FieldViolation> field_violations;

    ExitCode exit_code() const { return exit_code_for(code, known_reason); }
};

// wardend's ErrorInfo domain.
inline constexpr const char* kWardenErrorDomain = "warden.dev";

// Details that do not decode are ignored: the code and message still stand.
RpcError decode_error(const grpc::Status& status);

// What the caller was talking to, so that hints can name it.
struct ErrorContext {
    std::string socket;
    double timeout_seconds = 0;
};

// One line of advice for the errors people hit most; empty when there is none.
std::string hint_for(const RpcError& e, const ErrorContext& ctx);

// "error: ...", "reason: ...", metadata, field violations, "hint: ...".
std::string render_error_text(const RpcError& e, const ErrorContext& ctx);
// {"error": {...}} for -o json.
std::string render_error_json(const RpcError& e, const ErrorContext& ctx);

// Errors found before any call (usage, unreadable files) in the same two shapes.
std::string render_local_error_text(const std::string& message);
std::string render_local_error_json(const std::string& message, ExitCode code);

}  // namespace warden::cli
