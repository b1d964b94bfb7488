// SPDX-License-Identifier: Apache-2.0
/*
 * Hypervisor entry: the firmware (or any Linux-capable boot loader) jumps here at
 * EL2 with the MMU off and x0 = physical address of the device tree -- or, from
 * TF-A's QEMU port, x0 = the CPU's MPIDR (arm64_main finds the tree then).
 */
#include "image_header.S"

    .section .head, "ax"
    .global _start
_start:
    IMAGE_HEADER primary_entry

    .text
primary_entry:
    mov     x19, x0                 /* device tree */
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.ne    not_el2

    adr     x20, _start
    SELF_RELOCATE x20, x1, x2, x3, x4

    /* Clear BSS (the stack lives there too, so do it before using the stack). */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:
    adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1

    /* Vectors before the first access that can fault (the device tree): a fault
     * from here on is reported on the console instead of looping silently. */
    adrp    x1, arm64_vectors
    add     x1, x1, :lo12:arm64_vectors
    msr     vbar_el2, x1
    isb

    /* Stack-protector canary from the counter: differs boot to boot on hardware. */
    mrs     x1, cntpct_el0
    ldr     x2, =0x9e3779b97f4a7c15
    eor     x1, x1, x2
    adrp    x2, __stack_chk_guard
    str     x1, [x2, :lo12:__stack_chk_guard]

    mov     x0, x19
    mov     x1, x20
    bl      arm64_main
    b       halt

not_el2:
    /* Nothing can be reported without knowing the console: just stop. */
halt:
    wfe
    b       halt
