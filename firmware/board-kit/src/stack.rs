//! Stack painting: the stack area below the boot-time stack pointer is
//! filled with a pattern at boot; the lowest overwritten word later tells
//! how deep the stack has ever been (its high-water mark).

use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicUsize, Ordering};

/// The paint.
pub const PAINT: u32 = 0x5354_4b21; // "STK!"
/// How far below the top of RAM the stack is painted and measured. The
/// server needs a few KiB; a high-water mark equal to this means "at least".
pub const PAINT_WINDOW: usize = 64 * 1024;
/// Bytes left unpainted below the stack pointer of [`paint`] itself.
const SP_MARGIN: usize = 64;

#[cfg(target_os = "none")]
extern "C" {
    /// Top of the stack (cortex-m-rt: end of RAM).
    static _stack_start: u32;
    /// End of .bss/.data/.uninit: the stack must never grow below this.
    static __sheap: u32;
}

/// Lowest painted address (0: not painted).
static BOTTOM: AtomicUsize = AtomicUsize::new(0);

/// Top of the stack.
#[cfg(target_os = "none")]
fn top() -> usize {
    core::ptr::addr_of!(_stack_start) as usize
}

/// Lowest address the stack may reach.
#[cfg(target_os = "none")]
fn heap_start() -> usize {
    core::ptr::addr_of!(__sheap) as usize
}

// A host build (the kit's tests, clippy) has no linker-script symbols and
// paints nothing: an empty window.
#[cfg(not(target_os = "none"))]
fn top() -> usize {
    0
}

#[cfg(not(target_os = "none"))]
fn heap_start() -> usize {
    0
}

/// Paints the unused stack. Call once, early in `main`.
#[inline(never)]
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize;
    let bottom = top().saturating_sub(PAINT_WINDOW).max(heap_start());
    let end = (sp.saturating_sub(SP_MARGIN) & !3).min(top());
    let mut addr = (bottom + 3) & !3;
    let start = addr;
    while addr < end {
        // SAFETY: [bottom, sp - margin) is RAM between the statics and the
        // live stack: nothing else uses it yet.
        unsafe { write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
    BOTTOM.store(start, Ordering::Relaxed);
}

/// Deepest stack use so far, in bytes from the top of RAM.
pub fn high_water() -> usize {
    let bottom = BOTTOM.load(Ordering::Relaxed);
    if bottom == 0 {
        return 0;
    }
    let top = top();
    let mut addr = bottom;
    // SAFETY: reads of the painted area, which is RAM.
    while addr < top && unsafe { read_volatile(addr as *const u32) } == PAINT {
        addr += 4;
    }
    top - addr
}
