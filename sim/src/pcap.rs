//! Packet captures: a [`Device`] wrapper that writes every frame it carries,
//! both ways, as a classic pcap file (Ethernet link type 1, microsecond
//! timestamps) that `tshark -r` and Wireshark open.
//!
//! Unlike smoltcp's `PcapWriter` it never panics: a write error is reported
//! once and capturing stops. Timestamps are the device's (virtual time in
//! the deterministic simulator) plus a fixed epoch offset.

use smoltcp::phy::{self, Device, DeviceCapabilities};
use smoltcp::time::Instant;
use std::cell::RefCell;
use std::io::Write;

/// Magic number of a microsecond-resolution pcap file.
pub const MAGIC: u32 = 0xa1b2_c3d4;
/// Link type: Ethernet.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Largest captured length per frame.
pub const SNAPLEN: u32 = 65_535;
/// Size of the global header.
pub const GLOBAL_HEADER_LEN: usize = 24;
/// Size of each record header.
pub const RECORD_HEADER_LEN: usize = 16;

/// The 24-byte global header (little-endian).
pub fn global_header() -> [u8; GLOBAL_HEADER_LEN] {
    let mut h = [0u8; GLOBAL_HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone and sigfigs stay 0.
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    h
}

/// The 16-byte record header of a frame of `len` bytes at `micros` since
/// the Unix epoch.
pub fn record_header(micros: i64, len: usize) -> [u8; RECORD_HEADER_LEN] {
    let micros = micros.max(0) as u64;
    let orig = u32::try_from(len).unwrap_or(u32::MAX);
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[0..4].copy_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
    h[4..8].copy_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
    h[8..12].copy_from_slice(&orig.min(SNAPLEN).to_le_bytes());
    h[12..16].copy_from_slice(&orig.to_le_bytes());
    h
}

/// One record read back from a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Microseconds since the epoch.
    pub micros: u64,
    /// Original frame length.
    pub orig_len: u32,
    /// The captured bytes.
    pub data: Vec<u8>,
}

/// Parses a little-endian microsecond pcap with Ethernet link type (what
/// [`Pcap`] writes). For tests and tools; the message says what is wrong.
pub fn parse(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let u32_at = |at: usize| -> Result<u32, String> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| format!("truncated at byte {at}"))
    };
    if u32_at(0)? != MAGIC {
        return Err("bad magic (not a little-endian microsecond pcap)".into());
    }
    if bytes.get(4..8) != Some(&[2, 0, 4, 0][..]) {
        return Err("version is not 2.4".into());
    }
    if u32_at(20)? != LINKTYPE_ETHERNET {
        return Err("link type is not Ethernet (1)".into());
    }
    let mut records = Vec::new();
    let mut at = GLOBAL_HEADER_LEN;
    while at < bytes.len() {
        let secs = u32_at(at)?;
        let usecs = u32_at(at + 4)?;
        let incl = u32_at(at + 8)? as usize;
        let orig_len = u32_at(at + 12)?;
        if usecs >= 1_000_000 {
            return Err(format!(
                "record at byte {at}: microseconds {usecs} out of range"
            ));
        }
        if incl > orig_len as usize || incl > SNAPLEN as usize {
            return Err(format!(
                "record at byte {at}: bad lengths {incl}/{orig_len}"
            ));
        }
        let start = at + RECORD_HEADER_LEN;
        let data = bytes
            .get(start..start + incl)
            .ok_or_else(|| format!("record at byte {at}: truncated data"))?
            .to_vec();
        records.push(Record {
            micros: u64::from(secs) * 1_000_000 + u64::from(usecs),
            orig_len,
            data,
        });
        at = start + incl;
    }
    Ok(records)
}

/// Where captured frames go, and what happened to the writer.
#[derive(Debug)]
struct Sink<W> {
    out: Option<W>,
    epoch_micros: i64,
    /// Flush after every frame (for files read while the simulator runs).
    flush: bool,
    frames: u64,
}

impl<W: Write> Sink<W> {
    fn frame(&mut self, ts: Instant, frame: &[u8]) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let header = record_header(self.epoch_micros + ts.total_micros(), frame.len());
        let take = frame.len().min(SNAPLEN as usize);
        let mut res = out
            .write_all(&header)
            .and_then(|()| out.write_all(frame.get(..take).unwrap_or(frame)));
        if self.flush {
            res = res.and_then(|()| out.flush());
        }
        match res {
            Ok(()) => self.frames += 1,
            Err(e) => {
                eprintln!("cuatro-sim: capture stopped: {e}");
                self.out = None;
            }
        }
    }
}

/// A [`Device`] that records every frame it receives and transmits.
#[derive(Debug)]
pub struct Pcap<D, W: Write = Box<dyn Write + Send>> {
    inner: D,
    sink: RefCell<Sink<W>>,
}

