//! # stellaris-enet — the LM3S6965 Ethernet MAC as a smoltcp `phy::Device`
//!
//! The TI (Luminary Micro) Stellaris LM3S6965 has an on-chip 10/100
//! Ethernet MAC and PHY behind sixteen registers at [`BASE`]: no DMA, no
//! descriptors, one 2 KiB FIFO each way, popped and pushed a 32-bit word
//! at a time through `MACDATA`, bytes little-endian within each word. QEMU
//! models it as `stellaris_enet` on the `lm3s6965evb` machine.
//!
//! - **Receive.** `MACNP` counts the frames in the RX FIFO. A frame's FIFO
//!   image starts with a 16-bit little-endian length that counts itself (2),
//!   the frame and its 4-byte FCS; the frame's first two bytes share that
//!   first word. The driver reads exactly the image's words, hands the
//!   frame up without the length and the FCS, and drops (and counts)
//!   frames shorter than a header or longer than [`MTU`]. A length no frame
//!   can have (under 6, over the FIFO) means the FIFO is out of step: the
//!   driver resets it (`RSTFIFO` with the receiver off) and counts that.
//! - **Transmit.** Wait (bounded) until `MACTR` NEWTX is clear, push a
//!   first word holding the frame length − 14 and the frame's first two
//!   bytes, then the rest of the frame, and set NEWTX. The MAC pads to 60
//!   bytes and appends the CRC.
//!
//! Register access goes through the [`Regs`] trait: [`Mmio`] on the board,
//! a fake register file in this crate's tests, so the framing logic is
//! tested on the host. The two frame buffers are a caller-provided
//! [`Buffers`]. The driver never allocates, never panics, and every loop
//! that waits on the hardware is bounded ([`POLL_LIMIT`], [`RX_SCAN_LIMIT`]).
//!
//! ## What the board does first
//!
//! Clocks and pins are the board's: set `RCGC2` (0x400F_E108) bits EMAC0
//! (28) and EPHY0 (30) and wait a few cycles before touching the MAC (an
//! access with the clock gated faults on the chip); the LED pins PF2/PF3
//! are optional. The real chip's `MACIA0/1` reset to zero: read the address
//! programmed in flash from [`USER0`]/[`USER1`] with
//! [`mac_from_user_registers`] and call [`Stellaris::set_mac_address`]
//! (QEMU loads `-nic ...,mac=` into both). The interrupt is NVIC line
//! [`IRQ`], level-triggered.
//!
//! ## What QEMU 7.2's model does and does not do
//!
//! From `hw/net/stellaris_enet.c` (the same logic from QEMU 2.x to 10.x):
//!
//! - RX holds up to [`QEMU_RX_FIFO_FRAMES`] frames of any size up to 2041
//!   bytes; with 31 queued, later frames wait in QEMU's net queue (they are
//!   not lost) until the FIFO has been drained to empty by `MACDATA` reads.
//!   A larger frame sets FOV and is dropped; with RXEN clear frames are
//!   dropped. The length field is always consistent, so QEMU never needs
//!   an RX FIFO reset. The 4 "FCS" bytes are zlib's `crc32(~0, ..)`, not
//!   the Ethernet CRC: the driver does not check them.
//! - No address filtering: PRMS, AMUL and BADCRC are stored and ignored,
//!   so every frame on the backend arrives (smoltcp drops the ones for
//!   other hosts). RXER, MDINT and PHYINT are never raised.
//! - `RSTFIFO` is not self-clearing: every `MACRCTL` write with it set
//!   empties the FIFO, so the driver never leaves it set.
//! - TX: NEWTX sends at once, so `MACTR` always reads 0. TXEN and DUPLEX
//!   are ignored (QEMU's DUPLEX constant, 0x08, is not the datasheet's
//!   0x10); PADEN pads to 60 bytes; a length word over 2032 raises TXER;
//!   acknowledging TXER resets the TX FIFO (the driver does so in `new`).
//! - MII: `MACMCTL` START clears at once, `MACMRXD` always reads 0 (no
//!   PHY) and `MACMTXD` keeps 8 bits: [`Stellaris::link_up`] is `None`.
//! - Reset values: `MACIM` 0x7F (every cause unmasked: the line rises on
//!   the first frame unless masked, so `new` masks all), `MACRCTL` BADCRC,
//!   `MACTHR` 0x3F, `MACMDV` 0x80.
//!
//! The real chip differs where it matters: a 2 KiB RX FIFO holds only one
//! full-size frame (see [`MAX_BURST_FRAMES`]) and overruns drop frames;
//! the address filter works (this driver: our unicast, broadcast and, with
//! AMUL, all multicast, so a later mDNS feature needs no driver change);
//! NEWTX stays set while the frame goes out; the PHY auto-negotiates on
//! its own (nothing here waits for the link). The MAC is set to full
//! duplex, what auto-negotiation gives against any switch; against a
//! half-duplex partner (`MR18` DPLX clear) call
//! [`Stellaris::set_full_duplex`]`(false)`.
//!
//! ```ignore
//! static mut BUFFERS: Buffers = Buffers::new();
//! // (RCGC2 EMAC0 | EPHY0 enabled by the board)
//! let regs = unsafe { Mmio::new(stellaris_enet::BASE) };
//! let mut nic = Stellaris::new(regs, unsafe { &mut *addr_of_mut!(BUFFERS) })?;
//! if let Some(mac) = mac_from_user_registers(user0, user1) {
//!     nic.set_mac_address(mac);
//! }
//! nic.enable_interrupts();
//! // ... smoltcp Interface::poll(now, &mut nic, &mut sockets)
//! ```
#![no_std]
#![deny(missing_docs)]

