// SPDX-License-Identifier: Apache-2.0
// The one place where errors become API errors. An error is a reason
// (warden.v1.ErrorReason), a message for people and metadata a program can act
// on; the reason alone decides the gRPC code (status_code), and toolstack errors
// get their reason from their values alone (reason_for) -- never from a
// message's wording. The daemon logs exactly what it returns.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <variant>

#include "status.h"
#include "warden/v1/warden.pb.h"

namespace warden::wardend {

inline constexpr const char* kErrorDomain = "warden.dev";

struct ApiError {
    v1::ErrorReason reason = v1::INTERNAL;
    std::string message;
    std::map<std::string, std::string> metadata;
    std::string field;  // for INVALID_FIELD: the request field at fault

    grpc::StatusCode code() const;
    // The reason's wire name, e.g. "TEE_CLIENT_IDS_EXHAUSTED".
    const std::string& reason_name() const;

    // `guest`, when given, goes into the metadata.
    static ApiError make(v1::ErrorReason reason, std::string message,
                         const std::string& guest = "");
    static ApiError invalid(const std::string& field, const std::string& what);
    static ApiError not_found(const std::string& guest);
};

// Every reason's gRPC code: the one table.
grpc::StatusCode status_code(v1::ErrorReason reason);

// A toolstack error's reason, from its kind, errno and the domctl refused.
v1::ErrorReason reason_for(const toolstack::Error& e);

// What an operation was doing when a toolstack error happened: for the message
// and the metadata only.
struct ErrorContext {
    std::string operation;  // "enable TEE for \"web\""
    std::string guest;
};

ApiError api_error(const toolstack::Error& e, const ErrorContext& ctx);

// The gRPC status with a google.rpc.Status (ErrorInfo, and BadRequest for a
// field) in its details.
grpc::Status to_grpc(const ApiError& e);

template <typename T>
using ApiResult = std::variant<T, ApiError>;

}  // namespace warden::wardend
