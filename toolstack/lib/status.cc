// SPDX-License-Identifier: Apache-2.0
#include "status.h"

#include "warden/domctl.h"
#include "warden/errno.h"

namespace warden::toolstack {

const char* to_string(ErrorKind k) {
    switch (k) {
    case ErrorKind::Hypervisor:
        return "hypervisor";
    case ErrorKind::InvalidInput:
        return "invalid input";
    case ErrorKind::Unavailable:
        return "unavailable";
    case ErrorKind::Timeout:
        return "timeout";
    case ErrorKind::Protocol:
        return "protocol";
    case ErrorKind::Internal:
        return "internal";
    }
    return "?";
}

const char* to_string(BuildStep s) {
    switch (s) {
    case BuildStep::Validate:
        return "validate";
    case BuildStep::Create:
        return "create";
    case BuildStep::LoadKernel:
        return "load kernel";
    case BuildStep::EnableTee:
        return "enable TEE";
    case BuildStep::LoadDeviceTree:
        return "load device tree";
    case BuildStep::SetEntry:
        return "set entry point";
    case BuildStep::Unpause:
        return "unpause";
    }
    return "?";
}

std::string errno_name(int err) {
    namespace e = abi::err;
    switch (err) {
    case e::kPerm:
        return "EPERM";
    case e::kNoEnt:
        return "ENOENT";
    case e::kSrch:
        return "ESRCH";
    case e::kIo:
        return "EIO";
    case e::kTooBig:
        return "E2BIG";
    case e::kNoMem:
        return "ENOMEM";
    case e::kFault:
        return "EFAULT";
    case e::kBusy:
        return "EBUSY";
    case e::kExist:
        return "EEXIST";
    case e::kNoDev:
        return "ENODEV";
    case e::kInval:
        return "EINVAL";
    case e::kNoSpc:
        return "ENOSPC";
    case e::kRange:
        return "ERANGE";
    case e::kNoSys:
        return "ENOSYS";
    case e::kOpNotSupp:
        return "EOPNOTSUPP";
    default:
        return "errno " + std::to_string(err);
    }
}

Error Error::hypervisor(int negative_errno, std::string what, uint32_t domctl) {
    return Error(ErrorKind::Hypervisor, std::move(what), -negative_errno, domctl);
}

Error& Error::in_step(BuildStep step) {
    step_ = step;
    return prefix(to_string(step));
}

bool Error::tee_exhausted() const {
    return kind_ == ErrorKind::Hypervisor && err_ == abi::err::kNoSpc && domctl_ == abi::kTeeEnable;
}

Error invalid_field(const std::string& field, const std::string& what) {
    return Error(ErrorKind::InvalidInput, field + ": " + what).set_field(field);
}

std::string Error::message() const {
    if (kind_ == ErrorKind::Hypervisor) return reason_ + " (" + errno_name(err_) + ")";
    return reason_;
}

}  // namespace warden::toolstack
