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

/// UART0, transmit side.
#[derive(Clone, Copy)]
pub struct Uart {
    base: usize,
}

impl Uart {
    /// UART0. Several values may exist (the panic handler makes its own):
    /// each only ever writes whole bytes to the data register.
    pub const fn uart0() -> Self {
        Uart { base: UART0_BASE }
    }

    /// Sets the baud rate from the peripheral clock and enables TX.
    pub fn init(&self, pclk_hz: u32) {
        self.write_reg(BAUDDIV, (pclk_hz / BAUD).max(16));
        self.write_reg(CTRL, CTRL_TX_ENABLE);
    }

    /// Sends `bytes`, waiting for room before each one.
    pub fn write_bytes(&self, bytes: &[u8]) {
        for &b in bytes {
            for _ in 0..TX_SPIN_LIMIT {
                if self.read_reg(STATE) & STATE_TX_FULL == 0 {
                    break;
                }
            }
            self.write_reg(DATA, u32::from(b));
        }
    }

    fn read_reg(&self, off: usize) -> u32 {
        // SAFETY: UART0's register window on this board.
        unsafe { read_volatile((self.base + off) as *const u32) }
    }

    fn write_reg(&self, off: usize, v: u32) {
        // SAFETY: as in read_reg.
        unsafe { write_volatile((self.base + off) as *mut u32, v) }
    }
}
