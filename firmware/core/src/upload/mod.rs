//! The lecture's file transfer as a sans-IO session, streamed into a
//! [`Storage`] without ever holding the file.
//!
//! Wire (port base + 2): the client sends a `u32` big-endian length L, then
//! L bytes. Once the last byte is stored the server answers the raw UTF-8
//! text `Gracias` (no length prefix) and closes. A file that does not fit is
//! refused with raw text starting `Error:` before any data is taken. A client
//! that stops early, stalls or resets leaves nothing but a failure record
//! ([`Storage::abort`]).
//!
//! ```
//! use cuatro_core::upload::{MemStorage, Outcome, Upload, UploadOutput, REPLY_CAPACITY};
//!
//! let mut store = [0u8; 16];
//! let mut storage = MemStorage::new(&mut store);
//! let mut upload = Upload::new(0);
//! let mut out = [0u8; REPLY_CAPACITY];
//! let (n, o) = upload.handle(&[0, 0, 0, 3, b'a', b'b', b'c'], 0, &mut storage, &mut out);
//! assert_eq!(n, 7);
//! let UploadOutput::Reply { len, outcome } = o else { panic!() };
//! assert_eq!((&out[..len], outcome), (&b"Gracias"[..], Outcome::Stored));
//! assert_eq!(storage.stored(), b"abc");
//! ```

use smoltcp::time::Duration;

/// The reply once the whole file is stored (the lecture's).
pub const GRACIAS: &[u8] = b"Gracias";

/// Room for the longest reply an upload produces (an `Error:` line).
pub const REPLY_CAPACITY: usize = 96;

/// Largest file the protocol can announce (its length is a `u32`).
pub const MAX_FILE: u64 = u32::MAX as u64;

/// How an upload ended, as [`UploadOutput::Reply`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every byte stored and committed: the reply is `Gracias`.
    Stored,
    /// Refused before any byte was taken (too large, or the storage could
    /// not start a file): nothing was stored.
    Refused,
    /// The storage failed part way (a write or the commit): what was
    /// written is aborted.
    Failed,
}

/// What [`Upload::handle`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadOutput {
    /// Keep going.
    Nothing,
    /// Send the first `len` bytes of the output buffer (raw, no framing),
    /// then close. The upload is over, as `outcome` says.
    Reply {
        /// Length of the reply text in the output buffer.
        len: usize,
        /// How the upload ended.
        outcome: Outcome,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the 4-byte length.
    Header { bytes: [u8; 4], got: u8 },
    /// Storing the body; `remaining` bytes to go.
    Body { remaining: u32 },
    /// Answered (success or refusal): everything else is discarded.
    Finished,
}

/// One upload connection.
#[derive(Debug, Clone, Copy)]
pub struct Upload {
    state: State,
    last_activity_ms: u64,
    stored: u64,
}

impl Upload {
    /// A fresh upload session; `now_ms` starts its idle clock.
    pub const fn new(now_ms: u64) -> Self {
        Upload {
            state: State::Header {
                bytes: [0; 4],
                got: 0,
            },
            last_activity_ms: now_ms,
            stored: 0,
        }
    }

    /// Time of the last byte received, in milliseconds.
    pub const fn last_activity_ms(&self) -> u64 {
        self.last_activity_ms
    }

    /// When the upload next needs its driver without input, in
    /// milliseconds: with no bytes for `idle` it has stalled, and the
    /// driver calls [`Upload::fail`] and drops the connection. `None` once
    /// finished. (The driver contract: see the crate docs.)
    pub const fn poll_timeout(&self, idle: Duration) -> Option<u64> {
        if matches!(self.state, State::Finished) {
            return None;
        }
        Some(self.last_activity_ms.saturating_add(idle.total_millis()))
    }

    /// Whether the file is being stored (so an early close is a failure).
    pub const fn in_progress(&self) -> bool {
        !matches!(self.state, State::Finished)
    }

    /// Bytes of the body stored so far.
    pub const fn stored(&self) -> u64 {
        self.stored
    }

