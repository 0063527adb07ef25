//! Impaired links: a [`Device`] wrapper that loses, corrupts, duplicates,
//! reorders, delays and rate-limits frames, and shrinks the MTU.
//!
//! [`Impaired<D>`] sits between a smoltcp interface and its real device (the
//! in-memory link, a TAP, the simulated switch). Both directions are
//! impaired, each with its own seeded generator consulted a fixed number of
//! times per frame, in order: the same seed gives every frame the same fate.
//!
//! Frames that are not due yet wait in a queue with their release times;
//! [`Impaired::poll_at`] says when the next one is due so an event loop can
//! fold it into its timeout, and [`Impaired::flush`] sends the transmitted
//! frames that are due to the inner device (received frames are handed out
//! by `receive` once due).

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::{Duration, Instant};
use std::collections::BTreeMap;

/// Ethernet header length (what smoltcp's MTU counts beyond the IP MTU).
const ETHERNET_HEADER: usize = 14;
/// A frame picked for reordering waits at most this long for the next frame
/// in its direction to overtake it.
pub const REORDER_HOLD: Duration = Duration::from_millis(10);
/// Frames waiting in one direction beyond this are dropped (tail drop).
pub const QUEUE_LIMIT: usize = 4096;

/// What to do to the frames of a link. Percentages are `0.0..=100.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Impairments {
    /// Frames lost, in percent.
    pub loss: f64,
    /// Frames with one bit flipped, in percent (the receiver's checksums
    /// must drop them).
    pub corrupt: f64,
    /// Frames delivered twice, in percent.
    pub duplicate: f64,
    /// Frames held back behind the next frame, in percent.
    pub reorder: f64,
    /// Fixed one-way latency.
    pub delay: std::time::Duration,
    /// Extra latency, uniform in `0..=jitter`, per frame.
    pub jitter: std::time::Duration,
    /// Link rate in kilobits per second (0: unlimited): frames queue behind
    /// one another for their serialization time.
    pub rate_kbps: u64,
    /// IP MTU in bytes (the Ethernet header comes on top); `None`: the
    /// inner device's. Larger received frames are dropped.
    pub mtu: Option<usize>,
    /// Seed of the fate generators.
    pub seed: u64,
}

impl Default for Impairments {
    fn default() -> Self {
        Impairments {
            loss: 0.0,
            corrupt: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            delay: std::time::Duration::ZERO,
            jitter: std::time::Duration::ZERO,
            rate_kbps: 0,
            mtu: None,
            seed: 1,
        }
    }
}

impl Impairments {
    /// Whether every frame passes untouched and at once.
    pub fn is_clean(&self) -> bool {
        self.loss <= 0.0
            && self.corrupt <= 0.0
            && self.duplicate <= 0.0
            && self.reorder <= 0.0
            && self.delay.is_zero()
            && self.jitter.is_zero()
            && self.rate_kbps == 0
            && self.mtu.is_none()
    }

    /// Checks the ranges; the message names the bad setting.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("loss", self.loss),
            ("corrupt", self.corrupt),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("--{name} must be a percentage in 0..=100, got {v}"));
            }
        }
        if let Some(mtu) = self.mtu {
            // IPv4's minimum MTU; below it TCP cannot even send its SYN.
            if !(68..=65_535).contains(&mtu) {
                return Err(format!("--mtu must be in 68..=65535 bytes, got {mtu}"));
            }
        }
        Ok(())
    }

    /// A one-line summary for logs (`loss=10% delay=20ms ...`).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (name, v) in [
            ("loss", self.loss),
            ("corrupt", self.corrupt),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if v > 0.0 {
                parts.push(format!("{name}={v}%"));
            }
        }
        if !self.delay.is_zero() {
            parts.push(format!("delay={}ms", self.delay.as_millis()));
        }
        if !self.jitter.is_zero() {
            parts.push(format!("jitter={}ms", self.jitter.as_millis()));
        }
        if self.rate_kbps > 0 {
            parts.push(format!("rate={}kbps", self.rate_kbps));
        }
        if let Some(mtu) = self.mtu {
            parts.push(format!("mtu={mtu}"));
        }
        if parts.is_empty() {
            "clean".into()
        } else {
            parts.push(format!("seed={}", self.seed));
            parts.join(" ")
        }
    }
}

pub use cuatro_kit::rng::SplitMix64;

/// Counters of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LaneStats {
    /// Frames offered to the link.
    pub offered: u64,
    /// Frames delivered (duplicates included).
    pub delivered: u64,
    /// Frames lost on purpose.
    pub lost: u64,
    /// Frames with a bit flipped.
    pub corrupted: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
    /// Frames held back behind a later one.
    pub reordered: u64,
    /// Frames dropped for exceeding the MTU.
    pub oversize: u64,
    /// Frames dropped because the queue was full.
    pub overflow: u64,
}

