// SPDX-License-Identifier: Apache-2.0
/* Numbers shared by the assembly and the C++ side of the firmware. */
#pragma once

#define FW_MAX_CPUS 8
#define FW_STACK_SHIFT 14 /* 16 KiB of EL3 stack per CPU */

/* The exception frame (struct SmcRegs): x0..x30, ELR, SPSR, ESR, function ID, pad. */
#define FW_FRAME_SIZE (36 * 8)
