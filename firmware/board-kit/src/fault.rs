//! What a board does when it faults or panics: one log line, then a reset.
//! The handlers themselves are written into the board by [`crate::wire!`]
//! (a handler must be defined in the final binary to win over
//! cortex-m-rt's defaults); these are their bodies.

use crate::log;
use cortex_m::peripheral::SCB;

/// A hard fault at `pc` (return address `lr`): logged, then a system reset.
/// `arm-none-eabi-addr2line -e <elf> <pc>` names the line.
#[inline(always)]
pub fn hard_fault(pc: u32, lr: u32) -> ! {
    log::error()
        .s("hard fault: pc=0x")
        .hex8(pc)
        .s(" lr=0x")
        .hex8(lr)
        .s("; resetting")
        .end();
    SCB::sys_reset()
}

/// A panic: its location logged, then a system reset. Only reached in a
/// build without `-C panic=immediate-abort` (the boards' default traps a
/// panic straight into the hard fault handler instead).
pub fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    // The location only: formatting the message would link core::fmt and
    // every Debug impl a core panic can print (kilobytes of flash for a
    // message that must never appear).
    let line = log::error().s("panic");
    let line = match info.location() {
        Some(at) => line.s(" at ").s(at.file()).s(":").dec(at.line()),
        None => line,
    };
    line.s("; resetting").end();
    SCB::sys_reset()
}