impl<D: Device, W: Write> Pcap<D, W> {
    /// Wraps `inner`, capturing into `out` (`None`: capture nothing). Record
    /// timestamps are `epoch_micros` plus the device timestamps. Writes the
    /// global header at once; `flush_each` flushes after every frame.
    pub fn new(inner: D, out: Option<W>, epoch_micros: i64, flush_each: bool) -> Self {
        let mut sink = Sink {
            out,
            epoch_micros,
            flush: flush_each,
            frames: 0,
        };
        if let Some(w) = sink.out.as_mut() {
            let res =
                w.write_all(&global_header()).and_then(
                    |()| {
                        if flush_each {
                            w.flush()
                        } else {
                            Ok(())
                        }
                    },
                );
            if let Err(e) = res {
                eprintln!("cuatro-sim: capture stopped: {e}");
                sink.out = None;
            }
        }
        Pcap {
            inner,
            sink: RefCell::new(sink),
        }
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Frames captured so far.
    pub fn frames(&self) -> u64 {
        self.sink.borrow().frames
    }

    /// Flushes the capture.
    pub fn flush(&mut self) {
        if let Some(w) = self.sink.get_mut().out.as_mut() {
            let _ = w.flush();
        }
    }

    /// Stops capturing and hands back the writer (e.g. a `Vec<u8>`).
    pub fn take_sink(&mut self) -> Option<W> {
        self.sink.get_mut().out.take()
    }

    /// The writer, if still capturing.
    pub fn sink(&self) -> std::cell::Ref<'_, Option<W>> {
        std::cell::Ref::map(self.sink.borrow(), |s| &s.out)
    }
}

/// A received frame, recorded when consumed.
pub struct RxToken<'a, T, W: Write> {
    token: T,
    sink: &'a RefCell<Sink<W>>,
    ts: Instant,
}

impl<T: phy::RxToken, W: Write> phy::RxToken for RxToken<'_, T, W> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let (sink, ts) = (self.sink, self.ts);
        self.token.consume(|frame| {
            sink.borrow_mut().frame(ts, frame);
            f(frame)
        })
    }
}

/// A frame to transmit, recorded once written.
pub struct TxToken<'a, T, W: Write> {
    token: T,
    sink: &'a RefCell<Sink<W>>,
    ts: Instant,
}

impl<T: phy::TxToken, W: Write> phy::TxToken for TxToken<'_, T, W> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let (sink, ts) = (self.sink, self.ts);
        self.token.consume(len, |frame| {
            let r = f(frame);
            sink.borrow_mut().frame(ts, frame);
            r
        })
    }
}

impl<D: Device, W: Write> Device for Pcap<D, W> {
    type RxToken<'a>
        = RxToken<'a, D::RxToken<'a>, W>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, D::TxToken<'a>, W>
    where
        Self: 'a;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let sink = &self.sink;
        let (rx, tx) = self.inner.receive(timestamp)?;
        Some((
            RxToken {
                token: rx,
                sink,
                ts: timestamp,
            },
            TxToken {
                token: tx,
                sink,
                ts: timestamp,
            },
        ))
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let sink = &self.sink;
        let tx = self.inner.transmit(timestamp)?;
        Some(TxToken {
            token: tx,
            sink,
            ts: timestamp,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// Microseconds since the Unix epoch now (the offset for wall-clock captures).
pub fn epoch_micros_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Creates the capture file `path` (`None`: no capture), buffered.
pub fn open_file(path: Option<&std::path::Path>) -> std::io::Result<Option<Box<dyn Write + Send>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let file = std::fs::File::create(path).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot create capture {}: {e}", path.display()),
        )
    })?;
    Ok(Some(Box::new(std::io::BufWriter::new(file))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;
    use smoltcp::time::Duration;

    #[test]
    fn writes_a_pcap_that_parses_back() {
        let (a, mut b) = link::pair();
        let mut dev = Pcap::new(a, Some(Vec::new()), 1_000_000_000, false);
        let t = Instant::ZERO + Duration::from_micros(1_500_000);
        if let Some(tok) = dev.transmit(t) {
            phy::TxToken::consume(tok, 60, |f| f.fill(0xab));
        }
        if let Some(tok) = b.transmit(t) {
            phy::TxToken::consume(tok, 42, |f| f.fill(0xcd));
        }
        if let Some((rx, _)) = dev.receive(t) {
            phy::RxToken::consume(rx, |_| ());
        }
        assert_eq!(dev.frames(), 2);
        let bytes = dev.take_sink().unwrap_or_default();
        assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        let recs = parse(&bytes).unwrap_or_default();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].micros, 1_001_500_000);
        assert_eq!(recs[0].data, vec![0xab; 60]);
        assert_eq!(recs[1].data, vec![0xcd; 42]);
        assert_eq!(bytes.len(), 24 + 16 + 60 + 16 + 42);
    }
}
