//! Upload storage for boards: [`UploadSink`] checks each upload's length,
//! keeps its CRC-32 and, where the board has the memory, its bytes; every
//! completed upload is logged as `upload n=<n> bytes=<len> crc32=<8 hex
//! digits>` (CRC-32 as zlib's `crc32`), so a test can check it without
//! reading the board's memory.
//!
//! - [`UploadSink::in_ram`]: the last completed upload is kept in a RAM
//!   region (the MPS2's 16 MiB PSRAM), up to the region's size.
//! - [`UploadSink::streaming`]: nothing is kept but length and CRC-32, for
//!   boards without spare RAM (the LM3S6965's 64 KiB); it accepts up to a
//!   stated capacity, which may be the protocol's limit (`u32::MAX`).

use crate::crc32::Crc32;
use crate::log;
use cuatro_core::upload::{Storage, StorageError};

/// Uploads checked, counted and logged; kept in RAM or streamed.
pub struct UploadSink {
    /// Where the bytes go (`None`: nowhere, streaming).
    region: Option<&'static mut [u8]>,
    /// Largest upload accepted.
    capacity: usize,
    /// Uploads completed so far (the `n` of the log line).
    completed: u32,
    expected: usize,
    len: usize,
    crc: Crc32,
    /// Length and CRC-32 of the last completed upload.
    pub last: Option<(usize, u32)>,
}

impl UploadSink {
    /// Keeps each upload in `region` (up to its length).
    pub fn in_ram(region: &'static mut [u8]) -> Self {
        let capacity = region.len();
        Self::with(Some(region), capacity)
    }

    /// Keeps nothing but length and CRC-32; accepts up to `capacity` bytes.
    pub const fn streaming(capacity: usize) -> Self {
        Self::with(None, capacity)
    }

    const fn with(region: Option<&'static mut [u8]>, capacity: usize) -> Self {
        UploadSink {
            region,
            capacity,
            completed: 0,
            expected: 0,
            len: 0,
            crc: Crc32::new(),
            last: None,
        }
    }

    /// Largest upload accepted, in bytes.
    pub const fn capacity_bytes(&self) -> usize {
        self.capacity
    }

    /// Uploads completed since boot.
    pub const fn completed(&self) -> u32 {
        self.completed
    }
}

impl Storage for UploadSink {
    fn capacity(&self) -> u64 {
        self.capacity as u64
    }

    fn begin(&mut self, len: u32) -> Result<(), StorageError> {
        let len = len as usize;
        if len > self.capacity {
            log::warn()
                .s("upload refused: ")
                .size(len)
                .s(" bytes > ")
                .size(self.capacity)
                .end();
            return Err(StorageError::TooLarge);
        }
        self.expected = len;
        self.len = 0;
        self.crc = Crc32::new();
        log::info()
            .s("upload started: ")
            .size(len)
            .s(" bytes")
            .end();
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        let end = self
            .len
            .checked_add(data.len())
            .filter(|&end| end <= self.expected)
            .ok_or(StorageError::Io)?;
        match self.region.as_deref_mut() {
            // The copy and the CRC in one pass over the bytes.
            Some(region) => {
                let dst = region.get_mut(self.len..end).ok_or(StorageError::Io)?;
                self.crc.copy(dst, data);
            }
            None => self.crc.update(data),
        }
        self.len = end;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        if self.len != self.expected {
            return Err(StorageError::Io);
        }
        let crc = self.crc.value();
        self.last = Some((self.len, crc));
        self.completed = self.completed.wrapping_add(1);
        log::info()
            .s("upload n=")
            .dec(self.completed)
            .s(" bytes=")
            .size(self.len)
            .s(" crc32=")
            .hex8(crc)
            .end();
        Ok(())
    }

    fn abort(&mut self) {
        log::warn()
            .s("upload failed after ")
            .size(self.len)
            .s(" of ")
            .size(self.expected)
            .s(" bytes")
            .end();
        self.len = 0;
        self.expected = 0;
        self.crc = Crc32::new();
    }
}
