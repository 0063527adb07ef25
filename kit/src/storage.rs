//! Upload storage on the host: files in a directory.
//!
//! Each upload is written to a hidden `.recibido-<n>.part` and renamed to
//! `recibido-<n>.bin` only once complete; a failed upload removes its part
//! file. `<n>` counts uploads in arrival order, continuing after the highest
//! number already in the directory.

use cuatro_core::upload::{Storage, StorageError};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Default upload directory (the SPEC's `./recibidos`).
pub const DEFAULT_DIR: &str = "recibidos";
/// Default largest upload: the protocol's maximum, 4 GiB - 1.
pub const DEFAULT_MAX: u64 = u32::MAX as u64;
/// Write buffer between the socket and the file.
pub const WRITE_BUFFER: usize = 256 * 1024;

/// A [`Storage`] writing files into a directory.
pub struct DirStorage {
    dir: PathBuf,
    max: u64,
    next: u64,
    current: Option<(BufWriter<File>, PathBuf, u64)>,
    /// Completed uploads, in order: (n, final path, length).
    pub completed: Vec<(u64, PathBuf, u64)>,
    /// Failed uploads so far.
    pub failed: u64,
}

impl DirStorage {
    /// Storage in `dir` accepting files up to `max` bytes. The directory is
    /// created on the first upload.
    pub fn new(dir: impl Into<PathBuf>, max: u64) -> DirStorage {
        let dir = dir.into();
        let next = highest_number(&dir).map_or(1, |n| n + 1);
        DirStorage {
            dir,
            max,
            next,
            current: None,
            completed: Vec::new(),
            failed: 0,
        }
    }

    /// The directory uploads go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, n: u64, part: bool) -> PathBuf {
        if part {
            self.dir.join(format!(".recibido-{n}.part"))
        } else {
            self.dir.join(format!("recibido-{n}.bin"))
        }
    }
}

fn highest_number(dir: &Path) -> Option<u64> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name
                .strip_prefix("recibido-")
                .and_then(|r| r.strip_suffix(".bin"))
                .or_else(|| {
                    name.strip_prefix(".recibido-")
                        .and_then(|r| r.strip_suffix(".part"))
                })?;
            n.parse::<u64>().ok()
        })
        .max()
}

impl Storage for DirStorage {
    fn capacity(&self) -> u64 {
        self.max
    }

    fn begin(&mut self, len: u32) -> Result<(), StorageError> {
        if u64::from(len) > self.max {
            return Err(StorageError::TooLarge);
        }
        self.abort_current();
        fs::create_dir_all(&self.dir).map_err(|_| StorageError::Io)?;
        let n = self.next;
        let part = self.path(n, true);
        let file = File::create(&part).map_err(|_| StorageError::Io)?;
        self.next += 1;
        self.current = Some((BufWriter::with_capacity(WRITE_BUFFER, file), part, n));
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        let (w, ..) = self.current.as_mut().ok_or(StorageError::NotStarted)?;
        w.write_all(data).map_err(|_| StorageError::Io)
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        let (w, part, n) = self.current.take().ok_or(StorageError::NotStarted)?;
        let file = w.into_inner().map_err(|_| StorageError::Io)?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        let done = self.path(n, false);
        fs::rename(&part, &done).map_err(|_| StorageError::Io)?;
        self.completed.push((n, done, len));
        Ok(())
    }

    fn abort(&mut self) {
        self.failed += 1;
        self.abort_current();
    }
}

impl DirStorage {
    fn abort_current(&mut self) {
        if let Some((w, part, _)) = self.current.take() {
            drop(w);
            let _ = fs::remove_file(part);
        }
    }
}
