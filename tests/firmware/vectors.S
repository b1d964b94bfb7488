// SPDX-License-Identifier: Apache-2.0
/*
 * EL3 exception vectors. SMCs from the normal world (synchronous exceptions from a
 * lower EL) save x0..x30, ELR, SPSR and ESR in a struct SmcRegs frame on this CPU's
 * EL3 stack, call fw_lower_el_sync and restore everything but what the handler wrote.
 * Every other vector is unexpected: fw_unexpected reports it and stops.
 */
#include "layout.h"

    .macro unexpected_slot n
    .balign 128
    mov     x0, #\n
    b       unexpected_common
    .endm

    .macro lower_sync_slot n
    .balign 128
    sub     sp, sp, #FW_FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\n
    b       lower_sync_common
    .endm

    .section .text.vectors, "ax"
    .balign 2048
    .global fw_vectors
fw_vectors:
    unexpected_slot 0       /* current EL, SP_EL0 */
    unexpected_slot 1
    unexpected_slot 2
    unexpected_slot 3
    unexpected_slot 4       /* current EL, SP_EL3 */
    unexpected_slot 5
    unexpected_slot 6
    unexpected_slot 7
    lower_sync_slot 8       /* lower EL, AArch64 */
    unexpected_slot 9
    unexpected_slot 10
    unexpected_slot 11
    lower_sync_slot 12      /* lower EL, AArch32 */
    unexpected_slot 13
    unexpected_slot 14
    unexpected_slot 15

lower_sync_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x1, elr_el3
    stp     x30, x1, [sp, #240]
    mrs     x2, spsr_el3
    mrs     x3, esr_el3
    stp     x2, x3, [sp, #256]

    mov     w1, w0                  /* vector slot */
    mov     x0, sp                  /* SmcRegs* */
    mrs     x2, far_el3
    bl      fw_lower_el_sync

    ldp     x30, x1, [sp, #240]
    msr     elr_el3, x1
    ldr     x2, [sp, #256]
    msr     spsr_el3, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #FW_FRAME_SIZE
    eret

/* The stack may be what failed: start again from the top of this CPU's stack. */
unexpected_common:
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    add     x1, x1, #1
    ldr     x2, =fw_stacks
    add     x2, x2, x1, lsl #FW_STACK_SHIFT
    mov     sp, x2
    mrs     x1, esr_el3
    mrs     x2, elr_el3
    mrs     x3, far_el3
    mrs     x4, spsr_el3
    bl      fw_unexpected
1:  wfi
    b       1b