/// One direction of the link: its generator, queue and counters.
#[derive(Debug)]
struct Lane {
    rng: SplitMix64,
    /// Frames waiting for their release time; `seq` keeps equal times in order.
    queue: BTreeMap<(Instant, u64), Vec<u8>>,
    seq: u64,
    /// A frame held back until the next one passes (or its deadline).
    held: Option<(Instant, Vec<u8>)>,
    /// When the link (at `rate_kbps`) finishes serializing what it has.
    busy_until: Instant,
    stats: LaneStats,
}

impl Lane {
    fn new(seed: u64) -> Self {
        Lane {
            rng: SplitMix64::new(seed),
            queue: BTreeMap::new(),
            seq: 0,
            held: None,
            busy_until: Instant::ZERO,
            stats: LaneStats::default(),
        }
    }

    fn push(&mut self, at: Instant, frame: Vec<u8>) {
        self.seq = self.seq.wrapping_add(1);
        self.queue.insert((at, self.seq), frame);
    }

    /// Decides one frame's fate and queues what survives.
    fn offer(&mut self, cfg: &Impairments, now: Instant, mut frame: Vec<u8>, max_frame: usize) {
        // Always the same draws, in the same order, whatever the outcome.
        let loss = self.rng.unit() * 100.0;
        let corrupt = self.rng.unit() * 100.0;
        let bit = self.rng.next_u64();
        let duplicate = self.rng.unit() * 100.0;
        let reorder = self.rng.unit() * 100.0;
        let jitter = self.rng.unit();

        self.stats.offered += 1;
        if frame.len() > max_frame {
            self.stats.oversize += 1;
            return;
        }
        if loss < cfg.loss {
            self.stats.lost += 1;
            return;
        }
        if corrupt < cfg.corrupt && !frame.is_empty() {
            let bits = frame.len() as u64 * 8;
            let bit = bit % bits;
            if let Some(b) = frame.get_mut((bit / 8) as usize) {
                *b ^= 1 << (bit % 8);
            }
            self.stats.corrupted += 1;
        }
        if self.queue.len() >= QUEUE_LIMIT {
            self.stats.overflow += 1;
            return;
        }
        let mut at = now;
        if cfg.rate_kbps > 0 {
            // kbit/s = bits per millisecond: micros = bits * 1000 / kbps.
            let bits = frame.len() as u64 * 8;
            let micros = (bits * 1000).div_ceil(cfg.rate_kbps);
            let start = if self.busy_until > now {
                self.busy_until
            } else {
                now
            };
            at = start + Duration::from_micros(micros);
            self.busy_until = at;
        }
        at += Duration::from_micros(cfg.delay.as_micros() as u64);
        if !cfg.jitter.is_zero() {
            at += Duration::from_micros((cfg.jitter.as_micros() as f64 * jitter) as u64);
        }
        let copy = (duplicate < cfg.duplicate).then(|| frame.clone());
        if reorder < cfg.reorder && self.held.is_none() {
            self.stats.reordered += 1;
            self.held = Some((at + REORDER_HOLD, frame));
        } else {
            self.push(at, frame);
            // The held frame goes right behind the one that overtook it.
            if let Some((_, held)) = self.held.take() {
                self.push(at, held);
            }
        }
        if let Some(copy) = copy {
            self.stats.duplicated += 1;
            self.push(at, copy);
        }
    }

