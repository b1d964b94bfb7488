// SPDX-License-Identifier: Apache-2.0
#include "rpc_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace warden::cli {
namespace {

using grpc::StatusCode;

grpc::Status rich(StatusCode code, const std::string& message, const std::string& reason,
                  const std::map<std::string, std::string>& metadata,
                  const std::string& bad_field = "") {
    google::rpc::Status st;
    st.set_code(static_cast<int>(code));
    st.set_message(message);
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain("warden.dev");
    for (const auto& [k, v] : metadata) (*info.mutable_metadata())[k] = v;
    st.add_details()->PackFrom(info);
    if (!bad_field.empty()) {
        google::rpc::BadRequest br;
        auto* v = br.add_field_violations();
        v->set_field(bad_field);
        v->set_description(message);
        st.add_details()->PackFrom(br);
    }
    return grpc::Status(code, message, st.SerializeAsString());
}

const ErrorContext kWhere{"/run/warden/wardend.sock", 30};

TEST(RpcError, DecodesErrorInfoFromTheDetails) {
    RpcError e = decode_error(rich(StatusCode::RESOURCE_EXHAUSTED, "enable TEE: no room",
                                   "TEE_CLIENT_IDS_EXHAUSTED",
                                   {{"limit", "2"}, {"guest", "db"}, {"in_use", "2"}}));
    EXPECT_EQ(e.code, StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(e.message, "enable TEE: no room");
    EXPECT_EQ(e.reason, "TEE_CLIENT_IDS_EXHAUSTED");
    EXPECT_EQ(e.domain, "warden.dev");
    using KV = std::pair<std::string, std::string>;
    EXPECT_EQ(e.metadata, (std::vector<KV>{{"guest", "db"}, {"in_use", "2"}, {"limit", "2"}}));
    EXPECT_EQ(e.exit_code(), ExitCode::kExhausted);
}

TEST(RpcError, ExhaustionAsText) {
    RpcError e = decode_error(
        rich(StatusCode::RESOURCE_EXHAUSTED, "enable TEE: the TEE has no room for another guest",
             "TEE_CLIENT_IDS_EXHAUSTED", {{"guest", "db"}, {"limit", "2"}, {"in_use", "2"}}));
    EXPECT_EQ(
        render_error_text(e, kWhere),
        "error: enable TEE: the TEE has no room for another guest\n"
        "reason: TEE_CLIENT_IDS_EXHAUSTED\n"
        "  guest: db\n"
        "  in_use: 2\n"
        "  limit: 2\n"
        "hint: destroy a guest or disable TEE for one, or start the platform with a higher TEE "
        "guest limit\n");
}

TEST(RpcError, ExhaustionAsJson) {
    RpcError e = decode_error(rich(StatusCode::RESOURCE_EXHAUSTED, "no room",
                                   "TEE_CLIENT_IDS_EXHAUSTED", {{"guest", "db"}}));
    auto j = nlohmann::json::parse(render_error_json(e, kWhere));
    const auto& err = j.at("error");
    EXPECT_EQ(err["code"], 8);
    EXPECT_EQ(err["status"], "RESOURCE_EXHAUSTED");
    EXPECT_EQ(err["message"], "no room");
    EXPECT_EQ(err["reason"], "TEE_CLIENT_IDS_EXHAUSTED");
    EXPECT_EQ(err["domain"], "warden.dev");
    EXPECT_EQ(err["metadata"]["guest"], "db");
    EXPECT_TRUE(err["field_violations"].empty());
    EXPECT_NE(err["hint"].get<std::string>().find("higher TEE guest limit"), std::string::npos);
    EXPECT_EQ(err["exit_code"], 6);
}

TEST(RpcError, FieldViolations) {
    RpcError e = decode_error(rich(StatusCode::INVALID_ARGUMENT, "memory: expected 2 MiB to 1 GiB",
                                   "INVALID_FIELD", {{"field", "memory"}}, "memory"));
    ASSERT_EQ(e.field_violations.size(), 1u);
    EXPECT_EQ(e.field_violations[0].field, "memory");
    EXPECT_EQ(render_error_text(e, kWhere),
              "error: memory: expected 2 MiB to 1 GiB\n"
              "reason: INVALID_FIELD\n"
              "  field: memory\n")
        << "the violation repeats the message: said once";
    e.field_violations[0].description = "memory: also too small for the kernel";
    EXPECT_NE(render_error_text(e, kWhere).find("field: memory: also too small for the kernel\n"),
              std::string::npos)
        << "a violation that adds something is shown, without its field twice";
    EXPECT_EQ(e.exit_code(), ExitCode::kInvalidArgument);
}

TEST(RpcError, WithoutDetailsTheCodeStandsIn) {
    RpcError e = decode_error(grpc::Status(StatusCode::INTERNAL, "boom"));
    EXPECT_EQ(e.reason, "");
    EXPECT_EQ(render_error_text(e, kWhere), "error: boom\ncode: INTERNAL\n");
    EXPECT_EQ(e.exit_code(), ExitCode::kInternal);
}

TEST(RpcError, UndecodableDetailsAreIgnored) {
    RpcError e = decode_error(grpc::Status(StatusCode::NOT_FOUND, "gone", "\xff\xff\xff garbage"));
    EXPECT_EQ(e.code, StatusCode::NOT_FOUND);
    EXPECT_EQ(e.message, "gone");
    EXPECT_EQ(e.reason, "");
}

TEST(RpcError, MessageFromTheRichStatusWhenTheTrailerHasNone) {
    google::rpc::Status st;
    st.set_message("no guest named \"x\"");
    RpcError e = decode_error(grpc::Status(StatusCode::NOT_FOUND, "", st.SerializeAsString()));
    EXPECT_EQ(e.message, "no guest named \"x\"");
}

TEST(RpcError, ConnectionRefusedNamesTheSocket) {
    RpcError e = decode_error(
        grpc::Status(StatusCode::UNAVAILABLE,
                     "failed to connect to all addresses; last error: UNKNOWN: unix:/tmp/w.sock: "
                     "Connection refused"));
    std::string hint = hint_for(e, {"/tmp/w.sock", 30});
    EXPECT_NE(hint.find("nothing accepts connections on /tmp/w.sock"), std::string::npos) << hint;
    EXPECT_NE(hint.find("systemctl status wardend"), std::string::npos);
    EXPECT_EQ(e.exit_code(), ExitCode::kUnavailable);
}

TEST(RpcError, MissingSocketNamesTheSocket) {
    RpcError e = decode_error(grpc::Status(
        StatusCode::UNAVAILABLE, "last error: UNKNOWN: unix:/x.sock: No such file or directory"));
    EXPECT_NE(hint_for(e, {"/x.sock", 30}).find("/x.sock does not exist"), std::string::npos);
}

TEST(RpcError, Hints) {
    auto hint = [](StatusCode code, const std::string& reason) {
        return hint_for(decode_error(rich(code, "m", reason, {})), {"/s", 2.5});
    };
    EXPECT_NE(
        hint(StatusCode::UNAVAILABLE, "PLATFORM_UNAVAILABLE").find("systemctl status wardend"),
        std::string::npos);
    EXPECT_NE(hint(StatusCode::FAILED_PRECONDITION, "TEE_UNAVAILABLE").find("tee caps"),
              std::string::npos);
    EXPECT_NE(hint(StatusCode::FAILED_PRECONDITION, "GUEST_ALREADY_STARTED").find("first runs"),
              std::string::npos);
    EXPECT_NE(hint(StatusCode::FAILED_PRECONDITION, "TEE_SETTINGS_CONFLICT").find("disable"),
              std::string::npos);
    EXPECT_NE(hint(StatusCode::NOT_FOUND, "GUEST_NOT_FOUND").find("guest list"), std::string::npos);
    EXPECT_NE(hint(StatusCode::ALREADY_EXISTS, "GUEST_ALREADY_EXISTS").find("another name"),
              std::string::npos);
    EXPECT_EQ(hint(StatusCode::INTERNAL, "HYPERVISOR_ERROR"), "");
    RpcError late = decode_error(grpc::Status(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
    EXPECT_NE(hint_for(late, {"/s", 2.5}).find("within 2.5 s"), std::string::npos);
}

TEST(RpcError, ReasonsAreDecodedToTheEnumOnlyFromWardensDomain) {
    RpcError known = decode_error(rich(StatusCode::INTERNAL, "m", "GUEST_NOT_FOUND", {}));
    EXPECT_EQ(known.known_reason, v1::GUEST_NOT_FOUND);
    EXPECT_EQ(known.exit_code(), ExitCode::kNotFound);

    // A reason added after this build: shown as it is, the code decides.
    RpcError newer = decode_error(rich(StatusCode::NOT_FOUND, "m", "SOMETHING_NEW", {}));
    EXPECT_EQ(newer.reason, "SOMETHING_NEW");
    EXPECT_EQ(newer.known_reason, v1::ERROR_REASON_UNSPECIFIED);
    EXPECT_EQ(newer.exit_code(), ExitCode::kNotFound);

    // The same name from another service's domain means nothing to wardenctl.
    google::rpc::Status st;
    st.set_code(static_cast<int>(StatusCode::RESOURCE_EXHAUSTED));
    google::rpc::ErrorInfo info;
    info.set_reason("TEE_CLIENT_IDS_EXHAUSTED");
    info.set_domain("example.com");
    st.add_details()->PackFrom(info);
    RpcError foreign =
        decode_error(grpc::Status(StatusCode::RESOURCE_EXHAUSTED, "m", st.SerializeAsString()));
    EXPECT_EQ(foreign.known_reason, v1::ERROR_REASON_UNSPECIFIED);
    EXPECT_EQ(foreign.exit_code(), ExitCode::kUnavailable) << "RESOURCE_EXHAUSTED alone";
}

TEST(RpcError, LocalErrors) {
    EXPECT_EQ(render_local_error_text("cannot read x"), "error: cannot read x\n");
    auto j = nlohmann::json::parse(render_local_error_json("cannot read x", ExitCode::kUsage));
    EXPECT_EQ(j["error"]["message"], "cannot read x");
    EXPECT_EQ(j["error"]["exit_code"], 2);
}

}  // namespace
}  // namespace warden::cli
