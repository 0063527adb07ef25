//! Where uploads go: the [`Storage`] trait and two in-memory storages.

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