mod device;
mod mii;
mod regs;
mod rx;
mod stats;
mod tx;

pub use cuatro_driver_kit::{RxToken, TxToken};
pub use device::TxPort;
pub use regs::{bits, phy_reg, reg};
use stats::bump;
pub use stats::Stats;

use bits::*;

/// The MAC's register block on the LM3S6965 (and in QEMU's `lm3s6965evb`).
pub const BASE: usize = 0x4004_8000;
/// The Ethernet controller's NVIC interrupt line.
pub const IRQ: u16 = 42;
/// Flash user register USER0: MAC address bytes 0..=2 in bits 23:0.
pub const USER0: usize = 0x400f_e1e0;
/// Flash user register USER1: MAC address bytes 3..=5 in bits 23:0.
pub const USER1: usize = 0x400f_e1e4;

/// Largest frame handed to or accepted from smoltcp: Ethernet header + 1500
/// bytes of payload, no CRC (smoltcp's "Ethernet MTU").
pub const MTU: usize = 1514;
/// Smallest frame accepted or sent: an Ethernet header.
pub const MIN_FRAME: usize = 14;
/// The frame check sequence at the end of each received frame's image.
pub const CRC_LEN: usize = 4;
/// The length field at the start of each received frame's image.
pub const LEN_FIELD: usize = 2;
/// Bytes per FIFO word.
pub const WORD: usize = 4;
/// Bytes in each FIFO of the real chip; no frame image is longer.
pub const RX_FIFO_BYTES: usize = 2048;
/// Frames QEMU's model holds in its RX FIFO (`StellarisEnetRxFrame rx[31]`).
pub const QEMU_RX_FIFO_FRAMES: usize = 31;
/// The longest image of a frame this driver accepts: length field, MTU, FCS.
pub const RX_IMAGE_MAX: usize = LEN_FIELD + MTU + CRC_LEN;

