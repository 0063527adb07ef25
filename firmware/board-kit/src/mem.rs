//! A small `__aeabi_memmove8`. The only memmove a board image calls is
//! smoltcp's neighbor cache dropping an entry (one 24-byte element, in
//! heapless's `swap_remove`); compiler_builtins' `memmove`, which its weak
//! `__aeabi_memmove8` calls, is 658 B of flash for it. This strong
//! definition is a byte loop (volatile, so LLVM does not turn it back into
//! a `memmove` call) and leaves compiler_builtins' out of the image: ~640 B
//! of flash on the MPS2 board (measured 2026-12-02). `memcpy` and the
//! other variants stay compiler_builtins' (the fast ones).

/// `memmove` for 8-aligned `dst` and `src` (the AEABI contract; any
/// alignment works): copies `n` bytes, the regions may overlap.
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn __aeabi_memmove8(dst: *mut u8, src: *const u8, n: usize) {
    use core::ptr::{read_volatile, write_volatile};
    if (dst as usize) <= (src as usize) {
        for i in 0..n {
            // SAFETY: the caller's contract; forward is safe when dst <= src.
            unsafe { write_volatile(dst.add(i), read_volatile(src.add(i))) };
        }
    } else {
        for i in (0..n).rev() {
            // SAFETY: as above; backward is safe when dst > src.
            unsafe { write_volatile(dst.add(i), read_volatile(src.add(i))) };
        }
    }
}

/// `memcpy` for Thumb-2 (ARMv7-M and up, where LDR/STR may be unaligned):
/// 16-byte `LDM`/`STM` blocks when both pointers are word-aligned, else a
/// word at a time with unaligned `LDR`/`STR`, then the last bytes. It
/// replaces compiler_builtins' (306 B of flash, a word per iteration and
/// shifts for a misaligned source) in the image: ~60 B, and about a
/// quarter of an instruction a byte on the aligned path (the upload's
/// frames into the socket buffer). Never used on device memory (MMIO is
/// accessed with volatile reads and writes).
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes, not overlapping.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn __aeabi_memcpy(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!(
        "push {{r4, r5}}",
        "orr r3, r0, r1",
        "lsls r3, r3, #30",
        "bne 3f",
        // Both word-aligned: 16-byte blocks.
        "1:",
        "subs r2, r2, #16",
        "blo 2f",
        "ldmia r1!, {{r3, r4, r5, r12}}",
        "stmia r0!, {{r3, r4, r5, r12}}",
        "b 1b",
        "2:",
        "adds r2, r2, #16",
        "b 5f",
        // Misaligned: a word at a time (unaligned LDR/STR are allowed).
        "3:",
        "subs r2, r2, #4",
        "blo 4f",
        "ldr r3, [r1], #4",
        "str r3, [r0], #4",
        "b 3b",
        "4:",
        "adds r2, r2, #4",
        // The last bytes.
        "5:",
        "cbz r2, 7f",
        "6:",
        "ldrb r3, [r1], #1",
        "strb r3, [r0], #1",
        "subs r2, r2, #1",
        "bne 6b",
        "7:",
        "pop {{r4, r5}}",
        "bx lr",
    )
}

/// [`__aeabi_memcpy`] (the word-aligned AEABI variant).
///
/// # Safety
/// As `__aeabi_memcpy`.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn __aeabi_memcpy4(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!("b {f}", f = sym __aeabi_memcpy)
}

/// [`__aeabi_memcpy`] (the doubleword-aligned AEABI variant).
///
/// # Safety
/// As `__aeabi_memcpy`.
#[cfg(all(target_arch = "arm", target_feature = "thumb2"))]
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn __aeabi_memcpy8(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!("b {f}", f = sym __aeabi_memcpy)
}
