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
    mrs     x21, cntvct_el0
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

    /* Any exception a test guest takes is unexpected: report it and fail. */
    .macro GUEST_EXC kind
    .balign 0x80
    mov     x0, #\kind
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       guest_exception
    .endm

    .balign 0x800
guest_vectors:
    .irp k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    GUEST_EXC \k
    .endr