/// Frames smoltcp may expect the device to take back to back
/// (`DeviceCapabilities::max_burst_size`; smoltcp caps the TCP window it
/// advertises at this many segments). The real chip's 2 KiB RX FIFO holds
/// one full-size frame (a 1520-byte image) and not two: a peer allowed a
/// window of two segments overruns it whenever the main loop is busy.
/// QEMU's holds [`QEMU_RX_FIFO_FRAMES`] (and queues beyond), so 1 is what
/// both take; a QEMU-only build may raise it with
/// [`Stellaris::set_max_burst_size`].
pub const MAX_BURST_FRAMES: usize = 1;

/// Size of each frame buffer (RX and TX), in bytes: the longest accepted
/// frame image, whole words. The received frame sits at offset
/// [`LEN_FIELD`] (so its IP header is word-aligned).
pub const FRAME_BUFFER: usize = RX_IMAGE_MAX;

/// Upper bound on polls of a register while waiting for the chip (NEWTX,
/// MII START). At 50 MHz this is about 10 ms, far longer than a
/// maximum frame takes at 10 Mbit/s (1.2 ms); a chip that takes longer is
/// reported (the frame is dropped, the PHY read fails) instead of hanging
/// the board.
pub const POLL_LIMIT: u32 = 100_000;
/// Upper bound on frames examined per receive call: MACNP counts at most
/// 63.
pub const RX_SCAN_LIMIT: u32 = NP_MASK + 1;

const _: () = assert!(FRAME_BUFFER.is_multiple_of(WORD));
const _: () = assert!(FRAME_BUFFER >= MTU && FRAME_BUFFER >= RX_IMAGE_MAX);
const _: () = assert!(RX_IMAGE_MAX <= RX_FIFO_BYTES);
const _: () = assert!(MAX_BURST_FRAMES >= 1 && MAX_BURST_FRAMES <= QEMU_RX_FIFO_FRAMES);

/// `MACRCTL` in operation, receiver off: multicast accepted (AMUL), bad-CRC
/// frames rejected; not promiscuous.
const RX_CONFIG: u32 = RCTL_AMUL | RCTL_BADCRC;
/// `MACTCTL` in operation: transmitter on, padding, CRC, full duplex.
const TX_CONFIG: u32 = TCTL_TXEN | TCTL_PADEN | TCTL_CRC | TCTL_DUPLEX;

pub use cuatro_driver_kit::{Mmio, Regs};

/// What can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// `MACTCTL` did not read back what was written: no MAC there (QEMU
    /// reads unassigned addresses as 0 on this machine); carries what it
    /// read.
    NotFound(u32),
    /// An MII management transaction (`MACMCTL` START) did not complete.
    MiiTimeout,
}

impl Error {
    /// What went wrong, in a few words (no `core::fmt` needed: a board's
    /// log can write it as it is). [`Error::NotFound`]'s value is left out.
    pub fn message(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "no Stellaris Ethernet MAC",
            Error::MiiTimeout => "Stellaris Ethernet MII access timed out",
        }
    }
}

/// The driver's frame buffers (one received frame, one frame being built
/// for transmission), [`FRAME_BUFFER`] bytes each. Put it in a `static` on a
/// board.
pub type Buffers = cuatro_driver_kit::Buffers<FRAME_BUFFER>;

/// The MAC address programmed in flash, from the USER0/USER1 registers'
/// values (three bytes each, low byte first); `None` if either is erased
/// (0xFFFF_FFFF).
pub fn mac_from_user_registers(user0: u32, user1: u32) -> Option<[u8; 6]> {
    if user0 == u32::MAX || user1 == u32::MAX {
        return None;
    }
    let [a, b, c, _] = user0.to_le_bytes();
    let [d, e, f, _] = user1.to_le_bytes();
    Some([a, b, c, d, e, f])
}

/// The Stellaris Ethernet MAC driver.
pub struct Stellaris<'b, R: Regs> {
    regs: R,
    rx: &'b mut [u8; FRAME_BUFFER],
    tx: &'b mut [u8; FRAME_BUFFER],
    stats: Stats,
    max_burst: usize,
}

