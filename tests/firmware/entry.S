// SPDX-License-Identifier: Apache-2.0
/*
 * Reset: QEMU starts every CPU here at EL3, together, with the MMU off. CPU 0 boots
 * the platform; the others wait (fw_secondary_main) until it has set up the memory
 * they will use, then park until PSCI CPU_ON.
 */
#include "layout.h"

    .section .text.entry, "ax"
    .global _start
_start:
    ldr     x1, =fw_vectors
    msr     vbar_el3, x1
    isb

    /* A GICv2 virt machine has one cluster: Aff0 = CPU index < FW_MAX_CPUS. */
    mrs     x0, mpidr_el1
    ldr     x1, =0xff00ffff00
    tst     x0, x1
    b.ne    stray_cpu
    and     x0, x0, #0xff
    cmp     x0, #FW_MAX_CPUS
    b.hs    stray_cpu

    ldr     x1, =fw_stacks
    add     x2, x0, #1
    add     x1, x1, x2, lsl #FW_STACK_SHIFT
    mov     sp, x1
    cbnz    x0, secondary

    /* Only the primary writes .bss and .data; secondaries use nothing but their
     * stacks (outside .bss) until the primary releases them. */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  ldr     x1, =__data_load
    ldr     x2, =__data_start
    ldr     x3, =__data_end
3:  cmp     x2, x3
    b.hs    4f
    ldp     x4, x5, [x1], #16
    stp     x4, x5, [x2], #16
    b       3b
4:  ldr     x19, =__init_array_start
    ldr     x20, =__init_array_end
5:  cmp     x19, x20
    b.hs    6f
    ldr     x1, [x19], #8
    blr     x1
    b       5b
6:  bl      fw_primary_main
    b       stray_cpu

secondary:
    bl      fw_secondary_main

stray_cpu:
    wfi
    b       stray_cpu

/*
 * void fw_eret(entry, spsr, x0, sp_el3): leaves EL3 with every other general-purpose
 * register zero, so nothing of the firmware's state reaches the normal world, and
 * with this CPU's EL3 stack reset for the next exception.
 */
    .text
    .global fw_eret
fw_eret:
    msr     elr_el3, x0
    msr     spsr_el3, x1
    mov     sp, x3
    mov     x0, x2
    .irp    n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    mov     x\n, xzr
    .endr
    .irp    n, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    mov     x\n, xzr
    .endr
    eret

/* void fw_call_on_stack(sp, fn, arg): fn(arg) on a fresh stack; fn does not return. */
    .global fw_call_on_stack
fw_call_on_stack:
    mov     sp, x0
    mov     w0, w2
    br      x1

    .section .stacks, "aw", %nobits
    .balign 16
    .global fw_stacks
fw_stacks:
    .space  FW_MAX_CPUS << FW_STACK_SHIFT
