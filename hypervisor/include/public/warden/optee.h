// SPDX-License-Identifier: MIT
// OP-TEE's SMC ABI (optee_smc.h / optee_msg.h numbers), as used by the OP-TEE
// mediator, the secure-world firmware's OP-TEE model and the test guests.
#pragma once

#include <cstdint>

namespace warden::abi::optee {

// Function IDs (SMC32; fast = 0xB2000000 | n, yielding = 0x32000000 | n).
inline constexpr uint32_t kCallsCount = 0xBF00FF00;
inline constexpr uint32_t kCallsUid = 0xBF00FF01;
inline constexpr uint32_t kCallsRevision = 0xBF00FF03;
inline constexpr uint32_t kGetOsUuid = 0xB2000000;
inline constexpr uint32_t kGetOsRevision = 0xB2000001;
inline constexpr uint32_t kReturnFromRpc = 0x32000003;
inline constexpr uint32_t kCallWithArg = 0x32000004;
inline constexpr uint32_t kGetShmConfig = 0xB2000007;
inline constexpr uint32_t kL2ccMutex = 0xB2000008;
inline constexpr uint32_t kExchangeCapabilities = 0xB2000009;
inline constexpr uint32_t kDisableShmCache = 0xB200000A;
inline constexpr uint32_t kEnableShmCache = 0xB200000B;
inline constexpr uint32_t kBootSecondary = 0xB200000C;
inline constexpr uint32_t kVmCreated = 0xB200000D;
inline constexpr uint32_t kVmDestroyed = 0xB200000E;
inline constexpr uint32_t kGetThreadCount = 0xB200000F;
inline constexpr uint32_t kEnableAsyncNotif = 0xB2000010;
inline constexpr uint32_t kGetAsyncNotifValue = 0xB2000011;
inline constexpr uint32_t kCallWithRpcArg = 0x32000012;
inline constexpr uint32_t kCallWithRegdArg = 0x32000013;

// Return codes in a0.
inline constexpr uint32_t kOk = 0;
inline constexpr uint32_t kEThreadLimit = 1;
inline constexpr uint32_t kEBusy = 2;
inline constexpr uint32_t kEResume = 3;
inline constexpr uint32_t kEBadAddr = 4;
inline constexpr uint32_t kEBadCmd = 5;
inline constexpr uint32_t kENoMem = 6;
inline constexpr uint32_t kENotAvail = 7;
inline constexpr uint32_t kUnknownFunction = 0xFFFFFFFF;

// RPC requests: a0 of a yielding call that OP-TEE suspended to ask the normal
// world for something; a3 names the suspended thread and must come back
// unchanged in RETURN_FROM_RPC's a3.
inline constexpr uint32_t kRpcPrefix = 0xFFFF0000;
inline constexpr uint32_t kRpcAlloc = 0xFFFF0000;  // a1 = size; answer a1/a2 = PA, a4/a5 = cookie
inline constexpr uint32_t kRpcFree = 0xFFFF0002;   // a1/a2 = cookie
inline constexpr uint32_t kRpcForeignIntr = 0xFFFF0004;  // a normal-world interrupt is pending
inline constexpr uint32_t kRpcCmd = 0xFFFF0005;          // a1/a2 = cookie of an RPC MsgArg
// True when a0 is an RPC request (UNKNOWN_FUNCTION shares the prefix and is not).
constexpr bool is_rpc(uint32_t a0) {
    return a0 != kUnknownFunction && (a0 & 0xFFFF0000u) == kRpcPrefix;
}
// The RPC argument OP-TEE asks for with RPC_ALLOC: a header and 4 parameters.
inline constexpr uint32_t kRpcArgSize = 0xa0;

// Secure-world capabilities (EXCHANGE_CAPABILITIES, a1 on return).
inline constexpr uint32_t kCapHaveReservedShm = 1u << 0;
inline constexpr uint32_t kCapUnregisteredShm = 1u << 1;
inline constexpr uint32_t kCapDynamicShm = 1u << 2;
inline constexpr uint32_t kCapVirtualization = 1u << 3;
inline constexpr uint32_t kCapMemrefNull = 1u << 4;
inline constexpr uint32_t kCapAsyncNotif = 1u << 5;
inline constexpr uint32_t kCapRpcArg = 1u << 6;
inline constexpr uint32_t kCapRpmbProbe = 1u << 7;
// Normal-world capability (a1 on call): the only one defined.
inline constexpr uint32_t kNsecCapUniprocessor = 1u << 0;

// CALLS_UID (API UUID) and GET_OS_UUID words, a0..a3.
inline constexpr uint32_t kApiUid[4] = {0x384fb3e0, 0xe7f811e3, 0xaf630002, 0xa5d5c51b};
inline constexpr uint32_t kOsUuid[4] = {0x486178e0, 0xe7f811e3, 0xbc5e0002, 0xa5d5c51b};
inline constexpr uint32_t kApiRevisionMajor = 2;
inline constexpr uint32_t kApiRevisionMinor = 0;

// The hypervisor's own client ID; guest N has client ID N + 1.
inline constexpr uint16_t kHypervisorClientId = 0;

// ---- The message protocol (CALL_WITH_ARG: a1 = upper, a2 = lower 32 bits of
// the physical address of a page-aligned MsgArg) ----

inline constexpr uint32_t kMsgCmdOpenSession = 0;
inline constexpr uint32_t kMsgCmdInvokeCommand = 1;
inline constexpr uint32_t kMsgCmdCloseSession = 2;
inline constexpr uint32_t kMsgCmdCancel = 3;
inline constexpr uint32_t kMsgCmdRegisterShm = 4;
inline constexpr uint32_t kMsgCmdUnregisterShm = 5;
// Commands in an RPC argument (OP-TEE asking the normal world).
inline constexpr uint32_t kRpcCmdLoadTa = 0;
inline constexpr uint32_t kRpcCmdShmAlloc = 6;
inline constexpr uint32_t kRpcCmdShmFree = 7;

// Parameter attributes: a type in bits 0..7, and flags.
inline constexpr uint64_t kAttrTypeMask = 0xff;
inline constexpr uint64_t kAttrNone = 0;
inline constexpr uint64_t kAttrValueInput = 1;
inline constexpr uint64_t kAttrValueOutput = 2;
inline constexpr uint64_t kAttrValueInout = 3;
inline constexpr uint64_t kAttrRmemInput = 5;
inline constexpr uint64_t kAttrRmemOutput = 6;
inline constexpr uint64_t kAttrRmemInout = 7;
inline constexpr uint64_t kAttrTmemInput = 9;
inline constexpr uint64_t kAttrTmemOutput = 10;
inline constexpr uint64_t kAttrTmemInout = 11;
inline constexpr uint64_t kAttrMeta = 0x100;
inline constexpr uint64_t kAttrNoncontig = 0x200;

// OPEN_SESSION's two META value parameters: the TA's UUID (a, b: its 16 bytes
// as two little-endian words), then the client's login method (c).
inline constexpr uint32_t kLoginPublic = 0;

struct MsgParam {
    uint64_t attr;
    uint64_t a;  // value.a, or tmem buf_ptr, or rmem offs
    uint64_t b;  // value.b, or size
    uint64_t c;  // value.c, or shm_ref
};
static_assert(sizeof(MsgParam) == 32);

struct MsgArg {
    uint32_t cmd;
    uint32_t func;  // INVOKE_COMMAND: the TA's command
    uint32_t session;
    uint32_t cancel_id;
    uint32_t pad;
    uint32_t ret;         // a TEEC_* result
    uint32_t ret_origin;  // kOrigin*
    uint32_t num_params;  // MsgParams follow the header
};
static_assert(sizeof(MsgArg) == 32);
inline constexpr uint32_t kMsgArgMaxParams = (4096 - sizeof(MsgArg)) / sizeof(MsgParam);  // 127

// Results (TEEC_*) and where they came from.
inline constexpr uint32_t kTeecSuccess = 0;
inline constexpr uint32_t kTeecErrorGeneric = 0xFFFF0000;
inline constexpr uint32_t kTeecErrorAccessDenied = 0xFFFF0001;
inline constexpr uint32_t kTeecErrorBadFormat = 0xFFFF0005;
inline constexpr uint32_t kTeecErrorBadParameters = 0xFFFF0006;
inline constexpr uint32_t kTeecErrorItemNotFound = 0xFFFF0008;
inline constexpr uint32_t kTeecErrorNotSupported = 0xFFFF000A;
inline constexpr uint32_t kTeecErrorOutOfMemory = 0xFFFF000C;
inline constexpr uint32_t kTeecErrorBusy = 0xFFFF000D;
inline constexpr uint32_t kOriginApi = 1;
inline constexpr uint32_t kOriginComms = 2;
inline constexpr uint32_t kOriginTee = 3;
inline constexpr uint32_t kOriginTrustedApp = 4;

}  // namespace warden::abi::optee
