//! Transmit: frames into the TX FIFO.

use crate::bits::*;
use crate::{bump, reg, Regs, Stats, Stellaris, MIN_FRAME, MTU, POLL_LIMIT, WORD};

impl<R: Regs> Stellaris<'_, R> {
    /// Sends `frame` (an Ethernet frame without CRC; the MAC pads it to 60
    /// bytes and appends the CRC). Returns whether it was queued: not if it
    /// is shorter than a header or longer than [`MTU`], or the previous
    /// frame is still going out after [`POLL_LIMIT`] polls.
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        tx_frame(&mut self.regs, frame, &mut self.stats)
    }

    /// Whether the TX FIFO is free (`MACTR` NEWTX clear).
    pub fn tx_ready(&self) -> bool {
        tx_idle(&self.regs)
    }
}

pub(crate) fn tx_idle<R: Regs + ?Sized>(regs: &R) -> bool {
    regs.read(reg::TR) & TR_NEWTX == 0
}

/// Pushes one frame into the TX FIFO: the first word holds the frame
/// length − 14 (low half) and the frame's first two bytes (high half);
/// then the rest, packed little-endian into words, the last zero-padded;
/// then NEWTX.
pub(crate) fn tx_frame<R: Regs + ?Sized>(regs: &mut R, frame: &[u8], stats: &mut Stats) -> bool {
    let len = frame.len();
    let fits = (MIN_FRAME..=MTU).contains(&len);
    let head = frame.split_first_chunk::<2>();
    let (Some(([d0, d1], rest)), true) = (head, fits) else {
        bump(&mut stats.tx_dropped);
        return false;
    };
    if !(0..POLL_LIMIT).any(|_| tx_idle(regs)) {
        bump(&mut stats.tx_dropped);
        return false;
    }
    let data_len = (len - MIN_FRAME) as u32;
    regs.write(
        reg::DATA,
        data_len | (u32::from(*d0) << 16) | (u32::from(*d1) << 24),
    );
    for chunk in rest.chunks(WORD) {
        let mut word = [0u8; WORD];
        for (dst, src) in word.iter_mut().zip(chunk) {
            *dst = *src;
        }
        regs.write(reg::DATA, u32::from_le_bytes(word));
    }
    regs.write(reg::TR, TR_NEWTX);
    bump(&mut stats.tx_frames);
    true
}
