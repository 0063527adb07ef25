//! UART0 of the AN385 (an Arm CMSDK APB UART): a blocking, transmit-only
//! writer for the log. QEMU connects it to `-serial`.

use core::ptr::{read_volatile, write_volatile};

/// UART0's register window.
pub const UART0_BASE: usize = 0x4000_4000;
/// Baud rate (QEMU ignores it; a real board's USB-serial bridge does not).
pub const BAUD: u32 = 115_200;

/// Data register: write a byte to send it.
const DATA: usize = 0x00;
/// State register: bit 0 is "TX buffer full".
const STATE: usize = 0x04;
/// Control register: bit 0 enables the transmitter.
const CTRL: usize = 0x08;
/// Baud rate divider: PCLK / baud, at least 16.
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_ENABLE: u32 = 1 << 0;
/// Polls of STATE before a byte is given up (a wedged UART must not hang
/// the board; at 115200 baud a byte takes ~2200 core cycles).
const TX_SPIN_LIMIT: u32 = 100_000;

/// Sets the baud rate from the peripheral clock and enables TX.
pub fn init(pclk_hz: u32) {
    write_reg(BAUDDIV, (pclk_hz / BAUD).max(16));
    write_reg(CTRL, CTRL_TX_ENABLE);
}

/// Sends `bytes`, waiting (bounded) for room before each one: the board's
/// console (`cuatro_board_kit::wire!`).
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        for _ in 0..TX_SPIN_LIMIT {
            if read_reg(STATE) & STATE_TX_FULL == 0 {
                break;
            }
        }
        write_reg(DATA, u32::from(b));
    }
}

fn read_reg(off: usize) -> u32 {
    // SAFETY: UART0's register window on this board.
    unsafe { read_volatile((UART0_BASE + off) as *const u32) }
}

fn write_reg(off: usize, v: u32) {
    // SAFETY: as in read_reg.
    unsafe { write_volatile((UART0_BASE + off) as *mut u32, v) }
}
