// The one place where toolstack and hypervisor errors become API errors: a gRPC
// code, a stable UPPER_SNAKE reason, metadata a program can act on, and a
// message for people. The daemon logs exactly what it returns.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <variant>

#include "status.h"

namespace warden::wardend {

inline constexpr const char* kErrorDomain = "warden.dev";

struct ApiError {
    grpc::StatusCode code = grpc::StatusCode::INTERNAL;
    std::string reason;  // e.g. TEE_CLIENT_IDS_EXHAUSTED
    std::string message;
    std::map<std::string, std::string> metadata;
    std::string field;  // for INVALID_ARGUMENT: the request field at fault

    static ApiError invalid(const std::string& field, const std::string& what);
    static ApiError not_found(const std::string& guest);
};

// What an operation was doing when a toolstack error happened, for the message
// and the metadata.
struct ErrorContext {
    std::string operation;  // "enable TEE"
    std::string guest;
};

ApiError api_error(const toolstack::Error& e, const ErrorContext& ctx);

// The gRPC status with a google.rpc.Status (ErrorInfo, and BadRequest for a
// field) in its details.
grpc::Status to_grpc(const ApiError& e);

template <typename T>
using ApiResult = std::variant<T, ApiError>;

}  // namespace warden::wardend
