// SPDX-License-Identifier: Apache-2.0
#include "exit_code.h"

namespace warden::cli {

using grpc::StatusCode;

ExitCode exit_code_for(StatusCode code, v1::ErrorReason reason) {
    switch (reason) {
    case v1::TEE_SETTINGS_CONFLICT:
        return ExitCode::kConflict;
    case v1::TEE_CLIENT_IDS_EXHAUSTED:
        return ExitCode::kExhausted;
    case v1::GUEST_NOT_FOUND:
        return ExitCode::kNotFound;
    case v1::PLATFORM_UNAVAILABLE:
        return ExitCode::kUnavailable;
    default:
        break;
    }
    switch (code) {
    case StatusCode::OK:
        return ExitCode::kOk;
    case StatusCode::NOT_FOUND:
        return ExitCode::kNotFound;
    case StatusCode::ALREADY_EXISTS:
    case StatusCode::ABORTED:
        return ExitCode::kConflict;
    case StatusCode::FAILED_PRECONDITION:
        return ExitCode::kPrecondition;
    // Exit 6 means the TEE has no room (the reason above) and nothing else: a
    // message too large or a server out of resources is "try later / differently".
    case StatusCode::RESOURCE_EXHAUSTED:
    case StatusCode::UNAVAILABLE:
    case StatusCode::DEADLINE_EXCEEDED:
        return ExitCode::kUnavailable;
    case StatusCode::INVALID_ARGUMENT:
    case StatusCode::OUT_OF_RANGE:
        return ExitCode::kInvalidArgument;
    case StatusCode::PERMISSION_DENIED:
    case StatusCode::UNAUTHENTICATED:
        return ExitCode::kPermissionDenied;
    case StatusCode::CANCELLED:
    case StatusCode::UNKNOWN:
    case StatusCode::UNIMPLEMENTED:
    case StatusCode::INTERNAL:
    case StatusCode::DATA_LOSS:
    default:
        return ExitCode::kInternal;
    }
}

std::string_view status_code_name(StatusCode code) {
    switch (code) {
    case StatusCode::OK:
        return "OK";
    case StatusCode::CANCELLED:
        return "CANCELLED";
    case StatusCode::UNKNOWN:
        return "UNKNOWN";
    case StatusCode::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case StatusCode::DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
    case StatusCode::NOT_FOUND:
        return "NOT_FOUND";
    case StatusCode::ALREADY_EXISTS:
        return "ALREADY_EXISTS";
    case StatusCode::PERMISSION_DENIED:
        return "PERMISSION_DENIED";
    case StatusCode::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
    case StatusCode::FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
    case StatusCode::ABORTED:
        return "ABORTED";
    case StatusCode::OUT_OF_RANGE:
        return "OUT_OF_RANGE";
    case StatusCode::UNIMPLEMENTED:
        return "UNIMPLEMENTED";
    case StatusCode::INTERNAL:
        return "INTERNAL";
    case StatusCode::UNAVAILABLE:
        return "UNAVAILABLE";
    case StatusCode::DATA_LOSS:
        return "DATA_LOSS";
    case StatusCode::UNAUTHENTICATED:
        return "UNAUTHENTICATED";
    default:
        return "UNKNOWN";
    }
}

std::string_view exit_code_table() {
    return "Exit codes:\n"
           "  0  success\n"
           "  1  internal or unknown error (INTERNAL, UNKNOWN, UNIMPLEMENTED, DATA_LOSS, "
           "CANCELLED)\n"
           "  2  usage error: bad command line, unreadable config file\n"
           "  3  not found (NOT_FOUND)\n"
           "  4  already exists or conflicting settings (ALREADY_EXISTS, ABORTED,\n"
           "     TEE_SETTINGS_CONFLICT)\n"
           "  5  failed precondition (FAILED_PRECONDITION, other reasons), e.g. no TEE,\n"
           "     guest already started\n"
           "  6  resource exhausted (RESOURCE_EXHAUSTED), e.g. TEE client IDs exhausted\n"
           "  7  unavailable: cannot connect, daemon or platform down, timed out\n"
           "     (UNAVAILABLE, DEADLINE_EXCEEDED)\n"
           "  8  invalid argument (INVALID_ARGUMENT, OUT_OF_RANGE)\n"
           "  9  permission denied (PERMISSION_DENIED, UNAUTHENTICATED)\n";
}

}  // namespace warden::cli
