// SPDX-License-Identifier: Apache-2.0
// The error path from end to end, without strings: a toolstack error's values
// decide its API reason, the reason decides the gRPC code, and wardenctl reads
// the reason back as the same enum and picks its exit code from it. Rewording
// any message changes none of that.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "api_error.h"
#include "hypervisor.h"
#include "rpc_error.h"
#include "warden/domctl.h"
#include "warden/errno.h"

namespace warden::wardend {
namespace {

namespace ts = toolstack;
namespace e = abi::err;
using cli::ExitCode;
using grpc::StatusCode;

std::vector<v1::ErrorReason> all_reasons() {
    std::vector<v1::ErrorReason> out;
    const auto* d = v1::ErrorReason_descriptor();
    for (int i = 0; i < d->value_count(); ++i) {
        out.push_back(static_cast<v1::ErrorReason>(d->value(i)->number()));
    }
    return out;
}

// What each reason means to a caller: the API contract, written out once more
// on purpose so that a change to either side shows up here.
struct Contract {
    StatusCode code;
    ExitCode exit;
};
const std::map<v1::ErrorReason, Contract> kContract = {
    {v1::ERROR_REASON_UNSPECIFIED, {StatusCode::INTERNAL, ExitCode::kInternal}},
    {v1::TEE_CLIENT_IDS_EXHAUSTED, {StatusCode::RESOURCE_EXHAUSTED, ExitCode::kExhausted}},
    {v1::DOMAIN_TABLE_FULL, {StatusCode::RESOURCE_EXHAUSTED, ExitCode::kUnavailable}},
    {v1::HYPERVISOR_OUT_OF_MEMORY, {StatusCode::RESOURCE_EXHAUSTED, ExitCode::kUnavailable}},
    {v1::TEE_UNAVAILABLE, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::GUEST_ALREADY_STARTED, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::TEE_SETTINGS_CONFLICT, {StatusCode::FAILED_PRECONDITION, ExitCode::kConflict}},
    {v1::GUEST_RUNNING, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::GUEST_STOPPED_ITSELF, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::INVALID_GUEST_STATE, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::TEE_ALREADY_ENABLED, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::TEE_NOT_ENABLED, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
    {v1::GUEST_NOT_FOUND, {StatusCode::NOT_FOUND, ExitCode::kNotFound}},
    {v1::GUEST_ALREADY_EXISTS, {StatusCode::ALREADY_EXISTS, ExitCode::kConflict}},
    {v1::INVALID_FIELD, {StatusCode::INVALID_ARGUMENT, ExitCode::kInvalidArgument}},
    {v1::REJECTED_BY_HYPERVISOR, {StatusCode::INVALID_ARGUMENT, ExitCode::kInvalidArgument}},
    {v1::PLATFORM_UNAVAILABLE, {StatusCode::UNAVAILABLE, ExitCode::kUnavailable}},
    {v1::PLATFORM_TIMEOUT, {StatusCode::UNAVAILABLE, ExitCode::kUnavailable}},
    {v1::DAEMON_SHUTTING_DOWN, {StatusCode::UNAVAILABLE, ExitCode::kUnavailable}},
    {v1::JOURNAL_UNAVAILABLE, {StatusCode::UNAVAILABLE, ExitCode::kUnavailable}},
    {v1::CALLER_NOT_ALLOWED, {StatusCode::PERMISSION_DENIED, ExitCode::kPermissionDenied}},
    {v1::CALLER_UNKNOWN, {StatusCode::PERMISSION_DENIED, ExitCode::kPermissionDenied}},
    {v1::RELAY_PROTOCOL_ERROR, {StatusCode::INTERNAL, ExitCode::kInternal}},
    {v1::CONTROL_CHANNEL_NOT_PRIVILEGED, {StatusCode::INTERNAL, ExitCode::kInternal}},
    {v1::HYPERVISOR_ERROR, {StatusCode::INTERNAL, ExitCode::kInternal}},
    {v1::INTERNAL, {StatusCode::INTERNAL, ExitCode::kInternal}},
    {v1::TEE_QUOTA_BELOW_USAGE, {StatusCode::FAILED_PRECONDITION, ExitCode::kPrecondition}},
};

cli::RpcError through_the_wire(const ApiError& a) {
    return cli::decode_error(to_grpc(a));
}

TEST(ErrorReason, EveryReasonReachesTheCliAsTheSameEnum) {
    for (v1::ErrorReason r : all_reasons()) {
        SCOPED_TRACE(v1::ErrorReason_Name(r));
        auto c = kContract.find(r);
        ASSERT_NE(c, kContract.end()) << "a new reason needs its place in the contract";
        ApiError a = ApiError::make(r, "anything at all", "web");
        EXPECT_EQ(a.code(), c->second.code);
        cli::RpcError got = through_the_wire(a);
        EXPECT_EQ(got.code, c->second.code);
        EXPECT_EQ(got.reason, v1::ErrorReason_Name(r)) << "the name is the wire contract";
        EXPECT_EQ(got.domain, "warden.dev");
        EXPECT_EQ(got.known_reason, r);
        EXPECT_EQ(got.exit_code(), c->second.exit);
    }
}

TEST(ErrorReason, WireNamesNeverChange) {
    // Scripts match these strings: renaming an enum value breaks them.
    EXPECT_EQ(v1::ErrorReason_Name(v1::TEE_CLIENT_IDS_EXHAUSTED), "TEE_CLIENT_IDS_EXHAUSTED");
    EXPECT_EQ(v1::ErrorReason_Name(v1::GUEST_NOT_FOUND), "GUEST_NOT_FOUND");
    EXPECT_EQ(v1::ErrorReason_Name(v1::INVALID_FIELD), "INVALID_FIELD");
    EXPECT_EQ(v1::ErrorReason_Name(v1::PLATFORM_UNAVAILABLE), "PLATFORM_UNAVAILABLE");
    EXPECT_EQ(v1::ErrorReason_Name(v1::TEE_SETTINGS_CONFLICT), "TEE_SETTINGS_CONFLICT");
    EXPECT_EQ(v1::ErrorReason_Name(v1::DAEMON_SHUTTING_DOWN), "DAEMON_SHUTTING_DOWN");
    EXPECT_EQ(v1::ErrorReason_Name(v1::CALLER_NOT_ALLOWED), "CALLER_NOT_ALLOWED");
    EXPECT_EQ(v1::ErrorReason_Name(v1::JOURNAL_UNAVAILABLE), "JOURNAL_UNAVAILABLE");
}

// Every errno the ABI defines, and one it does not.
const int kErrnos[] = {e::kPerm,  e::kNoEnt, e::kSrch,      e::kIo,    e::kTooBig, e::kNoMem,
                       e::kFault, e::kBusy,  e::kExist,     e::kNoDev, e::kInval,  e::kNoSpc,
                       e::kRange, e::kNoSys, e::kOpNotSupp, 4242};
const uint32_t kDomctls[] = {0,
                             abi::kGetDomainInfo,
                             abi::kPause,
                             abi::kUnpause,
                             abi::kDestroy,
                             abi::kCreateDomain,
                             abi::kCopyToDomain,
                             abi::kSetVcpuEntry,
                             abi::kConsoleRead,
                             abi::kSetToolData,
                             abi::kTeeEnable,
                             abi::kTeeDisable,
                             abi::kTeeQuery,
                             abi::kTeeInfo,
                             abi::kTeeSetQuotas};
const ts::ErrorKind kKinds[] = {ts::ErrorKind::Hypervisor,  ts::ErrorKind::InvalidInput,
                                ts::ErrorKind::Unavailable, ts::ErrorKind::Timeout,
                                ts::ErrorKind::Protocol,    ts::ErrorKind::Internal};

std::set<std::string> keys(const std::map<std::string, std::string>& m) {
    std::set<std::string> out;
    for (const auto& [k, v] : m) out.insert(k);
    return out;
}

TEST(ErrorReason, RewordingEveryMessageChangesNoReasonCodeOrExitCode) {
    // The same error said two ways: other sentences, other operation names (the
    // old mapping looked for "TEE" in the operation), other prefixes.
    struct Words {
        std::string sentence, operation;
    };
    const Words kPlain{"enable TEE of domain 3: the TEE has no room", "enable TEE"};
    const Words kReworded{"validate: memory: xyz", "frobnicate"};
    int cases = 0;
    for (ts::ErrorKind kind : kKinds) {
        for (int err : kErrnos) {
            for (uint32_t cmd : kDomctls) {
                for (bool with_field : {false, true}) {
                    auto make = [&](const Words& w) {
                        ts::Error x = kind == ts::ErrorKind::Hypervisor
                                          ? ts::Error::hypervisor(-err, w.sentence, cmd)
                                          : ts::Error(kind, w.sentence);
                        if (with_field) x.set_field("memory");
                        if (x.tee_exhausted()) x.set_tee_occupancy({2, 2});
                        return api_error(x, {w.operation, "web"});
                    };
                    ApiError a = make(kPlain), b = make(kReworded);
                    SCOPED_TRACE(std::string(ts::to_string(kind)) + " errno " +
                                 std::to_string(err) + " domctl " + std::to_string(cmd));
                    if (a.reason != v1::TEE_CLIENT_IDS_EXHAUSTED) {
                        EXPECT_NE(a.message, b.message) << "the words did change";
                    }  // (that message is built from the occupancy alone)
                    EXPECT_EQ(a.reason, b.reason);
                    EXPECT_EQ(a.code(), b.code());
                    EXPECT_EQ(a.field, b.field);
                    EXPECT_EQ(keys(a.metadata), keys(b.metadata));
                    EXPECT_EQ(through_the_wire(a).exit_code(), through_the_wire(b).exit_code());
                    EXPECT_EQ(through_the_wire(a).known_reason, a.reason);
                    ++cases;
                }
            }
        }
    }
    EXPECT_EQ(cases, 6 * 16 * 15 * 2);
}

TEST(ErrorReason, HypervisorErrorsByErrnoAndDomctl) {
    const struct {
        int err;
        uint32_t cmd;
        v1::ErrorReason want;
    } kCases[] = {
        {e::kNoSpc, abi::kTeeEnable, v1::TEE_CLIENT_IDS_EXHAUSTED},
        {e::kNoSpc, abi::kCreateDomain, v1::DOMAIN_TABLE_FULL},
        {e::kNoMem, abi::kCreateDomain, v1::HYPERVISOR_OUT_OF_MEMORY},
        {e::kNoDev, abi::kTeeEnable, v1::TEE_UNAVAILABLE},
        {e::kSrch, abi::kGetDomainInfo, v1::GUEST_NOT_FOUND},
        {e::kBusy, abi::kTeeEnable, v1::GUEST_ALREADY_STARTED},
        {e::kBusy, abi::kTeeDisable, v1::GUEST_RUNNING},
        {e::kBusy, abi::kUnpause, v1::INVALID_GUEST_STATE},
        {e::kBusy, abi::kTeeSetQuotas, v1::TEE_QUOTA_BELOW_USAGE},
        {e::kNoEnt, abi::kTeeSetQuotas, v1::TEE_NOT_ENABLED},
        {e::kExist, abi::kTeeEnable, v1::TEE_ALREADY_ENABLED},
        {e::kNoEnt, abi::kTeeDisable, v1::TEE_NOT_ENABLED},
        {e::kInval, abi::kSetVcpuEntry, v1::REJECTED_BY_HYPERVISOR},
        {e::kPerm, abi::kPause, v1::CONTROL_CHANNEL_NOT_PRIVILEGED},
        {e::kIo, abi::kTeeEnable, v1::HYPERVISOR_ERROR},
        {4242, abi::kDestroy, v1::HYPERVISOR_ERROR},
    };
    for (const auto& c : kCases) {
        ts::Error x = ts::Error::hypervisor(-c.err, "x", c.cmd);
        EXPECT_EQ(reason_for(x), c.want) << ts::errno_name(c.err) << " " << c.cmd;
        EXPECT_EQ(api_error(x, {}).metadata.at("errno"), ts::errno_name(c.err));
    }
    EXPECT_EQ(reason_for(ts::Error(ts::ErrorKind::InvalidInput, "x")), v1::INVALID_FIELD);
    EXPECT_EQ(reason_for(ts::Error(ts::ErrorKind::Unavailable, "x")), v1::PLATFORM_UNAVAILABLE);
    EXPECT_EQ(reason_for(ts::Error(ts::ErrorKind::Timeout, "x")), v1::PLATFORM_TIMEOUT);
    EXPECT_EQ(reason_for(ts::Error(ts::ErrorKind::Protocol, "x")), v1::RELAY_PROTOCOL_ERROR);
    EXPECT_EQ(reason_for(ts::Error(ts::ErrorKind::Internal, "x")), v1::INTERNAL);
}

TEST(ErrorReason, ExhaustionCarriesTheOccupancyTheHypervisorReported) {
    ts::Error x = ts::Error::hypervisor(-e::kNoSpc, "whatever", abi::kTeeEnable);
    x.in_step(ts::BuildStep::EnableTee).set_tee_occupancy({4, 4});
    ApiError a = api_error(x, {"create guest", "db"});
    EXPECT_EQ(a.reason, v1::TEE_CLIENT_IDS_EXHAUSTED);
    EXPECT_EQ(a.metadata.at("limit"), "4");
    EXPECT_EQ(a.metadata.at("in_use"), "4");
    EXPECT_EQ(a.metadata.at("guest"), "db");
    EXPECT_EQ(a.metadata.at("errno"), "ENOSPC");
    EXPECT_EQ(a.message, "enable TEE for \"db\": " + ts::tee_full_sentence(ts::TeeOccupancy{4, 4}));

    // Without the numbers (an older hypervisor) the reason stands, the metadata
    // says only what is known.
    ts::Error bare = ts::Error::hypervisor(-e::kNoSpc, "whatever", abi::kTeeEnable);
    ApiError b = api_error(bare, {"enable TEE", "db"});
    EXPECT_EQ(b.reason, v1::TEE_CLIENT_IDS_EXHAUSTED);
    EXPECT_EQ(b.metadata.count("limit"), 0u);
}

TEST(ErrorReason, TheFieldTravelsAsAValue) {
    ts::Error x = ts::invalid_field("quotas.tee_sessions", "expected 1 to 128");
    x.prefix("web.toml:7").in_step(ts::BuildStep::Validate);
    ApiError a = api_error(x, {"create guest", "web"});
    EXPECT_EQ(a.field, "quotas.tee_sessions");
    cli::RpcError got = through_the_wire(a);
    ASSERT_EQ(got.field_violations.size(), 1u);
    EXPECT_EQ(got.field_violations[0].field, "quotas.tee_sessions");
    EXPECT_EQ(got.exit_code(), ExitCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden::wardend
