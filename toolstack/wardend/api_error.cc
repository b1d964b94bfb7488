#include "api_error.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "warden/errno.h"

namespace warden::wardend {
namespace {

namespace e = abi::err;
using grpc::StatusCode;

bool field_like(const std::string& s) {
    if (s.empty() || s == "validate") return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || c == '_' || c == '.')) return false;
    }
    return true;
}

// "web.toml:3: memory: expected ..." or "validate: memory: ..." -> "memory".
std::string field_from(const std::string& reason) {
    size_t start = 0;
    for (;;) {
        size_t end = reason.find(": ", start);
        if (end == std::string::npos) return "";
        std::string seg = reason.substr(start, end - start);
        if (field_like(seg)) return seg;
        start = end + 2;
    }
}

}  // namespace

ApiError ApiError::invalid(const std::string& field, const std::string& what) {
    ApiError a;
    a.code = StatusCode::INVALID_ARGUMENT;
    a.reason = "INVALID_FIELD";
    a.message = field + ": " + what;
    a.field = field;
    a.metadata["field"] = field;
    return a;
}

ApiError ApiError::not_found(const std::string& guest) {
    ApiError a;
    a.code = StatusCode::NOT_FOUND;
    a.reason = "GUEST_NOT_FOUND";
    a.message = "no guest named \"" + guest + "\"";
    a.metadata["guest"] = guest;
    return a;
}

ApiError api_error(const toolstack::Error& err, const ErrorContext& ctx) {
    ApiError a;
    a.message = ctx.operation.empty() ? err.message() : ctx.operation + ": " + err.message();
    if (!ctx.guest.empty()) a.metadata["guest"] = ctx.guest;
    switch (err.kind()) {
    case toolstack::ErrorKind::InvalidInput: {
        a.code = StatusCode::INVALID_ARGUMENT;
        a.reason = "INVALID_FIELD";
        a.field = field_from(err.reason());
        if (!a.field.empty()) a.metadata["field"] = a.field;
        return a;
    }
    case toolstack::ErrorKind::Unavailable:
        a.code = StatusCode::UNAVAILABLE;
        a.reason = "PLATFORM_UNAVAILABLE";
        return a;
    case toolstack::ErrorKind::Timeout:
        a.code = StatusCode::UNAVAILABLE;
        a.reason = "PLATFORM_TIMEOUT";
        return a;
    case toolstack::ErrorKind::Protocol:
        a.code = StatusCode::INTERNAL;
        a.reason = "RELAY_PROTOCOL_ERROR";
        return a;
    case toolstack::ErrorKind::Internal:
        a.code = StatusCode::INTERNAL;
        a.reason = "INTERNAL";
        return a;
    case toolstack::ErrorKind::Hypervisor:
        break;
    }
    a.metadata["errno"] = toolstack::errno_name(err.err());
    bool tee_op = ctx.operation.find("TEE") != std::string::npos;
    switch (err.err()) {
    case e::kNoSpc:
        a.code = StatusCode::RESOURCE_EXHAUSTED;
        a.reason = tee_op ? "TEE_CLIENT_IDS_EXHAUSTED" : "DOMAIN_TABLE_FULL";
        break;
    case e::kNoMem:
        a.code = StatusCode::RESOURCE_EXHAUSTED;
        a.reason = "HYPERVISOR_OUT_OF_MEMORY";
        break;
    case e::kNoDev:
        a.code = StatusCode::FAILED_PRECONDITION;
        a.reason = "TEE_UNAVAILABLE";
        break;
    case e::kSrch:
        a.code = StatusCode::NOT_FOUND;
        a.reason = "GUEST_NOT_FOUND";
        break;
    case e::kBusy:
        a.code = StatusCode::FAILED_PRECONDITION;
        a.reason = tee_op ? "GUEST_ALREADY_STARTED" : "INVALID_GUEST_STATE";
        break;
    case e::kExist:
        a.code = StatusCode::FAILED_PRECONDITION;
        a.reason = "TEE_ALREADY_ENABLED";
        break;
    case e::kNoEnt:
        a.code = StatusCode::FAILED_PRECONDITION;
        a.reason = "TEE_NOT_ENABLED";
        break;
    case e::kInval:
        a.code = StatusCode::INVALID_ARGUMENT;
        a.reason = "REJECTED_BY_HYPERVISOR";
        break;
    case e::kPerm:
        a.code = StatusCode::INTERNAL;  // the daemon's own channel is not privileged
        a.reason = "CONTROL_CHANNEL_NOT_PRIVILEGED";
        break;
    default:
        a.code = StatusCode::INTERNAL;
        a.reason = "HYPERVISOR_ERROR";
        break;
    }
    return a;
}

grpc::Status to_grpc(const ApiError& a) {
    google::rpc::Status st;
    st.set_code(static_cast<int>(a.code));
    st.set_message(a.message);
    google::rpc::ErrorInfo info;
    info.set_reason(a.reason);
    info.set_domain(kErrorDomain);
    for (const auto& [k, v] : a.metadata) (*info.mutable_metadata())[k] = v;
    st.add_details()->PackFrom(info);
    if (!a.field.empty()) {
        google::rpc::BadRequest br;
        auto* v = br.add_field_violations();
        v->set_field(a.field);
        v->set_description(a.message);
        st.add_details()->PackFrom(br);
    }
    return grpc::Status(a.code, a.message, st.SerializeAsString());
}

}  // namespace warden::wardend
