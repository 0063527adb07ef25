//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; zlib's `crc32`),
//! the check a board logs for every upload.

/// Nibble table: 16 entries (64 bytes of flash instead of 1 KiB for a byte
/// table), two lookups per byte. Built at compile time, where an
/// out-of-range index is a build error, never a panic.
#[allow(clippy::indexing_slicing)]
const NIBBLES: [u32; 16] = {
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

/// A running CRC-32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32(u32);

impl Crc32 {
    /// The CRC of nothing so far.
    pub const fn new() -> Self {
        Crc32(!0)
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        let step = |c: u32| NIBBLES.get((c & 0xf) as usize).copied().unwrap_or(0) ^ (c >> 4);
        self.0 = data
            .iter()
            .fold(self.0, |c, &b| step(step(c ^ u32::from(b))));
    }

    /// The CRC-32 of everything added.
    pub const fn value(&self) -> u32 {
        !self.0
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}
