// SPDX-License-Identifier: Apache-2.0
#include "exit_code.h"

#include <gtest/gtest.h>

#include <string>

namespace warden::cli {
namespace {

using grpc::StatusCode;

struct Case {
    StatusCode code;
    ExitCode exit;
};

TEST(ExitCode, EveryGrpcCode) {
    const Case cases[] = {
        {StatusCode::OK, ExitCode::kOk},
        {StatusCode::CANCELLED, ExitCode::kInternal},
        {StatusCode::UNKNOWN, ExitCode::kInternal},
        {StatusCode::INVALID_ARGUMENT, ExitCode::kInvalidArgument},
        {StatusCode::DEADLINE_EXCEEDED, ExitCode::kUnavailable},
        {StatusCode::NOT_FOUND, ExitCode::kNotFound},
        {StatusCode::ALREADY_EXISTS, ExitCode::kConflict},
        {StatusCode::PERMISSION_DENIED, ExitCode::kPermissionDenied},
        {StatusCode::RESOURCE_EXHAUSTED, ExitCode::kUnavailable},  // 6 only for the TEE reason
        {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition},
        {StatusCode::ABORTED, ExitCode::kConflict},
        {StatusCode::OUT_OF_RANGE, ExitCode::kInvalidArgument},
        {StatusCode::UNIMPLEMENTED, ExitCode::kInternal},
        {StatusCode::INTERNAL, ExitCode::kInternal},
        {StatusCode::UNAVAILABLE, ExitCode::kUnavailable},
        {StatusCode::DATA_LOSS, ExitCode::kInternal},
        {StatusCode::UNAUTHENTICATED, ExitCode::kPermissionDenied},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(exit_code_for(c.code), c.exit) << status_code_name(c.code);
    }
    // A code this build does not know.
    EXPECT_EQ(exit_code_for(static_cast<StatusCode>(99)), ExitCode::kInternal);
}

TEST(ExitCode, NumbersAreTheDocumentedOnes) {
    EXPECT_EQ(static_cast<int>(ExitCode::kOk), 0);
    EXPECT_EQ(static_cast<int>(ExitCode::kInternal), 1);
    EXPECT_EQ(static_cast<int>(ExitCode::kUsage), 2);
    EXPECT_EQ(static_cast<int>(ExitCode::kNotFound), 3);
    EXPECT_EQ(static_cast<int>(ExitCode::kConflict), 4);
    EXPECT_EQ(static_cast<int>(ExitCode::kPrecondition), 5);
    EXPECT_EQ(static_cast<int>(ExitCode::kExhausted), 6);
    EXPECT_EQ(static_cast<int>(ExitCode::kUnavailable), 7);
    EXPECT_EQ(static_cast<int>(ExitCode::kInvalidArgument), 8);
    EXPECT_EQ(static_cast<int>(ExitCode::kPermissionDenied), 9);
}

TEST(ExitCode, SettingsConflictIsAConflictNotAPrecondition) {
    EXPECT_EQ(exit_code_for(StatusCode::FAILED_PRECONDITION, v1::TEE_SETTINGS_CONFLICT),
              ExitCode::kConflict);
    EXPECT_EQ(exit_code_for(StatusCode::FAILED_PRECONDITION, v1::GUEST_ALREADY_STARTED),
              ExitCode::kPrecondition);
    EXPECT_EQ(exit_code_for(StatusCode::FAILED_PRECONDITION, v1::TEE_UNAVAILABLE),
              ExitCode::kPrecondition);
}

TEST(ExitCode, ReasonsThatMeanTheSameWhateverTheCode) {
    EXPECT_EQ(exit_code_for(StatusCode::RESOURCE_EXHAUSTED, v1::TEE_CLIENT_IDS_EXHAUSTED),
              ExitCode::kExhausted);
    EXPECT_EQ(exit_code_for(StatusCode::FAILED_PRECONDITION, v1::TEE_CLIENT_IDS_EXHAUSTED),
              ExitCode::kExhausted);
    EXPECT_EQ(exit_code_for(StatusCode::INTERNAL, v1::GUEST_NOT_FOUND), ExitCode::kNotFound);
    EXPECT_EQ(exit_code_for(StatusCode::INTERNAL, v1::PLATFORM_UNAVAILABLE),
              ExitCode::kUnavailable);
    EXPECT_EQ(exit_code_for(StatusCode::ALREADY_EXISTS, v1::GUEST_ALREADY_EXISTS),
              ExitCode::kConflict);
    EXPECT_EQ(exit_code_for(StatusCode::INVALID_ARGUMENT, v1::INVALID_FIELD),
              ExitCode::kInvalidArgument);
    EXPECT_EQ(exit_code_for(StatusCode::PERMISSION_DENIED, v1::CALLER_NOT_ALLOWED),
              ExitCode::kPermissionDenied);
    // An unknown reason leaves the code in charge.
    EXPECT_EQ(exit_code_for(StatusCode::NOT_FOUND, v1::ERROR_REASON_UNSPECIFIED),
              ExitCode::kNotFound);
}

TEST(ExitCode, TableListsEveryCode) {
    std::string table(exit_code_table());
    for (int i = 0; i <= 9; ++i) {
        EXPECT_NE(table.find("\n  " + std::to_string(i) + "  "), std::string::npos) << i;
    }
}

}  // namespace
}  // namespace warden::cli
