// SPDX-License-Identifier: Apache-2.0
/*
 * The arm64 Linux `Image` header (64 bytes) and a self-relocating start, shared by
 * every Warden image that is booted like a kernel: the hypervisor and the EL1 test
 * guests. Such an image is linked at address 0 as a position-independent executable
 * and may be loaded at any 2 MiB-aligned address: before touching any pointer in its
 * data it applies its own R_AARCH64_RELATIVE relocations with the load address.
 *
 * Usage: IMAGE_HEADER entry_label   (must be the first thing in the image)
 *        SELF_RELOCATE base_reg, tmp1..tmp4  (clobbers the temporaries)
 */

    .macro IMAGE_HEADER entry
    b       \entry                  /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   __image_size            /* image_size: file plus BSS and stacks */
    .quad   0xa                     /* flags: little-endian, 4K pages, anywhere */
    .quad   0, 0, 0                 /* reserved */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* reserved (PE header offset) */
    .endm

    /* \base = runtime address of the image; walks __rela_start..__rela_end. */
    .macro SELF_RELOCATE base, p, end, off, val
    adrp    \p, __rela_start
    add     \p, \p, :lo12:__rela_start
    adrp    \end, __rela_end
    add     \end, \end, :lo12:__rela_end
1:  cmp     \p, \end
    b.hs    3f
    ldr     \val, [\p, #8]          /* r_info: type in the low 32 bits */
    and     \val, \val, #0xffffffff
    cmp     \val, #1027             /* R_AARCH64_RELATIVE */
    b.ne    2f
    ldr     \off, [\p]              /* r_offset */
    ldr     \val, [\p, #16]         /* r_addend */
    add     \val, \val, \base
    str     \val, [\base, \off]
2:  add     \p, \p, #24
    b       1b
3:
    .endm
