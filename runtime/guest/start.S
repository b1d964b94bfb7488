// SPDX-License-Identifier: Apache-2.0
/*
 * Test-guest entry: a self-relocating arm64 Image entered at EL1 with MMU off and
 * x0 = device tree. Records the counter at the very first instruction (for the
 * boot-time benchmark), sets up a stack and EL1 vectors, runs guest_entry().
 */
#include "image_header.S"

    .section .head, "ax"
    .global _start
_start:
    IMAGE_HEADER guest_start

    .text
guest_start:
    mrs     x21, cntpct_el0     /* the platform's clock: the virtual one starts at the domain's creation */
    mov     x19, x0
    adr     x20, _start
    SELF_RELOCATE x20, x1, x2, x3, x4

    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1
    adrp    x1, guest_vectors
    add     x1, x1, :lo12:guest_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    mov     x1, x21
    bl      guest_entry
3:  wfe
    b       3b

    /*
     * Exceptions: x0..x18 and x30 are saved on the current stack and
     * guest_exception(kind, esr, elr, far) decides; it returns the address to
     * resume at (a scenario's hook handled it) or does not return (failure).
     * kind is the vector index: 0-3 current EL with SP_EL0, 4-7 with SP_EL1,
     * 8-11 lower EL AArch64, 12-15 lower EL AArch32 (sync, IRQ, FIQ, SError).
     */
    .macro GUEST_EXC kind
    .balign 0x80
    sub     sp, sp, #(20 * 8)
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x30, [sp, #16 * 9]
    mov     x0, #\kind
    b       guest_exc_common
    .endm

    .balign 0x800
guest_vectors:
    .irp k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    GUEST_EXC \k
    .endr

guest_exc_common:
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      guest_exception
    msr     elr_el1, x0
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x30, [sp, #16 * 9]
    add     sp, sp, #(20 * 8)
    eret