impl<'b, R: Regs> Stellaris<'b, R> {
    /// Brings the MAC up: every interrupt masked and cleared (which also
    /// resets the TX FIFO), MII clock set for up to 50 MHz, early transmit
    /// off, transmitter on (padding, CRC, full duplex), RX FIFO flushed
    /// with the receiver off, then the receiver on (our unicast, broadcast,
    /// all multicast; bad-CRC frames rejected). The PHY is left to
    /// auto-negotiate; nothing waits for the link.
    pub fn new(mut regs: R, buffers: &'b mut Buffers) -> Result<Self, Error> {
        regs.write(reg::IM, 0);
        regs.write(reg::TCTL, TX_CONFIG);
        let tctl = regs.read(reg::TCTL);
        if tctl != TX_CONFIG {
            return Err(Error::NotFound(tctl));
        }
        regs.write(reg::IACK, INT_ALL);
        regs.write(reg::MDV, MDV_50MHZ);
        regs.write(reg::THR, THR_DISABLED);
        let Buffers { rx, tx } = buffers;
        let mut nic = Stellaris {
            regs,
            rx,
            tx,
            stats: Stats::default(),
            max_burst: MAX_BURST_FRAMES,
        };
        nic.reset_rx_fifo();
        Ok(nic)
    }

    /// The MAC address the filter uses (`MACIA0`/`MACIA1`).
    pub fn mac_address(&self) -> [u8; 6] {
        let [a, b, c, d] = self.regs.read(reg::IA0).to_le_bytes();
        let [e, f, _, _] = self.regs.read(reg::IA1).to_le_bytes();
        [a, b, c, d, e, f]
    }

    /// Programs the MAC address (on the real chip, from
    /// [`mac_from_user_registers`]).
    pub fn set_mac_address(&mut self, addr: [u8; 6]) {
        let [a, b, c, d, e, f] = addr;
        self.regs.write(reg::IA0, u32::from_le_bytes([a, b, c, d]));
        self.regs.write(reg::IA1, u32::from_le_bytes([e, f, 0, 0]));
    }

    /// Full duplex (the default) or half duplex, to match the link
    /// auto-negotiation gave (`MR18` DPLX).
    pub fn set_full_duplex(&mut self, full: bool) {
        let tctl = if full {
            TX_CONFIG
        } else {
            TX_CONFIG & !TCTL_DUPLEX
        };
        self.regs.write(reg::TCTL, tctl);
    }

    /// The burst announced to smoltcp, in frames (default
    /// [`MAX_BURST_FRAMES`]; clamped to 1..=[`QEMU_RX_FIFO_FRAMES`]).
    pub fn set_max_burst_size(&mut self, frames: usize) {
        self.max_burst = frames.clamp(1, QEMU_RX_FIFO_FRAMES);
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The register access (for tests and diagnostics).
    pub fn regs(&self) -> &R {
        &self.regs
    }

    /// Raise the interrupt line when a frame arrives: acknowledges stale
    /// causes (counting errors) and unmasks RX only. The line is level:
    /// acknowledge with [`Self::ack_interrupts`].
    pub fn enable_interrupts(&mut self) {
        self.ack_interrupts();
        self.regs.write(reg::IM, INT_RX);
    }

    /// Masks every cause.
    pub fn disable_interrupts(&mut self) {
        self.regs.write(reg::IM, 0);
    }

    /// Clears the pending causes and returns them, counting FOV, RXER and
    /// TXER. Call before draining the RX FIFO, so a frame arriving
    /// afterwards raises the line again.
    pub fn ack_interrupts(&mut self) -> u32 {
        let pending = self.regs.read(reg::RIS) & INT_ALL;
        self.regs.write(reg::IACK, pending);
        if pending & INT_FOV != 0 {
            bump(&mut self.stats.rx_overruns);
        }
        if pending & INT_RXER != 0 {
            bump(&mut self.stats.rx_errors);
        }
        if pending & INT_TXER != 0 {
            bump(&mut self.stats.tx_errors);
        }
        pending
    }
}

#[cfg(test)]
mod tests;
