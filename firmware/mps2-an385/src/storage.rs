//! Upload storage in the board's PSRAM (16 MiB at 0x2100_0000): the last
//! completed upload is kept there; each one is reported over the log as
//! `upload n=<n> bytes=<len> crc32=<8 hex digits>` (CRC-32 IEEE 802.3, as
//! zlib's `crc32`), so a test can check it without reading the memory.

use crate::logger;
use cuatro_core::upload::{Storage, StorageError};

/// Base of the PSRAM region (AN385 memory map; QEMU's `mps2.psram`).
pub const PSRAM_BASE: usize = 0x2100_0000;
/// Bytes of PSRAM, all of it for uploads.
pub const UPLOAD_CAPACITY: usize = 16 * 1024 * 1024;

/// CRC-32 (reflected polynomial 0xEDB88320) nibble table: 16 entries
/// (64 bytes of flash instead of 1 KiB for a byte table), two lookups per
/// byte. Built at compile time, where an out-of-range index is a build
/// error, never a panic.
#[allow(clippy::indexing_slicing)]
const CRC_NIBBLES: [u32; 16] = {
    let mut table = [0u32; 16];
    let mut i = 0;
    while i < 16 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 4 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Running CRC-32 state (pre-inverted).
fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    let step = |c: u32| CRC_NIBBLES.get((c & 0xf) as usize).copied().unwrap_or(0) ^ (c >> 4);
    data.iter().fold(crc, |c, &b| step(step(c ^ u32::from(b))))
}

/// Uploads into PSRAM, with length and CRC-32 logged on completion.
pub struct PsramStorage {
    region: &'static mut [u8],
    /// Uploads completed so far (the `n` of the log line).
    completed: u32,
    expected: usize,
    len: usize,
    crc: u32,
    /// Length and CRC-32 of the last completed upload.
    pub last: Option<(usize, u32)>,
}

impl PsramStorage {
    /// The storage over the whole PSRAM. Call once.
    pub fn take() -> Self {
        // SAFETY: PSRAM is a fixed RAM region of the AN385 memory map that
        // nothing else (linker script, stack, statics) uses; `take` is
        // called once at boot, so this is the only reference to it.
        let region =
            unsafe { core::slice::from_raw_parts_mut(PSRAM_BASE as *mut u8, UPLOAD_CAPACITY) };
        PsramStorage {
            region,
            completed: 0,
            expected: 0,
            len: 0,
            crc: !0,
            last: None,
        }
    }
}

impl Storage for PsramStorage {
    fn capacity(&self) -> u64 {
        UPLOAD_CAPACITY as u64
    }

    fn begin(&mut self, len: u32) -> Result<(), StorageError> {
        let len = len as usize;
        if len > UPLOAD_CAPACITY {
            logger::warn()
                .s("upload refused: ")
                .size(len)
                .s(" bytes > ")
                .size(UPLOAD_CAPACITY)
                .end();
            return Err(StorageError::TooLarge);
        }
        self.expected = len;
        self.len = 0;
        self.crc = !0;
        logger::info()
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
        let dst = self.region.get_mut(self.len..end).ok_or(StorageError::Io)?;
        dst.copy_from_slice(data);
        self.crc = crc32_update(self.crc, data);
        self.len = end;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        if self.len != self.expected {
            return Err(StorageError::Io);
        }
        let crc = !self.crc;
        self.last = Some((self.len, crc));
        self.completed = self.completed.wrapping_add(1);
        logger::info()
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
        logger::warn()
            .s("upload failed after ")
            .size(self.len)
            .s(" of ")
            .size(self.expected)
            .s(" bytes")
            .end();
        self.len = 0;
        self.expected = 0;
        self.crc = !0;
    }
}
