//! `upload`: the upload machine with an arbitrary header, arbitrary
//! chunking and a storage that fails where the fuzzer says.
//!
//! Invariants (SPEC.md, "Uploads"): `Gracias` exactly when every announced
//! byte was written and committed, and the stored file is those bytes; any
//! other end (refusal, storage failure, the connection gone) leaves nothing
//! stored and nothing half-written; the reply is one of the protocol's
//! texts.

use arbitrary::{Arbitrary, Unstructured};
use cuatro_core::upload::{
    Outcome, Storage, StorageError, Upload, UploadOutput, GRACIAS, REPLY_CAPACITY,
};

/// A storage that keeps files in memory and fails on command.
#[derive(Debug, Default)]
pub struct FaultyStorage {
    /// Largest file accepted.
    pub capacity: u64,
    /// `begin` fails with `Io`.
    pub fail_begin: bool,
    /// The write with this index (0-based) fails.
    pub fail_write: Option<u8>,
    /// `commit` fails.
    pub fail_commit: bool,
    writes: u32,
    started: bool,
    pending: Vec<u8>,
    /// Committed files, in order.
    pub files: Vec<Vec<u8>>,
}

impl FaultyStorage {
    /// A storage of `capacity` bytes that never fails.
    pub fn new(capacity: u64) -> FaultyStorage {
        FaultyStorage {
            capacity,
            ..FaultyStorage::default()
        }
    }

    /// Calls to `write` so far.
    pub fn writes(&self) -> u32 {
        self.writes
    }

    /// Bytes written but neither committed nor aborted.
    pub fn half_written(&self) -> bool {
        self.started || !self.pending.is_empty()
    }
}

impl Storage for FaultyStorage {
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn begin(&mut self, len: u32) -> Result<(), StorageError> {
        assert!(!self.started, "begin while a file is open");
        assert!(u64::from(len) <= self.capacity, "begin beyond capacity");
        if self.fail_begin {
            return Err(StorageError::Io);
        }
        self.started = true;
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        assert!(self.started, "write before begin");
        let n = self.writes;
        self.writes += 1;
        if self.fail_write.is_some_and(|k| u32::from(k) == n) {
            return Err(StorageError::Io);
        }
        self.pending.extend_from_slice(data);
        Ok(())
    }
    fn commit(&mut self) -> Result<(), StorageError> {
        assert!(self.started, "commit before begin");
        if self.fail_commit {
            return Err(StorageError::Io);
        }
        self.started = false;
        self.files.push(std::mem::take(&mut self.pending));
        Ok(())
    }
    fn abort(&mut self) {
        self.started = false;
        self.pending.clear();
    }
}

#[derive(Debug, Arbitrary)]
struct Scenario {
    /// Capacity: small, so both sides of it are reachable.
    capacity: u16,
    fail_begin: bool,
    fail_write: Option<u8>,
    fail_commit: bool,
    /// Announce the body's real length (else the header is the first four
    /// bytes of `body`, whatever they say).
    honest_header: bool,
    body: Vec<u8>,
    /// Piece lengths the stream is cut into.
    cuts: Vec<u8>,
    /// The connection ends after the stream (else it stays open).
    hang_up: bool,
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Ok(s) = Scenario::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut storage = FaultyStorage::new(u64::from(s.capacity));
    storage.fail_begin = s.fail_begin;
    storage.fail_write = s.fail_write;
    storage.fail_commit = s.fail_commit;
    let mut stream = Vec::new();
    if s.honest_header {
        stream.extend_from_slice(&(s.body.len() as u32).to_be_bytes());
    }
    stream.extend_from_slice(&s.body);
    let announced = stream
        .get(..4)
        .map(|h| u32::from_be_bytes(h.try_into().expect("4 bytes")) as usize);

    let mut up = Upload::new(0);
    let mut out = [0u8; REPLY_CAPACITY];
    let mut reply: Option<(Vec<u8>, Outcome)> = None;
    let mut rest: &[u8] = &stream;
    let mut cuts = s.cuts.iter().copied().chain(std::iter::repeat(u8::MAX));
    let mut now = 0u64;
    while !rest.is_empty() && reply.is_none() {
        let n = usize::from(cuts.next().unwrap_or(u8::MAX)).clamp(1, rest.len());
        let mut piece = &rest[..n];
        rest = &rest[n..];
        now += 10;
        // A driver offers the unconsumed part again with the next bytes;
        // here each piece is offered until it is taken or a reply comes.
        for _ in 0..=piece.len() + 1 {
            let (used, output) = up.handle(piece, now, &mut storage, &mut out);
            assert!(used <= piece.len());
            piece = &piece[used..];
            if let UploadOutput::Reply { len, outcome } = output {
                assert!(len <= out.len());
                reply = Some((out[..len].to_vec(), outcome));
                break;
            }
            if piece.is_empty() {
                break;
            }
        }
        assert!(
            piece.is_empty() || reply.is_some(),
            "bytes left untaken with no reply"
        );
    }
    // A zero-length body completes on the next call, with no more bytes.
    if reply.is_none() && announced == Some(0) {
        if let (_, UploadOutput::Reply { len, outcome }) =
            up.handle(&[], now, &mut storage, &mut out)
        {
            reply = Some((out[..len].to_vec(), outcome));
        }
    }
    if reply.is_none() && s.hang_up {
        up.fail(&mut storage);
    }

    let outcome = reply.as_ref().map(|(_, o)| *o);
    let reply = reply.map(|(text, _)| text);
    let gracias = reply.as_deref() == Some(GRACIAS);
    assert_eq!(
        gracias,
        outcome == Some(Outcome::Stored),
        "Gracias and the outcome disagree"
    );
    if outcome == Some(Outcome::Refused) {
        assert_eq!(storage.writes(), 0, "refused after bytes were written");
    }
    if gracias {
        let len = announced.expect("Gracias without a header");
        assert_eq!(
            storage.files.len(),
            1,
            "Gracias but {} files",
            storage.files.len()
        );
        assert_eq!(storage.files[0], stream[4..4 + len], "stored bytes differ");
    } else {
        assert!(
            storage.files.is_empty(),
            "a file stored without Gracias: {reply:?}"
        );
    }
    if let Some(text) = &reply {
        assert!(gracias || text.starts_with(b"Error:"), "reply {text:?}");
    }
    if reply.is_some() || s.hang_up {
        assert!(
            !storage.half_written(),
            "a failed upload left bytes half-written ({reply:?})"
        );
    }
}
