//! `log` over UART0: `[   s.mmm] LEVEL message`, one line per record.

use crate::clock;
use crate::uart::Uart;
use core::fmt::Write;
use log::{Level, LevelFilter, Log, Metadata, Record};

/// Most verbose level written (debug: the core's connection events).
pub const LEVEL: LevelFilter = LevelFilter::Debug;

struct UartLogger;

static LOGGER: UartLogger = UartLogger;

impl Log for UartLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= LEVEL
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ms = clock::millis();
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let mut uart = Uart::uart0();
        // The UART never fails a write.
        let _ = writeln!(
            uart,
            "[{:>4}.{:03}] {level} {}",
            ms / 1000,
            ms % 1000,
            record.args()
        );
    }

    fn flush(&self) {}
}

/// Installs the logger (UART0 must be initialised).
pub fn init() {
    // Fails only if a logger is already installed: then keep that one.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LEVEL);
}
