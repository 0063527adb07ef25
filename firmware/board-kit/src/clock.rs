//! A 1 ms clock from SysTick at the core clock (every Cortex-M has one).
//! The board's `SysTick` exception (written by [`crate::wire!`]) calls
//! [`tick`].

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cuatro_core::server::Instant;

/// SysTick rate.
pub const TICK_HZ: u32 = 1_000;

static TICKS: AtomicU32 = AtomicU32::new(0);

/// Starts SysTick on a `core_clock_hz` core clock: one interrupt per
/// millisecond.
pub fn start(syst: &mut SYST, core_clock_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(core_clock_hz / TICK_HZ - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start`], wrapping after ~49 days.
pub fn millis() -> u32 {
    TICKS.load(Ordering::Relaxed)
}

/// One millisecond has passed: the body of the board's `SysTick` handler.
#[inline(always)]
pub fn tick() {
    // Only this handler writes the counter: a load and a store, no
    // read-modify-write atomics (which thumbv6m lacks).
    TICKS.store(
        TICKS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// Monotonic time for smoltcp, extended to 64 bits across the tick
/// counter's wrap (call at least every 49 days).
pub struct Clock {
    last: u32,
    ms: u64,
}

impl Clock {
    /// A clock that reads the time since SysTick started.
    pub const fn new() -> Self {
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

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
