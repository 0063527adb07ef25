//! What the driver targets' fake registers read back: the fuzzer's bytes,
//! four at a time (little-endian), zeros once they run out.

/// The fuzzer's input as a stream of register words.
pub struct Words<'d>(&'d [u8]);

impl<'d> Words<'d> {
    /// The words of `bytes`.
    pub fn new(bytes: &'d [u8]) -> Self {
        Words(bytes)
    }

    /// The next word (the last may be short: zero-padded; then zeros).
    pub fn next_word(&mut self) -> u32 {
        let (word, rest) = self.0.split_at(self.0.len().min(4));
        self.0 = rest;
        let mut w = [0u8; 4];
        w[..word.len()].copy_from_slice(word);
        u32::from_le_bytes(w)
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
