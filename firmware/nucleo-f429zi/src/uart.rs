//! USART3 on PD8 (TX): the Nucleo-144's ST-LINK virtual COM port (UM1974,
//! "USART communication": USART3 on PD8/PD9 goes to the ST-LINK by
//! default), 115200 8N1, transmit only: the log.
//!
//! embassy-stm32 sets it up (clock gate, pin, baud rate from APB1); the
//! board's console is then a blocking, bounded write to the data register,
//! a plain `fn(&[u8])` for `cuatro_board_kit::wire!`.

use embassy_stm32::peripherals::{PD8, USART3};
use embassy_stm32::usart::{Config, UartTx};
use embassy_stm32::Peri;

/// Baud rate (8 data bits, no parity, one stop bit: embassy's default).
pub const BAUD: u32 = 115_200;

/// USART3's register block (RM0090 §2.3, memory map).
const USART3_BASE: usize = 0x4000_4800;
/// Status register: bit 7 is "transmit data register empty".
const SR: usize = 0x00;
/// Data register: write a byte to send it.
const DR: usize = 0x04;
const SR_TXE: u32 = 1 << 7;
/// Polls of SR before a byte is sent anyway (a wedged UART must not hang
/// the board): a byte takes 87 µs at 115200 baud, ~15 700 cycles at
/// 180 MHz, and one poll (an APB1 read) is at least 4 of them.
const TX_SPIN_LIMIT: u32 = 20_000;

/// Sets USART3 up on PD8 at [`BAUD`], 8N1, transmitter only. `false` if
/// embassy refused the configuration (the log then goes nowhere).
pub fn init(usart: Peri<'static, USART3>, tx: Peri<'static, PD8>) -> bool {
    let mut config = Config::default();
    config.baudrate = BAUD;
    match UartTx::new_blocking(usart, tx, config) {
        Ok(uart) => {
            // Kept configured for good: dropping the driver would turn the
            // USART and its pin off again. [`write`] drives it from here.
            core::mem::forget(uart);
            true
        }
        Err(_) => false,
    }
}

/// Sends `bytes`, waiting (bounded) for room before each one: the board's
/// console (`cuatro_board_kit::wire!`).
pub fn write(bytes: &[u8]) {
    for &b in bytes {
        for _ in 0..TX_SPIN_LIMIT {
            if read_reg(SR) & SR_TXE != 0 {
                break;
            }
        }
        write_reg(DR, u32::from(b));
    }
}

fn read_reg(off: usize) -> u32 {
    // SAFETY: a register of USART3's block; after [`init`] this module is
    // its only user (the embassy driver was forgotten, not dropped).
    unsafe { core::ptr::read_volatile((USART3_BASE + off) as *const u32) }
}

fn write_reg(off: usize, v: u32) {
    // SAFETY: as in read_reg.
    unsafe { core::ptr::write_volatile((USART3_BASE + off) as *mut u32, v) }
}
