//! A tiny bounds-checked byte writer for hand-built text (no `core::fmt`).

use crate::digits::{decimal, U64_DIGITS};
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
