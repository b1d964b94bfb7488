// SPDX-License-Identifier: Apache-2.0
// Exit codes are part of wardenctl's interface: scripts branch on them, so each
// one names a kind of outcome a caller can act on, and they never change meaning.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <string_view>

#include "warden/v1/warden.pb.h"

namespace warden::cli {

enum class ExitCode : int {
    kOk = 0,
    kInternal = 1,          // INTERNAL, UNKNOWN, anything unexpected
    kUsage = 2,             // bad command line
    kNotFound = 3,          // NOT_FOUND
    kConflict = 4,          // ALREADY_EXISTS, ABORTED, TEE_SETTINGS_CONFLICT
    kPrecondition = 5,      // FAILED_PRECONDITION (other reasons)
    kExhausted = 6,         // RESOURCE_EXHAUSTED, e.g. TEE client IDs
    kUnavailable = 7,       // UNAVAILABLE, DEADLINE_EXCEEDED: daemon or platform down
    kInvalidArgument = 8,   // INVALID_ARGUMENT, OUT_OF_RANGE
    kPermissionDenied = 9,  // PERMISSION_DENIED, UNAUTHENTICATED
};

// The reason (google.rpc.ErrorInfo, as warden.v1.ErrorReason) is consulted
// first: a few reasons mean the same thing to a caller whatever code the daemon
// paired them with. A reason this build does not know leaves the code in charge.
ExitCode exit_code_for(grpc::StatusCode code,
                       v1::ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED);

// "NOT_FOUND", as every gRPC implementation spells it.
std::string_view status_code_name(grpc::StatusCode code);

// For --help and the README: one line per exit code.
std::string_view exit_code_table();

}  // namespace warden::cli
