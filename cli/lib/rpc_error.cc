// SPDX-License-Identifier: Apache-2.0
#include "rpc_error.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace warden::cli {
namespace {

using Json = nlohmann::ordered_json;
using grpc::StatusCode;

bool contains(const std::string& s, std::string_view what) {
    return s.find(what) != std::string::npos;
}

std::string seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

std::string unreachable_hint(const RpcError& e, const ErrorContext& ctx) {
    const std::string elsewhere = "; --socket or WARDEN_SOCKET point wardenctl at another socket";
    if (contains(e.message, "No such file or directory")) {
        return ctx.socket + " does not exist: is wardend running? see `systemctl status wardend`" +
               elsewhere;
    }
    if (contains(e.message, "Connection refused")) {
        return "nothing accepts connections on " + ctx.socket +
               ": is wardend running? see `systemctl status wardend`" + elsewhere;
    }
    if (contains(e.message, "Permission denied")) {
        return "this user may not open " + ctx.socket +
               ": run wardenctl as a user wardend allows (e.g. root)";
    }
    return "cannot reach wardend on " + ctx.socket +
           ": is it running? see `systemctl status wardend`" + elsewhere;
}

}  // namespace

RpcError decode_error(const grpc::Status& status) {
    RpcError e;
    e.code = status.error_code();
    e.message = status.error_message();
    google::rpc::Status rich;
    if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) {
        return e;
    }
    if (e.message.empty()) e.message = rich.message();
    for (const auto& any : rich.details()) {
        if (google::rpc::ErrorInfo info; any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
            e.reason = info.reason();
            e.domain = info.domain();
            if (v1::ErrorReason r;
                e.domain == kWardenErrorDomain && v1::ErrorReason_Parse(e.reason, &r)) {
                e.known_reason = r;
            }
            e.metadata.assign(info.metadata().begin(), info.metadata().end());
            std::sort(e.metadata.begin(), e.metadata.end());
        } else if (google::rpc::BadRequest br;
                   any.Is<google::rpc::BadRequest>() && any.UnpackTo(&br)) {
            for (const auto& v : br.field_violations()) {
                e.field_violations.push_back({v.field(), v.description()});
            }
        }
    }
    return e;
}

std::string hint_for(const RpcError& e, const ErrorContext& ctx) {
    switch (e.known_reason) {
    case v1::TEE_CLIENT_IDS_EXHAUSTED:
        return "destroy a guest or disable TEE for one, or start the platform with a higher "
               "TEE guest limit";
    case v1::TEE_UNAVAILABLE:
        return "the platform has no TEE (see `wardenctl tee caps`): create the guest with "
               "--tee none";
    case v1::GUEST_ALREADY_STARTED:
        return "TEE access can only change before a guest first runs: destroy the guest, "
               "create it again without --start, then change its TEE";
    case v1::TEE_SETTINGS_CONFLICT:
        return "the guest's TEE is already enabled with other settings (see `wardenctl tee get "
               "GUEST`): disable it first to change them";
    case v1::GUEST_NOT_FOUND:
        return "`wardenctl guest list` shows the guests that exist";
    case v1::GUEST_ALREADY_EXISTS:
        return "choose another name, or `wardenctl guest destroy NAME` first";
    case v1::PLATFORM_UNAVAILABLE:
    case v1::PLATFORM_TIMEOUT:
        return "wardend answered but its platform is down: see `systemctl status wardend` and "
               "`journalctl -u wardend`";
    case v1::CALLER_NOT_ALLOWED:
        return "wardend refused this user: run wardenctl as a user wardend allows (e.g. root)";
    default:
        break;
    }
    if (!e.reason.empty()) return "";
    switch (e.code) {
    case StatusCode::UNAVAILABLE:
        return unreachable_hint(e, ctx);
    case StatusCode::DEADLINE_EXCEEDED:
        return "wardend did not answer within " + seconds(ctx.timeout_seconds) +
               " s: see `systemctl status wardend`, or allow longer with --timeout";
    case StatusCode::UNIMPLEMENTED:
        return "this wardend does not serve that call: it may be older than wardenctl";
    default:
        return "";
    }
}

std::string render_error_text(const RpcError& e, const ErrorContext& ctx) {
    std::string out = "error: " + e.message + "\n";
    if (!e.reason.empty()) {
        out += "reason: " + e.reason + "\n";
        for (const auto& [k, v] : e.metadata) out += "  " + k + ": " + v + "\n";
    } else {
        // Without a reason the code is the most precise thing there is.
        out += "code: " + std::string(status_code_name(e.code)) + "\n";
    }
    for (const auto& v : e.field_violations) {
        // Most violations are the message itself: say each thing once.
        if (e.message.find(v.description) != std::string::npos) continue;
        std::string d = v.description;
        if (d.rfind(v.field + ": ", 0) == 0) d.erase(0, v.field.size() + 2);
        out += "field: " + v.field + ": " + d + "\n";
    }
    if (std::string hint = hint_for(e, ctx); !hint.empty()) out += "hint: " + hint + "\n";
    return out;
}

std::string render_error_json(const RpcError& e, const ErrorContext& ctx) {
    Json err;
    err["code"] = static_cast<int>(e.code);
    err["status"] = status_code_name(e.code);
    err["message"] = e.message;
    err["reason"] = e.reason;
    err["domain"] = e.domain;
    err["metadata"] = Json::object();
    for (const auto& [k, v] : e.metadata) err["metadata"][k] = v;
    err["field_violations"] = Json::array();
    for (const auto& v : e.field_violations) {
        err["field_violations"].push_back({{"field", v.field}, {"description", v.description}});
    }
    err["hint"] = hint_for(e, ctx);
    err["exit_code"] = static_cast<int>(e.exit_code());
    return Json{{"error", err}}.dump(2) + "\n";
}

std::string render_local_error_text(const std::string& message) {
    return "error: " + message + "\n";
}

std::string render_local_error_json(const std::string& message, ExitCode code) {
    Json err;
    err["message"] = message;
    err["exit_code"] = static_cast<int>(code);
    return Json{{"error", err}}.dump(2) + "\n";
}

}  // namespace warden::cli
