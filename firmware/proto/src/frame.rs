//! Framing: a `u32` big-endian payload length, then the payload.
//!
//! Every message on the game ports travels in a frame:
//!
//! ```text
//! +--------+--------+--------+--------+---------- ... ---+
//! |   payload length N (u32, big-endian) |  N payload bytes |
//! +--------+--------+--------+--------+---------- ... ---+
//! ```
//!
//! `1 <= N <= MAX_FRAME`. A header announcing `0` or more than the
//! receiver's capacity is a framing error, detected from the header alone:
//! the body is never read or stored.
//!
//! [`FrameDecoder`] reassembles frames from a byte stream cut at arbitrary
//! points; [`write_header`], [`encode_frame`] and [`encode_frame_with`] write
//! frames into caller-provided buffers.

use crate::{Error, HEADER_LEN, MAX_FRAME};

/// An incremental frame decoder with a fixed payload capacity of `CAP` bytes.
///
/// Feed it whatever the socket produced, in any chunking; it hands out one
/// complete payload at a time, borrowed from its own buffer. It never
/// allocates and never panics, whatever the input.
///
/// A framing error (a header announcing `0` or more than `CAP` bytes) is
/// sticky: the stream is out of sync, so the decoder keeps reporting the
/// same error until [`FrameDecoder::reset`].
///
/// # Example
///
/// ```
/// use cuatro_proto::frame::FrameDecoder;
/// use cuatro_proto::{Error, MAX_FRAME};
///
/// let mut dec = FrameDecoder::<MAX_FRAME>::new();
/// // Two frames, "hi" and "abc", arriving in awkward pieces.
/// let stream = [0, 0, 0, 2, b'h', b'i', 0, 0, 0, 3, b'a', b'b', b'c'];
/// let (first, second) = stream.split_at(3);
///
/// let (used, got) = dec.feed(first);
/// assert_eq!((used, got), (3, Ok(None))); // header incomplete
///
/// let (used, got) = dec.feed(second);
/// assert_eq!(got, Ok(Some(&b"hi"[..]))); // stops after the first frame
/// let rest = &second[used..];
///
/// let (used, got) = dec.feed(rest);
/// assert_eq!(got, Ok(Some(&b"abc"[..])));
/// assert_eq!(used, rest.len());
/// assert!(dec.is_idle());
///
/// // A zero-length frame is a framing error, and it sticks.
/// assert_eq!(dec.feed(&[0, 0, 0, 0]), (4, Err(Error::FrameEmpty)));
/// assert_eq!(dec.feed(&[0, 0, 0, 1, b'x']), (0, Err(Error::FrameEmpty)));
/// dec.reset();
/// assert_eq!(dec.feed(&[0, 0, 0, 1, b'x']), (5, Ok(Some(&b"x"[..]))));
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder<const CAP: usize> {
    header: [u8; HEADER_LEN],
    header_len: usize,
    body: [u8; CAP],
    body_len: usize,
    expected: usize,
    failed: Option<Error>,
}

impl<const CAP: usize> FrameDecoder<CAP> {
    /// An idle decoder.
    pub const fn new() -> Self {
        FrameDecoder {
            header: [0; HEADER_LEN],
            header_len: 0,
            body: [0; CAP],
            body_len: 0,
            expected: 0,
            failed: None,
        }
    }

