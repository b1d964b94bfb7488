// SPDX-License-Identifier: Apache-2.0
#include "api_error.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "hypervisor.h"
#include "warden/domctl.h"
#include "warden/errno.h"

namespace warden::wardend {
namespace {

namespace e = abi::err;
namespace ts = toolstack;
using grpc::StatusCode;

v1::ErrorReason hypervisor_reason(const ts::Error& err) {
    const bool tee_change = err.domctl() == abi::kTeeEnable || err.domctl() == abi::kTeeDisable ||
                            err.domctl() == abi::kTeeSetQuotas;
    switch (err.err()) {
    case e::kNoSpc:
        return err.domctl() == abi::kTeeEnable ? v1::TEE_CLIENT_IDS_EXHAUSTED
                                               : v1::DOMAIN_TABLE_FULL;
    case e::kNoMem:
        return v1::HYPERVISOR_OUT_OF_MEMORY;
    case e::kNoDev:
        return v1::TEE_UNAVAILABLE;
    case e::kSrch:
        return v1::GUEST_NOT_FOUND;
    case e::kBusy:
        if (err.domctl() == abi::kTeeEnable) return v1::GUEST_ALREADY_STARTED;
        if (err.domctl() == abi::kTeeSetQuotas) return v1::TEE_QUOTA_BELOW_USAGE;
        if (err.domctl() == abi::kTeeDisable) return v1::GUEST_RUNNING;
        return v1::INVALID_GUEST_STATE;
    case e::kExist:
        return tee_change ? v1::TEE_ALREADY_ENABLED : v1::HYPERVISOR_ERROR;
    case e::kNoEnt:
        return tee_change ? v1::TEE_NOT_ENABLED : v1::HYPERVISOR_ERROR;
    case e::kInval:
        return v1::REJECTED_BY_HYPERVISOR;
    case e::kPerm:
        return v1::CONTROL_CHANNEL_NOT_PRIVILEGED;
    default:
        return v1::HYPERVISOR_ERROR;
    }
}

}  // namespace

StatusCode status_code(v1::ErrorReason reason) {
    switch (reason) {
    case v1::TEE_CLIENT_IDS_EXHAUSTED:
    case v1::DOMAIN_TABLE_FULL:
    case v1::HYPERVISOR_OUT_OF_MEMORY:
        return StatusCode::RESOURCE_EXHAUSTED;
    case v1::TEE_UNAVAILABLE:
    case v1::GUEST_ALREADY_STARTED:
    case v1::TEE_SETTINGS_CONFLICT:
    case v1::GUEST_RUNNING:
    case v1::GUEST_STOPPED_ITSELF:
    case v1::INVALID_GUEST_STATE:
    case v1::TEE_ALREADY_ENABLED:
    case v1::TEE_NOT_ENABLED:
    case v1::TEE_QUOTA_BELOW_USAGE:
        return StatusCode::FAILED_PRECONDITION;
    case v1::GUEST_NOT_FOUND:
        return StatusCode::NOT_FOUND;
    case v1::GUEST_ALREADY_EXISTS:
        return StatusCode::ALREADY_EXISTS;
    case v1::INVALID_FIELD:
    case v1::REJECTED_BY_HYPERVISOR:
        return StatusCode::INVALID_ARGUMENT;
    case v1::PLATFORM_UNAVAILABLE:
    case v1::PLATFORM_TIMEOUT:
    case v1::DAEMON_SHUTTING_DOWN:
    case v1::JOURNAL_UNAVAILABLE:
        return StatusCode::UNAVAILABLE;
    case v1::CALLER_NOT_ALLOWED:
    case v1::CALLER_UNKNOWN:
        return StatusCode::PERMISSION_DENIED;
    case v1::RELAY_PROTOCOL_ERROR:
    case v1::CONTROL_CHANNEL_NOT_PRIVILEGED:
    case v1::HYPERVISOR_ERROR:
    case v1::INTERNAL:
    case v1::ERROR_REASON_UNSPECIFIED:
    default:
        return StatusCode::INTERNAL;
    }
}

StatusCode ApiError::code() const {
    return status_code(reason);
}

const std::string& ApiError::reason_name() const {
    return v1::ErrorReason_Name(reason);
}

ApiError ApiError::make(v1::ErrorReason reason, std::string message, const std::string& guest) {
    ApiError a;
    a.reason = reason;
    a.message = std::move(message);
    if (!guest.empty()) a.metadata["guest"] = guest;
    return a;
}

ApiError ApiError::invalid(const std::string& field, const std::string& what) {
    ApiError a = make(v1::INVALID_FIELD, field + ": " + what);
    a.field = field;
    a.metadata["field"] = field;
    return a;
}

ApiError ApiError::not_found(const std::string& guest) {
    return make(v1::GUEST_NOT_FOUND, "no guest named \"" + guest + "\"", guest);
}

v1::ErrorReason reason_for(const ts::Error& err) {
    switch (err.kind()) {
    case ts::ErrorKind::InvalidInput:
        return v1::INVALID_FIELD;
    case ts::ErrorKind::Unavailable:
        return v1::PLATFORM_UNAVAILABLE;
    case ts::ErrorKind::Timeout:
        return v1::PLATFORM_TIMEOUT;
    case ts::ErrorKind::Protocol:
        return v1::RELAY_PROTOCOL_ERROR;
    case ts::ErrorKind::Internal:
        return v1::INTERNAL;
    case ts::ErrorKind::Hypervisor:
        return hypervisor_reason(err);
    }
    return v1::INTERNAL;
}

ApiError api_error(const ts::Error& err, const ErrorContext& ctx) {
    ApiError a = ApiError::make(
        reason_for(err),
        ctx.operation.empty() ? err.message() : ctx.operation + ": " + err.message(), ctx.guest);
    if (err.kind() == ts::ErrorKind::Hypervisor) a.metadata["errno"] = ts::errno_name(err.err());
    if (!err.field().empty()) {
        a.field = err.field();
        a.metadata["field"] = a.field;
    }
    if (a.reason == v1::TEE_CLIENT_IDS_EXHAUSTED) {
        // Whatever the operation (create or enable), what failed is the TEE's.
        a.message =
            "enable TEE for \"" + ctx.guest + "\": " + ts::tee_full_sentence(err.tee_occupancy());
        if (const auto& o = err.tee_occupancy(); o && o->limit) {
            a.metadata["limit"] = std::to_string(o->limit);
            a.metadata["in_use"] = std::to_string(o->in_use);
        }
    }
    if (a.reason == v1::DOMAIN_TABLE_FULL) a.metadata["limit"] = std::to_string(abi::kMaxDomains);
    if (const auto& held = err.tee_held()) {
        a.metadata["sessions_in_use"] = std::to_string(held->sessions);
        a.metadata["shm_pages_in_use"] = std::to_string(held->shm_pages);
    }
    return a;
}

grpc::Status to_grpc(const ApiError& a) {
    google::rpc::Status st;
    st.set_code(static_cast<int>(a.code()));
    st.set_message(a.message);
    google::rpc::ErrorInfo info;
    info.set_reason(a.reason_name());
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
    return grpc::Status(a.code(), a.message, st.SerializeAsString());
}

}  // namespace warden::wardend
