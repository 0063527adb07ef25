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

/// Core clock cycles since [`start`], wrapping (after ~171 s at 25 MHz:
/// take differences over shorter spans): SysTick's whole periods
/// (ticks × (reload + 1)) plus how far the counter has come down in the
/// current one (reload − current value). The tick count is read again
/// after the counter: if a tick came in between, the pair is read again.
/// (A wrap whose interrupt is still pending, a few cycles at most, reads
/// one period short; only the main loop calls this, with interrupts on.)
pub fn cycles() -> u32 {
    let reload = SYST::get_reload();
    loop {
        let ticks = millis();
        let current = SYST::get_current();
        if millis() == ticks {
            return ticks
                .wrapping_mul(reload.wrapping_add(1))
                .wrapping_add(reload.wrapping_sub(current));
        }
    }
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
