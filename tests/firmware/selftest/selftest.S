// SPDX-License-Identifier: Apache-2.0
/*
 * Firmware self-test: an arm64 `Image` the firmware boots in place of the hypervisor.
 * It checks the boot contract (EL2, x0 = device tree) and the firmware's SMC services,
 * prints PASS or FAIL <code> on the normal-world UART and ends the run through the SiP
 * exit call with status 0 or <code>. Position independent: it runs wherever the
 * firmware loads it (opt/warden/load-addr).
 *
 * Under QEMU's -icount one thread runs the vCPUs in turn, and a vCPU that gives up its
 * turn early (wfe, or a timer register write) is not run again while the other spins.
 * So the CPU that waits yields with wfe, and the CPU it waits for never does.
 */

#define UART            0x09000000
#define DTB             0x40000000
#define GICD            0x08000000
#define GICC            0x08010000
#define HYP_TIMER_PPI   26

#define SMCCC_VERSION   0x80000000
#define ARCH_FEATURES   0x80000001
#define PSCI_VERSION    0x84000000
#define PSCI_CPU_OFF    0x84000002
#define PSCI_CPU_ON     0xC4000003
#define PSCI_AFF_INFO   0xC4000004
#define PSCI_FEATURES   0x8400000A
#define SIP_EXIT        0x82000001

/* The last call: the SiP exit by default; -DSELFTEST_END=0x84000008 (SYSTEM_OFF) or
 * 0x84000009 (SYSTEM_RESET) checks those paths instead. */
#ifndef SELFTEST_END
#define SELFTEST_END    SIP_EXIT
#endif

#define CPU_ON_CONTEXT  0x5e1f7e57c0de0001
#define CPU_ON_CONTEXT2 0x5e1f7e57c0de0002

    /* x0 = fid, x1..x3 = arguments; smc; the result stays in x0..x3. */
    .macro call fid, a1=0, a2=0, a3=0
    ldr     x0, =\fid
    ldr     x1, =\a1
    ldr     x2, =\a2
    ldr     x3, =\a3
    smc     #0
    .endm

    /* Fails with `code` unless reg == value. */
    .macro expect reg, value, code
    ldr     x9, =\value
    cmp     \reg, x9
    b.eq    .Lok\@
    mov     x10, \reg
    mov     x0, #\code
    b       fail
.Lok\@:
    .endm

    .text
head:
    b       start                   /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   image_end - head        /* image_size */
    .quad   0xa                     /* flags: little-endian, 4K pages, anywhere */
    .quad   0, 0, 0
    .ascii  "ARM\x64"               /* magic */
    .long   0

start:
    mov     x19, x0
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.eq    1f
    mov     x0, #10
    b       fail
1:  expect  x19, DTB, 11
    ldr     w1, [x19]
    rev     w1, w1
    expect  x1, 0xd00dfeed, 12

    adr     x0, msg_start
    bl      puts

    call    SMCCC_VERSION
    expect  x0, 0x10001, 13
    call    PSCI_VERSION
    expect  x0, 0x10001, 14
    call    PSCI_FEATURES, PSCI_CPU_ON
    expect  x0, 0, 15
    call    PSCI_FEATURES, SMCCC_VERSION
    expect  x0, 0, 16
    call    PSCI_FEATURES, 0x8400ffff
    expect  x0, 0xffffffff, 17
    call    0x82000f00              /* unknown SiP SMC32: 32-bit -1, zero-extended */
    expect  x0, 0xffffffff, 18
    call    0xC2000f00              /* unknown SMC64: 64-bit -1 */
    expect  x0, 0xffffffffffffffff, 19
    call    0xB2000ff0              /* unknown Trusted OS call: 32-bit -1 with or without OP-TEE */
    expect  x0, 0xffffffff, 20
    call    0x02000000              /* a yielding call outside the Trusted OS range */
    expect  x0, 0xffffffff, 37
    call    ARCH_FEATURES, SMCCC_VERSION
    expect  x0, 0, 22
    call    ARCH_FEATURES, 0x80008000
    expect  x0, 0xffffffff, 23

    /* Every register but x0..x3 comes back unchanged (x19, the device tree address,
     * rides in x30 meanwhile; x9 is checked first because `expect` uses it). */
    .irp    n, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
    ldr     x\n, =(0x0101010101010101 * \n)
    .endr
    .irp    n, 17, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
    ldr     x\n, =(0x0101010101010101 * \n)
    .endr
    mov     x30, x19
    call    PSCI_VERSION
    mov     x19, x30
    mov     x0, x9
    expect  x0, (0x0101010101010101 * 9), 21
    .irp    n, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16
    expect  x\n, (0x0101010101010101 * \n), 21
    .endr
    .irp    n, 17, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
    expect  x\n, (0x0101010101010101 * \n), 21
    .endr
    expect  x19, DTB, 21

    bl      ppi_test
    mov     x10, x0
    cmp     x0, #0
    b.eq    1f
    mov     x0, #38
    b       fail
