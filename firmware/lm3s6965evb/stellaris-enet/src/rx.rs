//! Receive: frames out of the RX FIFO.

use crate::bits::*;
use crate::{
    bump, reg, Regs, Stellaris, CRC_LEN, LEN_FIELD, MIN_FRAME, MTU, RX_CONFIG, RX_FIFO_BYTES,
    RX_SCAN_LIMIT, WORD,
};

/// What a frame's length field says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Image {
    /// A frame to hand up, of this many bytes (without length and FCS).
    Frame(usize),
    /// A real frame, but shorter than an Ethernet header.
    TooShort,
    /// A real frame, but longer than the MTU.
    TooLong,
    /// No frame has this image length: the FIFO is out of step.
    Inconsistent,
}

/// Classifies an image by its length field (the low 16 bits of its first
/// word): the length field (2), frame and FCS (4) in bytes.
pub(crate) fn classify(image_len: usize) -> Image {
    match image_len.checked_sub(LEN_FIELD + CRC_LEN) {
        None => Image::Inconsistent,
        Some(_) if image_len > RX_FIFO_BYTES => Image::Inconsistent,
        Some(n) if n < MIN_FRAME => Image::TooShort,
        Some(n) if n > MTU => Image::TooLong,
        Some(n) => Image::Frame(n),
    }
}

impl<R: Regs> Stellaris<'_, R> {
    /// Whether frames wait in the RX FIFO (`MACNP` > 0).
    pub fn rx_pending(&self) -> bool {
        self.regs.read(reg::NP) & NP_MASK != 0
    }

    /// Moves the next good frame from the RX FIFO into the RX buffer and
    /// returns its length without the FCS; drops (and counts) bad frames on
    /// the way. `None`: nothing (good) is pending.
    pub fn receive_frame(&mut self) -> Option<usize> {
        for _ in 0..RX_SCAN_LIMIT {
            if !self.rx_pending() {
                return None;
            }
            let first = self.regs.read(reg::DATA);
            let image_len = (first & LEN_MASK) as usize;
            // The image's words, the first one read.
            let rest = image_len.div_ceil(WORD).saturating_sub(1);
            match classify(image_len) {
                Image::Frame(len) => {
                    // `RX_IMAGE_MAX <= FRAME_BUFFER`, whole words: every
                    // word of the image has its place (the buffer is
                    // word-aligned); the rest in one go from MACDATA.
                    let words = cuatro_driver_kit::words_mut(self.rx);
                    match words.split_first_mut() {
                        Some((head, tail)) if tail.len() >= rest => {
                            *head = first;
                            self.regs
                                .read_port(reg::DATA, tail.get_mut(..rest).unwrap_or_default());
                        }
                        _ => return None,
                    }
                    // The TCP checksum, offloaded from smoltcp
                    // (capabilities()).
                    let frame = self.rx.get(LEN_FIELD..LEN_FIELD + len);
                    if !frame.is_some_and(cuatro_driver_kit::tcp_checksum_ok) {
                        bump(&mut self.stats.rx_bad_checksum);
                        continue;
                    }
                    bump(&mut self.stats.rx_frames);
                    return Some(len);
                }
                Image::TooShort => {
                    self.skip_words(rest);
                    bump(&mut self.stats.rx_too_short);
                }
                Image::TooLong => {
                    self.skip_words(rest);
                    bump(&mut self.stats.rx_too_long);
                }
                Image::Inconsistent => {
                    // Where the next frame starts is unknowable: start over.
                    self.reset_rx_fifo();
                    bump(&mut self.stats.rx_bad_length);
                }
            }
        }
        None
    }

    /// The frame last moved into the RX buffer by [`Self::receive_frame`].
    pub fn rx_frame(&self, len: usize) -> Option<&[u8]> {
        self.rx.get(LEN_FIELD..LEN_FIELD.checked_add(len)?)
    }

    /// Pops a dropped frame's remaining words: the FIFO stays in step.
    fn skip_words(&mut self, words: usize) {
        for _ in 0..words {
            self.regs.read(reg::DATA);
        }
    }

    /// Empties the RX FIFO with the receiver off, then turns it on (and
    /// leaves RSTFIFO clear: QEMU would flush again on every later write).
    pub(crate) fn reset_rx_fifo(&mut self) {
        self.regs.write(reg::RCTL, RX_CONFIG);
        self.regs.write(reg::RCTL, RX_CONFIG | RCTL_RSTFIFO);
        self.regs.write(reg::RCTL, RX_CONFIG | RCTL_RXEN);
    }
}
