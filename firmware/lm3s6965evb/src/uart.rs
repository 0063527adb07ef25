//! UART0 of the LM3S6965 (an Arm PL011 derivative; QEMU models it as the
//! "luminary" PL011): a blocking, transmit-only writer for the log. QEMU
//! connects it to `-serial`; on the evaluation board it is the USB virtual
//! COM port.

use core::ptr::{read_volatile, write_volatile};

/// UART0's register window.
pub const UART0_BASE: usize = 0x4000_C000;
/// Baud rate.
pub const BAUD: u32 = 115_200;

/// Data register: write a byte to send it.
const DR: usize = 0x000;
/// Flag register: bit 5 is "TX FIFO full".
const FR: usize = 0x018;
/// Integer and fractional baud rate divisors (latched by a write of LCRH).
const IBRD: usize = 0x024;
const FBRD: usize = 0x028;
/// Line control: word length, FIFOs.
const LCRH: usize = 0x02C;
/// Control: UART, transmitter and receiver enables.
const CTL: usize = 0x030;

const FR_TXFF: u32 = 1 << 5;
/// 8 data bits, FIFOs on.
const LCRH_8N1_FIFO: u32 = (0b11 << 5) | (1 << 4);
const CTL_UARTEN: u32 = 1 << 0;
const CTL_TXE: u32 = 1 << 8;
/// Polls of FR before a byte is given up (a wedged UART must not hang the
/// board; at 115200 baud a byte takes ~4300 core cycles at 50 MHz).
const TX_SPIN_LIMIT: u32 = 100_000;

/// Sets 115200 8N1 from the system clock and enables TX.
pub fn init(sysclk_hz: u32) {
    // Divisor = sysclk / (16 * baud) in 1/64ths, rounded.
    let div64 = (sysclk_hz * 4 + BAUD / 2) / BAUD;
    write_reg(CTL, 0);
    write_reg(IBRD, div64 / 64);
    write_reg(FBRD, div64 % 64);
    write_reg(LCRH, LCRH_8N1_FIFO);
    write_reg(CTL, CTL_UARTEN | CTL_TXE);
}

/// Sends `bytes`, waiting (bounded) for room before each one: the board's
/// console (`cuatro_board_kit::wire!`).
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        for _ in 0..TX_SPIN_LIMIT {
            if read_reg(FR) & FR_TXFF == 0 {
                break;
            }
        }
        write_reg(DR, u32::from(b));
    }
}

fn read_reg(off: usize) -> u32 {
    // SAFETY: UART0's register window on this chip.
    unsafe { read_volatile((UART0_BASE + off) as *const u32) }
}

fn write_reg(off: usize, v: u32) {
    // SAFETY: as in read_reg.
    unsafe { write_volatile((UART0_BASE + off) as *mut u32, v) }
}