1:
    /* Secondary CPU life cycle: OFF -> CPU_ON -> ON -> CPU_OFF -> OFF -> CPU_ON. */
    call    PSCI_AFF_INFO, 1, 0
    expect  x0, 1, 24
    call    PSCI_AFF_INFO, 1, 1
    expect  x0, 0xfffffffffffffffe, 36
    call    PSCI_CPU_ON, 0x100, 0, 0   /* cluster 1: never exists with GICv2 */
    expect  x0, 0xfffffffffffffffe, 30

    adr     x20, flag
    adr     x21, go_off
    adr     x22, secondary
    ldr     x0, =PSCI_CPU_ON
    mov     x1, #1
    mov     x2, x22
    ldr     x3, =CPU_ON_CONTEXT
    smc     #0
    expect  x0, 0, 25
    mov     x0, #26
    bl      wait_flag
    expect  x1, CPU_ON_CONTEXT, 27
    call    PSCI_AFF_INFO, 1, 0
    expect  x0, 0, 28
    ldr     x0, =PSCI_CPU_ON
    mov     x1, #1
    mov     x2, x22
    smc     #0
    expect  x0, 0xfffffffffffffffc, 29
    call    PSCI_CPU_ON, 1, 0x1000, 0
    expect  x0, 0xfffffffffffffff7, 31

    str     xzr, [x20]
    mov     x1, #1
    stlr    x1, [x21]               /* let the secondary call CPU_OFF */
    sev
    ldr     x23, =2000000
2:  subs    x23, x23, #1
    b.ne    3f
    ldr     x10, [x20]              /* what the secondary reported, if anything */
    mov     x0, #32
    b       fail
3:  wfe
    call    PSCI_AFF_INFO, 1, 0
    cmp     x0, #1
    b.ne    2b

    call    PSCI_CPU_OFF            /* the last CPU on may not go off */
    expect  x0, 0xfffffffd, 33

    str     xzr, [x21]
    ldr     x0, =PSCI_CPU_ON
    mov     x1, #1
    mov     x2, x22
    ldr     x3, =CPU_ON_CONTEXT2
    smc     #0
    expect  x0, 0, 34
    mov     x0, #35
    bl      wait_flag
    expect  x1, CPU_ON_CONTEXT2, 35

    adr     x0, msg_pass
    bl      puts
    ldr     x0, =SELFTEST_END
    mov     x1, #0
    smc     #0
    b       hang

/* x0 = failure code, x10 = the value that was wrong (if any). Reports them and ends
 * the run with the code as the status. */
fail:
    mov     x20, x0
    mov     x21, x10
    adr     x0, msg_fail
    bl      puts
    mov     x0, x20
    bl      put_dec
    adr     x0, msg_got
    bl      puts
    mov     x0, x21
    bl      put_hex
    adr     x0, msg_nl
    bl      puts
    ldr     x0, =SIP_EXIT
    mov     x1, x20
    smc     #0
hang:
    wfi
    b       hang

/* Waits for the secondary to store its context in `flag` (x20); fails with x0 on
 * timeout. Returns the value in x1. */
wait_flag:
    mov     x24, x0
    ldr     x23, =20000000
1:  ldar    x1, [x20]
    cbnz    x1, 2f
    wfe
    subs    x23, x23, #1
    b.ne    1b
    mov     x0, x24
    b       fail
2:  ret

