//! Where the log's bytes go: a function the board provides.
//!
//! Each board has its own UART. Rather than making every logging call
//! generic over it, the kit calls one function by link name,
//! `cuatro_console_write`, which the board defines through [`crate::wire!`]
//! (the `critical-section` and `defmt` crates link their back ends the same
//! way). A board that forgets it does not link: the error names the symbol.

extern "Rust" {
    /// Writes `bytes` to the board's console (blocking, bounded).
    fn cuatro_console_write(bytes: &[u8]);
}

/// Sends `bytes` to the board's console.
#[inline]
pub fn write(bytes: &[u8]) {
    // SAFETY: `cuatro_console_write` is defined by `wire!` in the board
    // crate with exactly this signature; it has no other precondition.
    unsafe { cuatro_console_write(bytes) }
}