    fn next_due(&self) -> Option<Instant> {
        let queued = self.queue.keys().next().map(|k| k.0);
        let held = self.held.as_ref().map(|h| h.0);
        match (queued, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next frame due at `now`, if any.
    fn pop_due(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.held.as_ref().is_some_and(|h| h.0 <= now) {
            if let Some((at, frame)) = self.held.take() {
                self.push(at, frame);
            }
        }
        let key = *self.queue.keys().next()?;
        if key.0 > now {
            return None;
        }
        let frame = self.queue.remove(&key)?;
        self.stats.delivered += 1;
        Some(frame)
    }

    /// Puts back a frame the inner device could not take.
    fn unpop(&mut self, now: Instant, frame: Vec<u8>) {
        self.stats.delivered = self.stats.delivered.saturating_sub(1);
        // Before anything else due now.
        self.queue.insert((now, 0), frame);
    }
}

/// A [`Device`] whose frames, both ways, suffer [`Impairments`].
#[derive(Debug)]
pub struct Impaired<D> {
    inner: D,
    cfg: Impairments,
    tx: Lane,
    rx: Lane,
}

impl<D: Device> Impaired<D> {
    /// Wraps `inner`. The transmit and receive directions draw from two
    /// generators derived from `cfg.seed`.
    pub fn new(inner: D, cfg: Impairments) -> Self {
        let mut seeds = SplitMix64::new(cfg.seed);
        let tx = Lane::new(seeds.next_u64());
        let rx = Lane::new(seeds.next_u64());
        Impaired { inner, cfg, tx, rx }
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The settings.
    pub fn impairments(&self) -> &Impairments {
        &self.cfg
    }

    /// Counters of the transmit direction (frames this side sent).
    pub fn tx_stats(&self) -> LaneStats {
        self.tx.stats
    }

    /// Counters of the receive direction (frames arriving for this side).
    pub fn rx_stats(&self) -> LaneStats {
        self.rx.stats
    }

    /// Frames offered so far, both directions: a caller that sees this
    /// change across an interface poll knows frames moved and polls again.
    pub fn activity(&self) -> u64 {
        self.tx.stats.offered + self.rx.stats.offered
    }

    /// When the next delayed frame (either direction) is due, if any. An
    /// event loop wakes up then, polls the interface and calls [`flush`].
    ///
    /// [`flush`]: Impaired::flush
    pub fn poll_at(&self) -> Option<Instant> {
        match (self.tx.next_due(), self.rx.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a frame is due at `now` (the caller should poll and flush).
    pub fn has_due(&self, now: Instant) -> bool {
        self.poll_at().is_some_and(|t| t <= now)
    }

    /// Sends every transmitted frame due at `now` to the inner device.
    /// Returns whether any went out.
    pub fn flush(&mut self, now: Instant) -> bool {
        flush_lane(&mut self.tx, &mut self.inner, now)
    }

    /// Frames the inner device may carry (Ethernet header included).
    fn max_frame(&self) -> usize {
        let caps = self.inner.capabilities();
        match self.cfg.mtu {
            Some(mtu) => caps
                .max_transmission_unit
                .min(mtu + header_len(caps.medium)),
            None => caps.max_transmission_unit,
        }
    }

    /// Takes every frame the inner device has and decides its fate.
    fn ingest(&mut self, now: Instant) {
        let max_frame = self.max_frame();
        // Bounded: a flood cannot keep us here forever.
        for _ in 0..QUEUE_LIMIT {
            let Some((rx, _)) = self.inner.receive(now) else {
                break;
            };
            let frame = phy::RxToken::consume(rx, |b| b.to_vec());
            self.rx.offer(&self.cfg, now, frame, max_frame);
        }
    }
}

fn header_len(medium: Medium) -> usize {
    match medium {
        Medium::Ethernet => ETHERNET_HEADER,
        #[allow(unreachable_patterns)]
        _ => 0,
    }
}

fn flush_lane<D: Device>(lane: &mut Lane, inner: &mut D, now: Instant) -> bool {
    let mut sent = false;
    while let Some(frame) = lane.pop_due(now) {
        match inner.transmit(now) {
            Some(token) => {
                phy::TxToken::consume(token, frame.len(), |b| b.copy_from_slice(&frame));
                sent = true;
            }
            None => {
                lane.unpop(now, frame);
                break;
            }
        }
    }
    sent
}

/// A received frame, already through its fate.
pub struct RxToken(Vec<u8>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

/// A frame to transmit: its fate is decided when it is written.
pub struct TxToken<'a, D: Device> {
    lane: &'a mut Lane,
    inner: &'a mut D,
    cfg: &'a Impairments,
    max_frame: usize,
    now: Instant,
}

impl<D: Device> phy::TxToken for TxToken<'_, D> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.lane.offer(self.cfg, self.now, frame, self.max_frame);
        // Frames due now go out at once (the usual case on a clean link).
        flush_lane(self.lane, self.inner, self.now);
        r
    }
}

impl<D: Device> Device for Impaired<D> {
    type RxToken<'a>
        = RxToken
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: Instant) -> Option<(RxToken, TxToken<'_, D>)> {
        self.ingest(timestamp);
        flush_lane(&mut self.tx, &mut self.inner, timestamp);
        let frame = self.rx.pop_due(timestamp)?;
        let max_frame = self.max_frame();
        Some((
            RxToken(frame),
            TxToken {
                lane: &mut self.tx,
                inner: &mut self.inner,
                cfg: &self.cfg,
                max_frame,
                now: timestamp,
            },
        ))
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<TxToken<'_, D>> {
        let max_frame = self.max_frame();
        Some(TxToken {
            lane: &mut self.tx,
            inner: &mut self.inner,
            cfg: &self.cfg,
            max_frame,
            now: timestamp,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = self.inner.capabilities();
        caps.max_transmission_unit = self.max_frame();
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;

    fn send(dev: &mut Impaired<link::Port>, now: Instant, payload: &[u8]) {
        if let Some(t) = dev.transmit(now) {
            phy::TxToken::consume(t, payload.len(), |b| b.copy_from_slice(payload));
        }
    }

    fn drain(port: &mut link::Port, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some((rx, _)) = port.receive(now) {
            out.push(phy::RxToken::consume(rx, |b| b.to_vec()));
        }
        out
    }

    fn run(cfg: Impairments, n: u8) -> (Vec<Vec<u8>>, LaneStats) {
        let (a, mut b) = link::pair();
        let mut dev = Impaired::new(a, cfg);
        let mut got = Vec::new();
        let mut t = Instant::ZERO;
        for i in 0..n {
            send(&mut dev, t, &[i; 60]);
            t += Duration::from_millis(1);
            dev.flush(t);
            got.extend(drain(&mut b, t));
        }
        t += Duration::from_secs(10);
        dev.flush(t);
        got.extend(drain(&mut b, t));
        (got, dev.tx_stats())
    }

    #[test]
    fn clean_link_passes_everything_in_order() {
        let (got, stats) = run(Impairments::default(), 50);
        assert_eq!(got.len(), 50);
        assert!(got.iter().enumerate().all(|(i, f)| f[0] == i as u8));
        assert_eq!(stats.delivered, 50);
    }

    #[test]
    fn same_seed_same_fate() {
        let cfg = Impairments {
            loss: 20.0,
            corrupt: 10.0,
            duplicate: 10.0,
            reorder: 10.0,
            jitter: std::time::Duration::from_millis(3),
            seed: 7,
            ..Default::default()
        };
        let (a, sa) = run(cfg.clone(), 200);
        let (b, sb) = run(cfg.clone(), 200);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert!(sa.lost > 0 && sa.corrupted > 0 && sa.duplicated > 0 && sa.reordered > 0);
        let (c, _) = run(Impairments { seed: 8, ..cfg }, 200);
        assert_ne!(a, c);
    }

    #[test]
    fn reorder_puts_a_frame_behind_the_next() {
        let cfg = Impairments {
            reorder: 100.0,
            ..Default::default()
        };
        let (got, _) = run(cfg, 4);
        let order: Vec<u8> = got.iter().map(|f| f[0]).collect();
        assert_eq!(order, vec![1, 0, 3, 2]);
    }

    #[test]
    fn corruption_flips_exactly_one_bit() {
        let cfg = Impairments {
            corrupt: 100.0,
            ..Default::default()
        };
        let (got, _) = run(cfg, 20);
        for (i, f) in got.iter().enumerate() {
            let flipped: u32 = f.iter().map(|b| (b ^ i as u8).count_ones()).sum();
            assert_eq!(flipped, 1);
        }
    }

    #[test]
    fn delay_and_rate_hold_frames_until_due() {
        let cfg = Impairments {
            delay: std::time::Duration::from_millis(50),
            rate_kbps: 8, // 1 byte per millisecond
            ..Default::default()
        };
        let (a, mut b) = link::pair();
        let mut dev = Impaired::new(a, cfg);
        send(&mut dev, Instant::ZERO, &[1; 100]);
        send(&mut dev, Instant::ZERO, &[2; 100]);
        // First frame: 100 ms serialization + 50 ms delay.
        assert_eq!(dev.poll_at(), Some(Instant::from_millis(150)));
        dev.flush(Instant::from_millis(149));
        assert!(drain(&mut b, Instant::ZERO).is_empty());
        dev.flush(Instant::from_millis(150));
        assert_eq!(drain(&mut b, Instant::ZERO).len(), 1);
        assert_eq!(dev.poll_at(), Some(Instant::from_millis(250)));
        dev.flush(Instant::from_millis(250));
        assert_eq!(drain(&mut b, Instant::ZERO).len(), 1);
        assert_eq!(dev.poll_at(), None);
    }

    #[test]
    fn mtu_limits_capabilities_and_drops_oversize_frames() {
        let cfg = Impairments {
            mtu: Some(576),
            ..Default::default()
        };
        let (mut a, b) = link::pair();
        let mut dev = Impaired::new(b, cfg);
        assert_eq!(dev.capabilities().max_transmission_unit, 590);
        for len in [590, 591] {
            if let Some(t) = a.transmit(Instant::ZERO) {
                phy::TxToken::consume(t, len, |_| ());
            }
        }
        let mut lens = Vec::new();
        while let Some((rx, _)) = dev.receive(Instant::ZERO) {
            lens.push(phy::RxToken::consume(rx, |f| f.len()));
        }
        assert_eq!(lens, vec![590]);
        assert_eq!(dev.rx_stats().oversize, 1);
    }
}