    /// Feeds received bytes: consumes them (storing the body as it comes)
    /// and, once the upload is decided, writes the raw reply into `out`
    /// (at least [`REPLY_CAPACITY`] bytes). After the reply, further input is
    /// consumed and ignored.
    pub fn handle<S: Storage + ?Sized>(
        &mut self,
        input: &[u8],
        now_ms: u64,
        storage: &mut S,
        out: &mut [u8],
    ) -> (usize, UploadOutput) {
        if !input.is_empty() {
            self.last_activity_ms = now_ms;
        }
        let mut used = 0;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            match self.state {
                State::Finished => return (input.len(), UploadOutput::Nothing),
                State::Header { mut bytes, mut got } => {
                    let Some((&b, _)) = rest.split_first() else {
                        return (used, UploadOutput::Nothing);
                    };
                    if let Some(slot) = bytes.get_mut(got as usize) {
                        *slot = b;
                    }
                    got += 1;
                    used += 1;
                    if got < 4 {
                        self.state = State::Header { bytes, got };
                        continue;
                    }
                    let len = u32::from_be_bytes(bytes);
                    let refused = if u64::from(len) > storage.capacity() {
                        Some(StorageError::TooLarge)
                    } else {
                        storage.begin(len).err()
                    };
                    if let Some(e) = refused {
                        self.state = State::Finished;
                        let len = refusal(e, len, storage.capacity(), out);
                        let outcome = Outcome::Refused;
                        return (used, UploadOutput::Reply { len, outcome });
                    }
                    self.state = State::Body { remaining: len };
                }
                State::Body { remaining } => {
                    if remaining == 0 {
                        self.state = State::Finished;
                        let (len, outcome) = match storage.commit() {
                            Ok(()) => (copy(GRACIAS, out), Outcome::Stored),
                            // What was written must not stay behind
                            // (found by the `upload` fuzz target).
                            Err(e) => {
                                storage.abort();
                                (refusal(e, 0, storage.capacity(), out), Outcome::Failed)
                            }
                        };
                        return (used, UploadOutput::Reply { len, outcome });
                    }
                    if rest.is_empty() {
                        return (used, UploadOutput::Nothing);
                    }
                    let take = rest.len().min(remaining as usize);
                    let chunk = rest.get(..take).unwrap_or_default();
                    if let Err(e) = storage.write(chunk) {
                        storage.abort();
                        self.state = State::Finished;
                        let len = refusal(e, 0, storage.capacity(), out);
                        let outcome = Outcome::Failed;
                        return (used + take, UploadOutput::Reply { len, outcome });
                    }
                    used += take;
                    self.stored += take as u64;
                    self.state = State::Body {
                        remaining: remaining - take as u32,
                    };
                }
            }
        }
    }

    /// The connection ended (closed early, reset or idled out) before the
    /// upload finished: records the failure. Does nothing once finished.
    pub fn fail<S: Storage + ?Sized>(&mut self, storage: &mut S) {
        if let State::Body { .. } = self.state {
            storage.abort();
        }
        self.state = State::Finished;
    }
}

fn copy(text: &[u8], out: &mut [u8]) -> usize {
    let n = text.len().min(out.len());
    if let (Some(dst), Some(src)) = (out.get_mut(..n), text.get(..n)) {
        dst.copy_from_slice(src);
    }
    n
}

/// Writes the `Error: ...` text for `e` into `out`; returns its length.
fn refusal(e: StorageError, len: u32, capacity: u64, out: &mut [u8]) -> usize {
    let mut w = Writer { out, len: 0 };
    match e {
        StorageError::TooLarge => {
            w.push(b"Error: archivo demasiado grande (");
            w.number(u64::from(len));
            w.push(b" bytes; maximo ");
            w.number(capacity);
            w.push(b" bytes)");
        }
        StorageError::Io | StorageError::NotStarted => {
            w.push(b"Error: no se pudo guardar el archivo");
        }
    }
    w.len
}

/// A bounds-checked byte writer (no `core::fmt`).
struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.out.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn number(&mut self, n: u64) {
        let mut digits = [0u8; cuatro_proto::U64_DIGITS];
        self.push(cuatro_proto::decimal(n, &mut digits));
    }
}

mod storage;
#[cfg(test)]
mod tests;

pub use storage::{MemStorage, NoStorage, Storage, StorageError};
