//! # cuatro-board-kit — what every cuatro board shares
//!
//! A board crate is its Ethernet driver (a `smoltcp::phy::Device`), its
//! wiring (clock tree, pins, UART, memory map) and a `main` that hands the
//! rest to this crate:
//!
//! | module | what |
//! |---|---|
//! | [`run`] | the board's constants ([`run::Board`]), its server configuration, the `listening on` line, the main loop (`Server::poll`, then WFI until the NIC or the next deadline) |
//! | [`nic`] | the [`nic::Nic`] trait a board implements on its driver, the interrupt flag, MAC helpers |
//! | [`log`] | the log, `[   s.mmm] LEVEL message`, without `core::fmt` |
//! | [`console`] | where the log goes: the board's `cuatro_console_write` |
//! | [`clock`] | the 1 ms SysTick clock |
//! | [`stack`] | stack painting and the high-water mark |
//! | [`meter`] | the board measures itself: busy time outside WFI per game reply and uploaded byte, the `meter:` line |
//! | [`storage`] | upload sinks: kept in RAM, or streamed (length + CRC-32 only) |
//! | [`fault`] | hard fault and panic: a log line and a reset |
//! | `mem` | (boards only) a small `__aeabi_memmove8`: compiler_builtins' costs 658 B for one 24-byte call |
//! | `cpu_bench` | (feature `cpu-bench`) times `dificil` moves at boot, for docs/CPU.md |
//!
//! The board measures itself: the loop logs, at most once a second and
//! only when the counts changed (and once at boot),
//!
//! ```text
//! [  12.345] INFO  meter: replies=1234 upload_bytes=4194308 busy_us=2718281
//! ```
//!
//! game replies queued, upload bytes taken and microseconds spent outside
//! WFI since boot ([`meter`]). Under `run-qemu --icount` a busy
//! microsecond is 31.25 instructions: two lines give instructions per
//! action and per uploaded byte (`firmware/<board>/measure`, and
//! `cuatro bench-suite`'s "@ 31.25 MIPS" rows).
//!
//! The exception handlers and the vector table's interrupt part must be
//! defined in the final binary; [`wire!`] writes them there:
//!
//! ```ignore
//! cuatro_board_kit::wire! {
//!     console: uart::write,   // fn(&[u8]): the board's UART
//!     nic_irq: NIC_IRQ,       // cuatro_board_kit::nic::Irq
//!     irq_lines: 32,          // interrupt lines in the vector table
//! }
//! ```
#![no_std]
#![deny(missing_docs)]

pub mod clock;
pub mod console;
#[cfg(feature = "cpu-bench")]
pub mod cpu_bench;
pub mod crc32;
pub mod fault;
pub mod log;
#[cfg(target_os = "none")]
pub mod mem;
pub mod meter;
pub mod nic;
pub mod run;
pub mod stack;
pub mod storage;

#[cfg(test)]
mod tests;

/// Writes a board's handlers into its binary: the console function the log
/// calls, `SysTick` (the clock), `DefaultHandler` (the NIC's line, every
/// other line masked), `HardFault` and the panic handler (a log line and a
/// reset), and the interrupt part of the vector table, `irq_lines` entries
/// that all go to `DefaultHandler` (cortex-m-rt's generic table has 240:
/// flash a board never uses). The board crate depends on `cortex-m-rt`
/// with its `device` feature and provides an empty `device.x`.
///
/// A board whose PAC (or HAL) owns the vector table writes only
/// `wire! { console: uart::write }`: the console, `SysTick`, `HardFault` and
/// the panic handler; its NIC's interrupt handler is its own and must call
/// [`nic::raise_event`] (the loop sleeps until that event or the server's
/// next deadline: SysTick ends each WFI, but only an event or a deadline
/// ends the sleep).
#[macro_export]
macro_rules! wire {
    (console: $console:path $(,)?) => {
        /// The log's output (see `cuatro_board_kit::console`).
        #[no_mangle]
        fn cuatro_console_write(bytes: &[u8]) {
            $console(bytes)
        }

        #[::cortex_m_rt::exception]
        fn SysTick() {
            $crate::clock::tick();
        }

        #[::cortex_m_rt::exception]
        unsafe fn HardFault(frame: &::cortex_m_rt::ExceptionFrame) -> ! {
            $crate::fault::hard_fault(frame.pc(), frame.lr())
        }

        #[panic_handler]
        fn panic(info: &::core::panic::PanicInfo<'_>) -> ! {
            $crate::fault::panic(info)
        }
    };
    (console: $console:path, nic_irq: $irq:expr, irq_lines: $lines:expr $(,)?) => {
        $crate::wire! { console: $console }

        /// Every external interrupt lands here (no PAC, so no per-line vectors).
        #[::cortex_m_rt::exception]
        unsafe fn DefaultHandler(irqn: i16) {
            $crate::nic::on_interrupt(irqn, $irq);
        }

        extern "C" {
            /// `DefaultHandler` above, by its link name.
            fn DefaultHandler();
        }

        /// The interrupt part of the vector table.
        #[link_section = ".vector_table.interrupts"]
        #[no_mangle]
        #[used]
        pub static __INTERRUPTS: [unsafe extern "C" fn(); $lines] = [DefaultHandler; $lines];
    };
}
