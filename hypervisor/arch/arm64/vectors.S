// SPDX-License-Identifier: Apache-2.0
/*
 * EL2 exception vectors. A trap from a guest saves x0..x30, ELR_EL2 and SPSR_EL2
 * into the running vCPU (TPIDR_EL2 -> PerCpu, whose first word is the current
 * Vcpu*, whose first member is its GuestRegs), calls the C++ handler, then resumes
 * whichever vCPU is current afterwards: switching vCPUs is just changing that
 * pointer. Nothing stays on the EL2 stack between traps.
 */

    .macro SAVE_GUEST
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el2
    ldr     x0, [x0]
    stp     x2, x3, [x0, #16 * 1]
    stp     x4, x5, [x0, #16 * 2]
    stp     x6, x7, [x0, #16 * 3]
    stp     x8, x9, [x0, #16 * 4]
    stp     x10, x11, [x0, #16 * 5]
    stp     x12, x13, [x0, #16 * 6]
    stp     x14, x15, [x0, #16 * 7]
    stp     x16, x17, [x0, #16 * 8]
    stp     x18, x19, [x0, #16 * 9]
    stp     x20, x21, [x0, #16 * 10]
    stp     x22, x23, [x0, #16 * 11]
    stp     x24, x25, [x0, #16 * 12]
    stp     x26, x27, [x0, #16 * 13]
    stp     x28, x29, [x0, #16 * 14]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #16 * 0]
    mrs     x2, elr_el2
    stp     x30, x2, [x0, #240]
    mrs     x3, spsr_el2
    str     x3, [x0, #256]
    .endm

    .macro GUEST_VECTOR kind
    .balign 0x80
    SAVE_GUEST
    mov     x1, #\kind
    b       guest_trap
    .endm

    /* Traps taken from EL2 itself are hypervisor bugs: dump and stop. */
    .macro SELF_VECTOR kind
    .balign 0x80
    sub     sp, sp, #(34 * 8)
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    mov     x1, #\kind
    b       self_trap
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global arm64_vectors
arm64_vectors:
    SELF_VECTOR 0       /* current EL, SP_EL0: sync */
    SELF_VECTOR 1       /* irq */
    SELF_VECTOR 2       /* fiq */
    SELF_VECTOR 3       /* serror */
    SELF_VECTOR 0       /* current EL, SP_ELx: sync */
    SELF_VECTOR 1
    SELF_VECTOR 2
    SELF_VECTOR 3
    GUEST_VECTOR 0      /* lower EL, AArch64: sync */
    GUEST_VECTOR 1      /* irq */
    GUEST_VECTOR 2      /* fiq */
    GUEST_VECTOR 3      /* serror */
    GUEST_VECTOR 4      /* lower EL, AArch32: not supported, handled as unknown */
    GUEST_VECTOR 4
    GUEST_VECTOR 4
    GUEST_VECTOR 4

self_trap:
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    add     x2, sp, #(34 * 8)
    stp     x30, x2, [sp, #16 * 15]  /* x30 and the SP before the trap */
    mov     x0, sp
    bl      arm64_self_trap          /* does not return */
    b       .

guest_trap:
    bl      arm64_guest_trap         /* x0 = Vcpu*, x1 = kind */
    /* fall through */
    .global arm64_resume_guest
arm64_resume_guest:
    mrs     x0, tpidr_el2
    ldr     x0, [x0]
    ldp     x2, x3, [x0, #248]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [x0, #16 * 1]
    ldp     x4, x5, [x0, #16 * 2]
    ldp     x6, x7, [x0, #16 * 3]
    ldp     x8, x9, [x0, #16 * 4]
    ldp     x10, x11, [x0, #16 * 5]
    ldp     x12, x13, [x0, #16 * 6]
    ldp     x14, x15, [x0, #16 * 7]
    ldp     x16, x17, [x0, #16 * 8]
    ldp     x18, x19, [x0, #16 * 9]
    ldp     x20, x21, [x0, #16 * 10]
    ldp     x22, x23, [x0, #16 * 11]
    ldp     x24, x25, [x0, #16 * 12]
    ldp     x26, x27, [x0, #16 * 13]
    ldp     x28, x29, [x0, #16 * 14]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #16 * 0]
    eret
    dsb     nsh
    isb

    /* First entry into a guest: drop whatever the boot path left on the stack. */
    .global arm64_enter_guest
arm64_enter_guest:
    mov     sp, x0
    b       arm64_resume_guest

    /* FP/SIMD state: q0..q31 then FPSR, FPCR. x0 = buffer (528 bytes). */
    .global arm64_fpsimd_save
arm64_fpsimd_save:
    stp     q0, q1, [x0, #32 * 0]
    stp     q2, q3, [x0, #32 * 1]
    stp     q4, q5, [x0, #32 * 2]
    stp     q6, q7, [x0, #32 * 3]
    stp     q8, q9, [x0, #32 * 4]
    stp     q10, q11, [x0, #32 * 5]
    stp     q12, q13, [x0, #32 * 6]
    stp     q14, q15, [x0, #32 * 7]
    stp     q16, q17, [x0, #32 * 8]
    stp     q18, q19, [x0, #32 * 9]
    stp     q20, q21, [x0, #32 * 10]
    stp     q22, q23, [x0, #32 * 11]
    stp     q24, q25, [x0, #32 * 12]
    stp     q26, q27, [x0, #32 * 13]
    stp     q28, q29, [x0, #32 * 14]
    stp     q30, q31, [x0, #32 * 15]
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x3, x0, #512
    stp     x1, x2, [x3]
    ret

    .global arm64_fpsimd_load
arm64_fpsimd_load:
    ldp     q0, q1, [x0, #32 * 0]
    ldp     q2, q3, [x0, #32 * 1]
    ldp     q4, q5, [x0, #32 * 2]
    ldp     q6, q7, [x0, #32 * 3]
    ldp     q8, q9, [x0, #32 * 4]
    ldp     q10, q11, [x0, #32 * 5]
    ldp     q12, q13, [x0, #32 * 6]
    ldp     q14, q15, [x0, #32 * 7]
    ldp     q16, q17, [x0, #32 * 8]
    ldp     q18, q19, [x0, #32 * 9]
    ldp     q20, q21, [x0, #32 * 10]
    ldp     q22, q23, [x0, #32 * 11]
    ldp     q24, q25, [x0, #32 * 12]
    ldp     q26, q27, [x0, #32 * 13]
    ldp     q28, q29, [x0, #32 * 14]
    ldp     q30, q31, [x0, #32 * 15]
    add     x3, x0, #512
    ldp     x1, x2, [x3]
    msr     fpsr, x1
    msr     fpcr, x2
    ret
