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
