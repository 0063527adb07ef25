//! A 1 ms clock from SysTick at the 25 MHz core clock.

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use cuatro_core::server::Instant;

/// Core (and peripheral) clock of the AN385.
pub const CORE_CLOCK_HZ: u32 = 25_000_000;
/// SysTick rate.
pub const TICK_HZ: u32 = 1_000;

static TICKS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick: one interrupt per millisecond.
pub fn start(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_CLOCK_HZ / TICK_HZ - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`], wrapping after ~49 days.
pub fn millis() -> u32 {
    TICKS.load(Ordering::Relaxed)
}

#[exception]
fn SysTick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Monotonic time for smoltcp, extended to 64 bits across the tick
/// counter's wrap (call at least every 49 days).
pub struct Clock {
    last: u32,
    ms: u64,
}

impl Clock {
    /// A clock that reads the time since SysTick started.
    pub fn new() -> Self {
        Clock { last: 0, ms: 0 }
    }

    /// The current time.
    pub fn now(&mut self) -> Instant {
        let t = millis();
        self.ms += u64::from(t.wrapping_sub(self.last));
        self.last = t;
        Instant::from_millis(self.ms as i64)
    }
}
