//! The board measures itself: how long the CPU was busy (outside WFI)
//! for the work the server counted, logged by the main loop at most once a
//! second and only when the counts changed:
//!
//! ```text
//! [  12.345] INFO  meter: replies=1234 upload_bytes=4194308 busy_us=2718281
//! ```
//!
//! `replies` are the game replies queued since boot (one per answered
//! action), `upload_bytes` the bytes the upload service took (length
//! prefixes included), `busy_us` the cumulative time spent outside
//! `sleep` (all three wrap). Busy time is counted in core clock cycles
//! ([`clock::cycles`]) and converted with the core clock. Under
//! `run-qemu --icount` (one instruction per 32 ns of virtual time) a
//! busy microsecond is 31.25 instructions, so the difference of two lines
//! gives instructions per action (Δbusy_us × 31.25 / Δreplies) and per
//! uploaded byte; `cuatro bench-suite` reports them for its capped rows.

use crate::{clock, log};
use cuatro_core::server::{Duration, Instant, Stats};

/// Least time between two `meter:` lines.
pub const PERIOD: Duration = Duration::from_secs(1);

/// Busy time and the counts last logged.
pub struct Meter {
    replies: u32,
    upload_bytes: u32,
    /// Busy cycles before the current awake span.
    busy: u64,
    /// [`clock::cycles`] when the CPU last woke.
    awake_since: u32,
    /// No line before this.
    next: Instant,
}

impl Meter {
    /// A meter that counts from now (the CPU awake). Its first line comes
    /// at once (the counts "changed" from an impossible value): the boot's
    /// busy time, the base a benchmark measures from.
    pub fn new(now: Instant) -> Self {
        Meter {
            replies: u32::MAX,
            upload_bytes: 0,
            busy: 0,
            awake_since: clock::cycles(),
            next: now,
        }
    }

    /// Busy cycles so far, the current awake span included.
    fn busy_cycles(&self) -> u64 {
        self.busy + u64::from(clock::cycles().wrapping_sub(self.awake_since))
    }

    /// The CPU goes to sleep: the awake span ends.
    pub fn sleep(&mut self) {
        self.busy = self.busy_cycles();
    }

    /// The CPU woke: a new awake span starts.
    pub fn wake(&mut self) {
        self.awake_since = clock::cycles();
    }

    /// Logs the `meter:` line if `stats`' counts changed and [`PERIOD`] has
    /// passed since the last; returns when to come back for a change not
    /// logged yet (`None`: nothing waits).
    #[inline(never)]
    pub fn report(&mut self, now: Instant, stats: &Stats, core_clock_hz: u32) -> Option<Instant> {
        if stats.replies == self.replies && stats.upload_bytes == self.upload_bytes {
            return None;
        }
        if now < self.next {
            return Some(self.next);
        }
        self.replies = stats.replies;
        self.upload_bytes = stats.upload_bytes;
        self.next = now + PERIOD;
        let per_us = u64::from(core_clock_hz / 1_000_000).max(1);
        line(
            stats.replies,
            stats.upload_bytes,
            (self.busy_cycles() / per_us) as u32,
        );
        None
    }
}

/// Writes `meter: replies=N upload_bytes=B busy_us=U`.
pub fn line(replies: u32, upload_bytes: u32, busy_us: u32) {
    log::info()
        .s("meter: replies=")
        .dec(replies)
        .s(" upload_bytes=")
        .dec(upload_bytes)
        .s(" busy_us=")
        .dec(busy_us)
        .end();
}
