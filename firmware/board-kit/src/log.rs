//! The board's log, one line per record: `[   s.mmm] LEVEL message`,
//! written to the board's console ([`crate::console`]).
//!
//! Written without `core::fmt`: a [`Line`] writes strings, decimal and hex
//! numbers, IPv4 and MAC addresses straight to the UART. `core::fmt`, the
//! `log` crate's record machinery and the `Display` impls they link cost
//! 5.9 KB of flash on this board (measured 2026-12-02: 54 292 B with
//! `log`, 48 380 B with every record compiled out); this writer costs a
//! few hundred bytes.
//!
//! ```ignore
//! log::info().s("sessions: ").dec(active).s(" active").end();
//! ```

use crate::{clock, console};
use smoltcp::wire::Ipv4Address;

/// Severity, written after the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The board cannot go on.
    Error,
    /// Something refused or failed; the board goes on.
    Warn,
    /// Normal events.
    Info,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
        }
    }
}

/// Width of the seconds field of the timestamp (right-aligned).
const SECONDS_WIDTH: usize = 4;
/// Most decimal digits of a `u32`.
const U32_DIGITS: usize = 10;
/// Hex digits of a `u32`.
const U32_HEX_DIGITS: usize = 8;
/// `aa-bb-cc-dd-ee-ff`: six bytes, two digits each, five dashes.
const MAC_TEXT: usize = 17;

/// One log line being written: its prefix is out when it starts, its
/// newline when [`Line::end`] is called.
#[must_use = "a log line ends with .end()"]
pub struct Line(());

/// Starts an `ERROR` line.
pub fn error() -> Line {
    Line::start(Level::Error)
}

/// Starts a `WARN` line.
pub fn warn() -> Line {
    Line::start(Level::Warn)
}

/// Starts an `INFO` line.
pub fn info() -> Line {
    Line::start(Level::Info)
}

impl Line {
    /// Writes `[   s.mmm] LEVEL ` (board time since boot).
    pub fn start(level: Level) -> Line {
        let ms = clock::millis();
        Line(())
            .s("[")
            .padded(ms / 1000, SECONDS_WIDTH, b' ')
            .s(".")
            .padded(ms % 1000, 3, b'0')
            .s("] ")
            .s(level.tag())
            .s(" ")
    }

    /// A string.
    pub fn s(self, s: &str) -> Line {
        console::write(s.as_bytes());
        self
    }

    /// Bytes as they are (ASCII text that is not a `&str`: an mDNS label).
    pub fn ascii(self, b: &[u8]) -> Line {
        console::write(b);
        self
    }

    /// A number in decimal.
    pub fn dec(self, n: impl Into<u32>) -> Line {
        self.padded(n.into(), 1, b' ')
    }

    /// A `usize` in decimal (saturating at `u32::MAX`, which this board's
    /// 32-bit `usize` never exceeds).
    pub fn size(self, n: usize) -> Line {
        self.dec(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A number as 8 lowercase hex digits, without a prefix.
    pub fn hex8(self, n: u32) -> Line {
        let mut digits = [0u8; U32_HEX_DIGITS];
        for (i, d) in digits.iter_mut().enumerate() {
            *d = hex_digit(n >> (28 - 4 * i));
        }
        self.bytes(&digits)
    }

    /// An IPv4 address, dotted.
    pub fn ip(self, a: Ipv4Address) -> Line {
        let [a, b, c, d] = a.octets();
        self.dec(a).s(".").dec(b).s(".").dec(c).s(".").dec(d)
    }

    /// A MAC address, `aa-bb-cc-dd-ee-ff` (smoltcp's `Display` form).
    pub fn mac(self, mac: [u8; 6]) -> Line {
        let mut out = [b'-'; MAC_TEXT];
        for (pair, byte) in out.chunks_mut(3).zip(mac) {
            if let [hi, lo, ..] = pair {
                *hi = hex_digit(u32::from(byte) >> 4);
                *lo = hex_digit(u32::from(byte));
            }
        }
        self.bytes(&out)
    }

    /// ` link=up`, ` link=down`, or ` link=?` where the PHY cannot say
    /// (QEMU's models have none to ask). Inlined: a call of its own costs
    /// the MPS2 image 124 B (measured 2026-12-02).
    #[inline(always)]
    pub fn link(self, up: Option<bool>) -> Line {
        self.s(match up {
            Some(true) => " link=up",
            Some(false) => " link=down",
            None => " link=?",
        })
    }

    /// Ends the line.
    pub fn end(self) {
        console::write(b"\n");
    }

    fn bytes(self, b: &[u8]) -> Line {
        console::write(b);
        self
    }

    /// `n` in decimal, at least `width` characters, left-filled with `fill`.
    /// Its own digits rather than `cuatro_proto::decimal`: a `u32`
    /// division is one instruction on a Cortex-M3, a `u64` one a library
    /// call (88 B more flash, measured 2026-12-02).
    fn padded(self, mut n: u32, width: usize, fill: u8) -> Line {
        let mut buf = [fill; U32_DIGITS];
        let mut start = buf.len();
        loop {
            start -= 1;
            if let Some(d) = buf.get_mut(start) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || start == 0 {
                break;
            }
        }
        let start = start.min(buf.len().saturating_sub(width));
        self.bytes(buf.get(start..).unwrap_or_default())
    }
}

/// The low nibble of `n` as a lowercase hex digit.
fn hex_digit(n: u32) -> u8 {
    match (n & 0xf) as u8 {
        d @ 0..=9 => b'0' + d,
        d => b'a' + (d - 10),
    }
}
