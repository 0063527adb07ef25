//! UART0 on GP0 (TX) and GP1 (RX), 115200 8N1: the log. rp2040-hal sets it
//! up (reset, baud divisors from the peripheral clock, pin functions); the
//! console the kit calls writes its data register directly, transmit only.

use rp2040_hal::fugit::RateExtU32;
use rp2040_hal::gpio::bank0::{Gpio0, Gpio1};
use rp2040_hal::gpio::{FunctionUart, Pin, PullDown};
use rp2040_hal::pac;
use rp2040_hal::uart::{DataBits, StopBits, UartConfig, UartPeripheral};

/// Baud rate.
pub const BAUD: u32 = 115_200;
/// Polls of the flag register before a byte is given up (a wedged UART
/// must not hang the board; at 115200 baud a byte takes ~10 800 cycles at
/// 125 MHz, a poll a few).
const TX_SPIN_LIMIT: u32 = 100_000;
/// `UARTFR` TXFF: the transmit FIFO is full.
const FR_TXFF: u32 = 1 << 5;

/// GP0 and GP1 as they come out of reset.
pub type Pins = (
    Pin<Gpio0, rp2040_hal::gpio::FunctionNull, PullDown>,
    Pin<Gpio1, rp2040_hal::gpio::FunctionNull, PullDown>,
);

/// Takes UART0 out of reset at 115200 8N1 from `peripheral_hz`, with GP0
/// and GP1 as its pins. Returns whether the HAL accepted the baud rate.
pub fn init(
    uart0: pac::UART0,
    pins: Pins,
    resets: &mut pac::RESETS,
    peripheral_hz: rp2040_hal::fugit::HertzU32,
) -> bool {
    let pins = (
        pins.0.into_function::<FunctionUart>(),
        pins.1.into_function::<FunctionUart>(),
    );
    let config = UartConfig::new(BAUD.Hz(), DataBits::Eight, None, StopBits::One);
    // Enabled, the peripheral stays so; the HAL's handle is not needed
    // again (`write` goes to the data register).
    UartPeripheral::new(uart0, pins, resets)
        .enable(config, peripheral_hz)
        .is_ok()
}

/// Sends `bytes`, waiting (bounded) for room before each one: the board's
/// console (`cuatro_board_kit::wire!`).
pub fn write(bytes: &[u8]) {
    // SAFETY: UART0's register block; `init` has configured it, and only
    // this function touches it afterwards (reads of the flag register,
    // writes of the data register).
    let uart = unsafe { &*pac::UART0::ptr() };
    for &b in bytes {
        for _ in 0..TX_SPIN_LIMIT {
            if uart.uartfr().read().bits() & FR_TXFF == 0 {
                break;
            }
        }
        // SAFETY: any byte is a valid DATA value.
        uart.uartdr().write(|w| unsafe { w.data().bits(b) });
    }
}