/* Entry for CPU 1 (CPU_ON): x0 = context id. Records it (0xbad if not at EL2, 0xbad1 if
 * its timer interrupt does not arrive), then calls CPU_OFF when the primary asks. */
secondary:
    mov     x19, x0
    mrs     x1, CurrentEL
    cmp     x1, #(2 << 2)
    b.eq    1f
    mov     x19, #0xbad
1:  bl      ppi_test
    cbz     x0, 1f
    mov     x19, #0xbad1
1:  mov     x0, x19
    adr     x20, flag
    adr     x21, go_off
    stlr    x0, [x20]
    sev
2:  ldar    x1, [x21]
    cbnz    x1, 3f
    b       2b
3:  ldr     x0, =PSCI_CPU_OFF
    smc     #0
    mov     x0, #0xdead             /* CPU_OFF returned */
    stlr    x0, [x20]
    b       hang

/* ppi_test: sets up the GIC's non-secure side the way the hypervisor does and waits for
 * the EL2 physical timer's PPI on this CPU. x0 = 0 if it arrived. Clobbers x0..x6. */
ppi_test:
    ldr     x1, =GICD
    ldr     x2, =GICC
    mov     w3, #1
    str     w3, [x1]                        /* GICD_CTLR: Group 1 on */
    mov     w3, #0xa0
    strb    w3, [x1, #(0x400 + HYP_TIMER_PPI)]  /* GICD_IPRIORITYR */
    mov     w3, #(1 << HYP_TIMER_PPI)
    str     w3, [x1, #0x100]                /* GICD_ISENABLER0 */
    mov     w3, #0xf0
    str     w3, [x2, #0x4]                  /* GICC_PMR */
    mov     w3, #1
    str     w3, [x2]                        /* GICC_CTLR */
    mov     x3, #1000
    msr     cnthp_tval_el2, x3
    mov     x3, #1
    msr     cnthp_ctl_el2, x3               /* enabled, not masked */
    isb
    ldr     x4, =1000000
1:  ldr     w5, [x2, #0xc]                  /* GICC_IAR (acknowledges) */
    and     w6, w5, #0x3ff
    cmp     w6, #HYP_TIMER_PPI
    b.eq    2f
    subs    x4, x4, #1
    b.ne    1b
    mov     x0, #1
    b       3f
2:  msr     cnthp_ctl_el2, xzr
    isb
    str     w5, [x2, #0x10]                 /* GICC_EOIR */
    mov     x0, #0
3:  msr     cnthp_ctl_el2, xzr
    mov     w3, #(1 << HYP_TIMER_PPI)
    str     w3, [x1, #0x180]                /* GICD_ICENABLER0 */
    ret

/* puts(x0): NUL-terminated string to the UART. Clobbers x0..x2. */
puts:
    ldr     x1, =UART
1:  ldrb    w2, [x0], #1
    cbz     w2, 2f
    str     w2, [x1]
    b       1b
2:  ret

/* put_dec(x0 < 100): two decimal digits. Clobbers x0..x3. */
put_dec:
    ldr     x1, =UART
    mov     x2, #10
    udiv    x3, x0, x2
    msub    x0, x3, x2, x0
    add     w3, w3, #'0'
    str     w3, [x1]
    add     w0, w0, #'0'
    str     w0, [x1]
    ret

/* put_hex(x0): 16 hex digits. Clobbers x0..x4. */
put_hex:
    ldr     x1, =UART
    mov     x2, #60
1:  lsr     x3, x0, x2
    and     x3, x3, #0xf
    cmp     x3, #10
    add     x4, x3, #'0'
    add     x3, x3, #('a' - 10)
    csel    x3, x4, x3, lo
    str     w3, [x1]
    subs    x2, x2, #4
    b.pl    1b
    ret

msg_start:  .asciz "selftest: EL2, device tree at 0x40000000\r\n"
msg_pass:   .asciz "selftest: PASS\r\n"
msg_fail:   .asciz "selftest: FAIL "
msg_got:    .asciz " (value 0x"
msg_nl:     .asciz ")\r\n"

    .ltorg
    .balign 8
flag:   .quad 0
go_off: .quad 0
image_end:
