// SPDX-License-Identifier: Apache-2.0
// Boot options, given to QEMU as fw_cfg files:
//   -fw_cfg name=opt/warden/load-addr,string=0x40200000   where the hypervisor goes
//   -fw_cfg name=opt/warden/test-mode,string=1            semihosting may end the run
//   -fw_cfg name=opt/warden/tee-guests,string=2           OP-TEE model's guest limit (1-16)
//   -fw_cfg name=opt/warden/no-tee,string=1               no Trusted OS at all
//   -fw_cfg name=opt/warden/tee-trace,string=1            log every OP-TEE call
//   -fw_cfg name=opt/warden/tee-bench,string=1            log the secure world's own cost
//                                                         of calls that read page lists
//   -fw_cfg name=opt/warden/handoff,string=tfa            x0 = MPIDR, as TF-A's BL33 handoff
//   -fw_cfg name=opt/warden/reserve-optee,string=1        OP-TEE's /reserved-memory, as TF-A
#pragma once

#include <cstdint>

namespace warden::fw {

inline constexpr uint64_t kDefaultLoadAddr = 0x40200000;
inline constexpr uint64_t kLoadAlign = 2 * 1024 * 1024;

struct Options {
    bool test_mode = false;
    uint64_t load_addr = kDefaultLoadAddr;
    bool tee = true;          // the OP-TEE model answers the Trusted OS range
    uint32_t tee_guests = 2;  // like OP-TEE's CFG_VIRT_GUEST_COUNT default
    bool tee_trace = false;
    bool tee_bench = false;
    // Enter the hypervisor as TF-A's QEMU port does (x0 = MPIDR & 0xffff, the tree
    // left at the start of RAM) instead of with x0 = the device tree.
    bool handoff_tfa = false;
    bool reserve_optee = false;  // edit the tree as TF-A + OP-TEE do
};

// Reads every opt/warden/ file. Test mode is read first and set in *out even when a
// later option is bad, so a test run still gets its failure status. Logs each problem;
// returns false if any option is invalid.
bool read_options(Options* out);

// "0x..." hexadecimal or decimal, nothing else, no overflow.
bool parse_u64(const char* s, uint64_t* out);

}  // namespace warden::fw
