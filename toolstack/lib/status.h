// SPDX-License-Identifier: Apache-2.0
// Errors of the toolstack: what went wrong (kind), the hypervisor's errno and the
// domctl it refused, the field at fault, the build step, the TEE's occupancy -- all
// as values -- and a sentence for people. Layers above decide from the values only,
// never from the sentence (wardend's api_error.h is the one mapping to the API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace warden::toolstack {

enum class ErrorKind {
    Hypervisor,    // the hypervisor refused: errno() says why
    InvalidInput,  // a request or configuration the toolstack itself rejects
    Unavailable,   // the platform is down or unreachable (QEMU exited, no agent)
    Timeout,       // no answer in time (after retries)
    Protocol,      // the relay answered with an error frame or nonsense
    Internal,
};

const char* to_string(ErrorKind k);

// The steps of building a guest (GuestBuilder), in order.
enum class BuildStep { Validate, Create, LoadKernel, EnableTee, LoadDeviceTree, SetEntry, Unpause };
const char* to_string(BuildStep s);

// The TEE's occupancy when it refused a guest (-ENOSPC from kTeeEnable).
struct TeeOccupancy {
    uint32_t limit = 0;  // guests the TEE can hold
    uint32_t in_use = 0;
};

// What a guest may hold in its TEE, or holds (warden/domctl.h DomctlTeeQuotas).
struct TeeQuotas {
    uint32_t sessions = 0;
    uint32_t shm_pages = 0;
};

class Error {
public:
    Error(ErrorKind kind, std::string reason, int err = 0, uint32_t domctl = 0)
        : kind_(kind), err_(err), domctl_(domctl), reason_(std::move(reason)) {}
    // The hypervisor refused domctl `domctl` (warden/domctl.h) with -errno.
    static Error hypervisor(int negative_errno, std::string what, uint32_t domctl = 0);

    ErrorKind kind() const { return kind_; }
    // Positive errno for ErrorKind::Hypervisor, else 0.
    int err() const { return err_; }
    // The domctl command the hypervisor refused (ErrorKind::Hypervisor), else 0:
    // what failed, as a value, so nobody has to read it out of the sentence.
    uint32_t domctl() const { return domctl_; }
    const std::string& reason() const { return reason_; }
    // "what: reason (ENOSPC)" style, for logs and messages.
    std::string message() const;

    // ErrorKind::InvalidInput: the request or configuration field at fault
    // ("memory", "quotas.tee_sessions"), or "" when no single field is.
    const std::string& field() const { return field_; }
    Error& set_field(std::string field) {
        field_ = std::move(field);
        return *this;
    }
    // The build step that failed, for errors of GuestBuilder::build.
    std::optional<BuildStep> step() const { return step_; }
    // Prefixes the sentence with the step's name and records the step.
    Error& in_step(BuildStep step);
    // Prefixes the sentence: "what: sentence".
    Error& prefix(const std::string& what) {
        reason_ = what + ": " + reason_;
        return *this;
    }
    Error& suffix(const std::string& more) {
        reason_ += more;
        return *this;
    }
    // Set with tee_exhausted(): how full the TEE is, as the hypervisor said.
    const std::optional<TeeOccupancy>& tee_occupancy() const { return tee_; }
    Error& set_tee_occupancy(TeeOccupancy o) {
        tee_ = o;
        return *this;
    }
    // The TEE had no room for another guest: the hypervisor refused kTeeEnable
    // with -ENOSPC.
    bool tee_exhausted() const;
    // With -EBUSY from kTeeSetQuotas: what the guest holds.
    const std::optional<TeeQuotas>& tee_held() const { return held_; }
    Error& set_tee_held(TeeQuotas h) {
        held_ = h;
        return *this;
    }

private:
    ErrorKind kind_;
    int err_;
    uint32_t domctl_;
    std::string reason_;
    std::string field_;
    std::optional<BuildStep> step_;
    std::optional<TeeOccupancy> tee_;
    std::optional<TeeQuotas> held_;
};

// An InvalidInput error about `field`: "field: what".
Error invalid_field(const std::string& field, const std::string& what);

// "ENOSPC" for 28, etc.
std::string errno_name(int err);

// Either a value or an Error.
template <typename T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Success or an Error.
class Status {
public:
    Status() = default;
    Status(Error e) : e_(std::move(e)), ok_(false) {}
    static Status ok_status() { return Status(); }
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return e_; }

private:
    Error e_{ErrorKind::Internal, ""};
    bool ok_ = true;
};

}  // namespace warden::toolstack
