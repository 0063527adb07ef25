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
//! use cuatro_core::upload::{MemStorage, Upload, UploadOutput, REPLY_CAPACITY};
//!
//! let mut store = [0u8; 16];
//! let mut storage = MemStorage::new(&mut store);
//! let mut upload = Upload::new(0);
//! let mut out = [0u8; REPLY_CAPACITY];
//! let (n, o) = upload.handle(&[0, 0, 0, 3, b'a', b'b', b'c'], 0, &mut storage, &mut out);
//! assert_eq!(n, 7);
//! let UploadOutput::Reply(len) = o else { panic!() };
//! assert_eq!(&out[..len], b"Gracias");
//! assert_eq!(storage.stored(), b"abc");
//! ```

/// The reply once the whole file is stored (the lecture's).
pub const GRACIAS: &[u8] = b"Gracias";

/// Room for the longest reply an upload produces (an `Error:` line).
pub const REPLY_CAPACITY: usize = 96;

/// Largest file the protocol can announce (its length is a `u32`).
pub const MAX_FILE: u64 = u32::MAX as u64;

/// Why storage refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageError {
    /// The file does not fit.
    TooLarge,
    /// Writing failed (device error, disk full...).
    Io,
    /// No upload is in progress.
    NotStarted,
}

/// Where uploads go: a region of memory on a board, a directory on a host.
///
/// The session calls [`begin`](Storage::begin) once with the announced
/// length, [`write`](Storage::write) with consecutive chunks, then exactly
/// one of [`commit`](Storage::commit) (all bytes stored) or
/// [`abort`](Storage::abort) (the client went away early, or a write
/// failed). A `commit` that fails is followed by `abort`.
pub trait Storage {
    /// Largest file this storage accepts, in bytes.
    fn capacity(&self) -> u64;
    /// Starts storing a file of `len` bytes.
    fn begin(&mut self, len: u32) -> Result<(), StorageError>;
    /// Appends the next chunk.
    fn write(&mut self, data: &[u8]) -> Result<(), StorageError>;
    /// The last byte is stored: make the file visible.
    fn commit(&mut self) -> Result<(), StorageError>;
    /// The upload failed: drop what was stored, keep only a failure record.
    fn abort(&mut self);
}

/// A storage that accepts nothing (a server built without uploads).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoStorage;

impl Storage for NoStorage {
    fn capacity(&self) -> u64 {
        0
    }
    fn begin(&mut self, _len: u32) -> Result<(), StorageError> {
        Err(StorageError::TooLarge)
    }
    fn write(&mut self, _data: &[u8]) -> Result<(), StorageError> {
        Err(StorageError::NotStarted)
    }
    fn commit(&mut self) -> Result<(), StorageError> {
        Err(StorageError::NotStarted)
    }
    fn abort(&mut self) {}
}

/// A storage over a byte slice (a board's RAM region, tests). Keeps the
/// last completed file and counts uploads and failures.
#[derive(Debug)]
pub struct MemStorage<'a> {
    region: &'a mut [u8],
    len: usize,
    expected: usize,
    complete: bool,
    /// Completed uploads so far.
    pub completed: u32,
    /// Failed (aborted) uploads so far.
    pub failed: u32,
}

impl<'a> MemStorage<'a> {
    /// Storage over `region`.
    pub fn new(region: &'a mut [u8]) -> Self {
        MemStorage {
            region,
            len: 0,
            expected: 0,
            complete: false,
            completed: 0,
            failed: 0,
        }
    }

    /// The last completed file (empty while an upload is in progress).
    pub fn stored(&self) -> &[u8] {
        if self.complete {
            self.region.get(..self.len).unwrap_or_default()
        } else {
            &[]
        }
    }
}

