// SPDX-License-Identifier: MIT
// Error numbers the hypervisor returns across its ABI, negated (Linux numbering, so
// a dom0 toolstack can hand them to strerror()). Named kXxx rather than EXXX so the
// header can sit next to <cerrno> in host code.
#pragma once

namespace warden::abi::err {

inline constexpr int kPerm = 1;    // EPERM: caller not allowed
inline constexpr int kNoEnt = 2;   // ENOENT
inline constexpr int kSrch = 3;    // ESRCH: no such domain
inline constexpr int kIo = 5;      // EIO
inline constexpr int kTooBig = 7;  // E2BIG
inline constexpr int kNoMem = 12;  // ENOMEM
inline constexpr int kFault = 14;  // EFAULT: bad guest address
inline constexpr int kBusy = 16;   // EBUSY: wrong state
inline constexpr int kExist = 17;  // EEXIST
inline constexpr int kNoDev = 19;  // ENODEV: no such device / mediator
inline constexpr int kInval = 22;  // EINVAL
inline constexpr int kNoSpc = 28;  // ENOSPC: resource exhausted
inline constexpr int kRange = 34;  // ERANGE
inline constexpr int kNoSys = 38;  // ENOSYS
inline constexpr int kOpNotSupp = 95;

}  // namespace warden::abi::err
