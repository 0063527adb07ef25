//! A tiny bounds-checked byte writer for hand-built text (no `core::fmt`).

use crate::Error;

/// Appends bytes to a caller buffer; running out of room is
/// [`Error::BufferTooSmall`], never a panic.
pub(crate) struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Cursor<'a> {
    /// An empty cursor over `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Cursor { buf, len: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes written so far.
    #[cfg(test)]
    pub(crate) fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Appends raw bytes.
    ///
    /// Not inlined: replies are built from dozens of pieces, and a call per
    /// piece is 0.8 KB less flash on the board than the bounds check and
    /// copy inlined at each (measured 2026-12-02).
    #[inline(never)]
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len + bytes.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Appends a string.
    pub(crate) fn str(&mut self, s: &str) -> Result<(), Error> {
        self.bytes(s.as_bytes())
    }

    /// Appends the decimal digits of `v`.
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), Error> {
        let mut digits = [0u8; U64_DIGITS];
        self.bytes(decimal(v, &mut digits))
    }

    /// Appends the decimal digits of `v`, with a leading `-` when negative.
    pub(crate) fn i64(&mut self, v: i64) -> Result<(), Error> {
        if v < 0 {
            self.bytes(b"-")?;
        }
        self.u64(v.unsigned_abs())
    }
}

/// Decimal digits of `u64::MAX` (18 446 744 073 709 551 615): the most
/// [`decimal`] ever writes.
pub const U64_DIGITS: usize = 20;

/// The decimal digits of `v`, written at the end of `digits`; returns them.
/// The one number-to-text routine of the firmware (no `core::fmt`): the
/// codecs, the upload replies and a board's log all use it.
pub fn decimal(mut v: u64, digits: &mut [u8; U64_DIGITS]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            // `v % 10 < 10`, so the cast cannot truncate.
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || start == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or(&[])
}