    /// Feeds bytes, in any chunking.
    ///
    /// Consumes input only up to the end of the *first* frame it completes,
    /// and returns `(bytes consumed, result)`:
    ///
    /// - `Ok(Some(payload))`: a frame completed; `payload` borrows the
    ///   decoder's buffer and is valid until the next call. Feed the rest of
    ///   the input (`&input[consumed..]`) to get the following frames.
    /// - `Ok(None)`: all input was consumed and no frame is complete yet.
    /// - `Err(Error::FrameEmpty)` / `Err(Error::FrameTooLarge)`: the 4-byte
    ///   header just completed and announces `0` or more than `CAP` bytes.
    ///   `consumed` counts up to the end of the header; the body is never
    ///   read or stored.
    ///
    /// After an error the decoder stays failed: every call returns the same
    /// error and consumes nothing, until [`FrameDecoder::reset`].
    pub fn feed<'a>(&'a mut self, input: &[u8]) -> (usize, Result<Option<&'a [u8]>, Error>) {
        if let Some(err) = self.failed {
            return (0, Err(err));
        }
        let mut consumed = 0;

        if self.header_len < HEADER_LEN {
            let take = (HEADER_LEN - self.header_len).min(input.len());
            let end = self.header_len + take;
            if let (Some(dst), Some(src)) =
                (self.header.get_mut(self.header_len..end), input.get(..take))
            {
                dst.copy_from_slice(src);
            }
            self.header_len = end;
            consumed = take;
            if self.header_len < HEADER_LEN {
                return (consumed, Ok(None));
            }
            let announced = usize::try_from(u32::from_be_bytes(self.header)).unwrap_or(usize::MAX);
            let verdict = if announced == 0 {
                Err(Error::FrameEmpty)
            } else if announced > CAP {
                Err(Error::FrameTooLarge)
            } else {
                Ok(announced)
            };
            match verdict {
                Ok(len) => self.expected = len,
                Err(err) => {
                    self.failed = Some(err);
                    return (consumed, Err(err));
                }
            }
        }

        let rest = input.get(consumed..).unwrap_or(&[]);
        let take = (self.expected - self.body_len).min(rest.len());
        let end = self.body_len + take;
        if let (Some(dst), Some(src)) = (self.body.get_mut(self.body_len..end), rest.get(..take)) {
            dst.copy_from_slice(src);
        }
        self.body_len = end;
        consumed += take;

        if self.body_len < self.expected {
            return (consumed, Ok(None));
        }
        // Complete: rearm for the next frame. The payload stays in `body`
        // untouched until the next call, which the borrow guarantees.
        let len = self.expected;
        self.header_len = 0;
        self.body_len = 0;
        self.expected = 0;
        match self.body.get(..len) {
            Some(payload) => (consumed, Ok(Some(payload))),
            // Unreachable: `len <= CAP` was checked against the header.
            None => (consumed, Err(Error::FrameTooLarge)),
        }
    }

    /// Forgets any partial frame and any framing error.
    pub fn reset(&mut self) {
        self.header_len = 0;
        self.body_len = 0;
        self.expected = 0;
        self.failed = None;
    }

    /// True when no partial frame is buffered (between frames) and the
    /// decoder has not failed.
    pub fn is_idle(&self) -> bool {
        self.failed.is_none() && self.header_len == 0
    }

    /// The framing error the decoder is stuck on, if any.
    pub fn failed(&self) -> Option<Error> {
        self.failed
    }
}

impl<const CAP: usize> Default for FrameDecoder<CAP> {
    fn default() -> Self {
        Self::new()
    }
}

/// Writes the 4-byte big-endian header for a payload of `len` bytes into
/// `out[..4]`.
///
/// Errors: [`Error::FrameEmpty`] for `0`, [`Error::FrameTooLarge`] for more
/// than [`MAX_FRAME`], [`Error::BufferTooSmall`] if `out` is shorter than 4.
pub fn write_header(len: usize, out: &mut [u8]) -> Result<(), Error> {
    if len == 0 {
        return Err(Error::FrameEmpty);
    }
    if len > MAX_FRAME {
        return Err(Error::FrameTooLarge);
    }
    let len = u32::try_from(len).map_err(|_| Error::FrameTooLarge)?;
    out.get_mut(..HEADER_LEN)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Writes header + `payload` into `out`; returns the total frame length.
///
/// Errors as [`write_header`], and [`Error::BufferTooSmall`] when the whole
/// frame does not fit in `out`.
pub fn encode_frame(payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let total = HEADER_LEN + payload.len();
    write_header(payload.len(), out)?;
    out.get_mut(HEADER_LEN..total)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(payload);
    Ok(total)
}

/// Lets `f` write a payload directly into `out[HEADER_LEN..]` (no copy),
/// then writes the header; returns the total frame length.
///
/// `f` returns the payload length it wrote. Errors from `f` are passed
/// through; the header is checked as in [`write_header`].
///
/// ```
/// use cuatro_proto::{frame, Action, Codec};
///
/// # #[cfg(feature = "compact")] {
/// let mut buf = [0u8; 64];
/// let n = frame::encode_frame_with(&mut buf, |p| Codec::Compact.encode_action(&Action::Move(3), p))
///     .unwrap();
/// assert_eq!(&buf[..n], &[0, 0, 0, 2, 0x01, 0x06]);
/// # }
/// ```
pub fn encode_frame_with(
    out: &mut [u8],
    f: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
) -> Result<usize, Error> {
    let body = out.get_mut(HEADER_LEN..).ok_or(Error::BufferTooSmall)?;
    let body_cap = body.len();
    let len = f(body)?;
    if len > body_cap {
        return Err(Error::BufferTooSmall);
    }
    write_header(len, out)?;
    Ok(HEADER_LEN + len)
}

#[cfg(test)]
mod tests;