impl Storage for MemStorage<'_> {
    fn capacity(&self) -> u64 {
        self.region.len() as u64
    }
    fn begin(&mut self, len: u32) -> Result<(), StorageError> {
        let len = len as usize;
        if len > self.region.len() {
            return Err(StorageError::TooLarge);
        }
        self.len = 0;
        self.expected = len;
        self.complete = false;
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        let end = self
            .len
            .checked_add(data.len())
            .filter(|&e| e <= self.expected);
        let dst = end
            .and_then(|end| self.region.get_mut(self.len..end))
            .ok_or(StorageError::Io)?;
        dst.copy_from_slice(data);
        self.len += data.len();
        Ok(())
    }
    fn commit(&mut self) -> Result<(), StorageError> {
        if self.len != self.expected {
            return Err(StorageError::Io);
        }
        self.complete = true;
        self.completed = self.completed.wrapping_add(1);
        Ok(())
    }
    fn abort(&mut self) {
        self.len = 0;
        self.complete = false;
        self.failed = self.failed.wrapping_add(1);
    }
}

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

    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        let tail = digits.get(i..).unwrap_or_default();
        let mut copy = [0u8; 20];
        let k = tail.len();
        if let Some(dst) = copy.get_mut(..k) {
            dst.copy_from_slice(tail);
        }
        self.push(copy.get(..k).unwrap_or_default());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn run(input: &[u8], chunk: usize, region: &mut [u8]) -> (Vec<u8>, Vec<u8>, u32, u32) {
        let mut storage = MemStorage::new(region);
        let mut up = Upload::new(0);
        let mut out = [0u8; REPLY_CAPACITY];
        let mut reply = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            let mut rest = c;
            while !rest.is_empty() {
                let (n, o) = up.handle(rest, 0, &mut storage, &mut out);
                rest = &rest[n..];
                if let UploadOutput::Reply { len, outcome } = o {
                    assert_eq!(out[..len] == *GRACIAS, outcome == Outcome::Stored);
                    reply = out[..len].to_vec();
                }
                if n == 0 {
                    break;
                }
            }
        }
        if input.len() < 4 {
            up.fail(&mut storage);
        }
        (
            reply,
            storage.stored().to_vec(),
            storage.completed,
            storage.failed,
        )
    }

    #[test]
    fn stores_any_size_in_any_chunking() {
        for size in [0usize, 1, 3, 4, 1000, 4097] {
            let body: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
            for chunk in [1, 3, 4, 5, 1024, 1 << 20] {
                let mut region = vec![0u8; 5000];
                let (reply, stored, ok, failed) = run(&framed(&body), chunk, &mut region);
                assert_eq!(reply, GRACIAS, "size {size} chunk {chunk}");
                assert_eq!(stored, body);
                assert_eq!((ok, failed), (1, 0));
            }
        }
    }

    #[test]
    fn refuses_before_taking_data() {
        let body = vec![1u8; 100];
        let mut region = vec![0u8; 99];
        let (reply, stored, ok, _) = run(&framed(&body), 7, &mut region);
        let text = core::str::from_utf8(&reply).unwrap();
        assert_eq!(
            text,
            "Error: archivo demasiado grande (100 bytes; maximo 99 bytes)"
        );
        assert!(stored.is_empty());
        assert_eq!(ok, 0);
        // The largest announceable file too.
        let mut region = vec![0u8; 10];
        let (reply, ..) = run(&[0xff, 0xff, 0xff, 0xff, 1, 2], 1, &mut region);
        assert!(reply.starts_with(b"Error: archivo demasiado grande (4294967295 bytes"));
        // No storage at all.
        let mut up = Upload::new(0);
        let mut out = [0u8; REPLY_CAPACITY];
        let (_, o) = up.handle(&[0, 0, 0, 1, 9], 0, &mut NoStorage, &mut out);
        assert!(matches!(
            o,
            UploadOutput::Reply { len, outcome: Outcome::Refused } if out[..len].starts_with(b"Error:")
        ));
    }

    #[test]
    fn early_end_leaves_only_a_failure_record() {
        let mut region = vec![0u8; 100];
        let mut storage = MemStorage::new(&mut region);
        let mut up = Upload::new(0);
        let mut out = [0u8; REPLY_CAPACITY];
        let (n, o) = up.handle(&[0, 0, 0, 10, 1, 2, 3], 5, &mut storage, &mut out);
        assert_eq!((n, o), (7, UploadOutput::Nothing));
        assert_eq!(up.stored(), 3);
        assert_eq!(up.last_activity_ms(), 5);
        up.fail(&mut storage);
        assert_eq!((storage.completed, storage.failed), (0, 1));
        assert!(storage.stored().is_empty());
        assert!(!up.in_progress());
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        let mut input = framed(b"hola");
        input.extend_from_slice(b"extra");
        let mut region = vec![0u8; 10];
        let (reply, stored, ..) = run(&input, 100, &mut region);
        assert_eq!(reply, GRACIAS);
        assert_eq!(stored, b"hola");
    }
}
