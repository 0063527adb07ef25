//! # w5500-macraw — the WIZnet W5500 in MACRAW mode as a smoltcp `phy::Device`
//!
//! The W5500 is an SPI Ethernet controller with its own TCP/IP engine and
//! eight hardware sockets sharing 16 KiB of receive and 16 KiB of transmit
//! buffer. Socket 0 alone can run in *MACRAW* mode: it then takes and hands
//! over whole Ethernet frames, and the TCP/IP stack is smoltcp's. This crate
//! gives socket 0 all 32 KiB (16 KiB each way, the other sockets none) and
//! drives it through the [`w5500`] crate's [`Bus`] (on a board:
//! [`w5500::bus::FourWire`] over an `embedded-hal` `SpiDevice`) and its
//! register map.
//!
//! - **Receive.** `Sn_RX_RSR` counts the bytes waiting in socket 0's RX
//!   buffer, starting at `Sn_RX_RD`. Each frame there is a 2-byte
//!   big-endian length that counts itself, then the frame (no FCS). The
//!   driver reads the length, checks it, reads the frame into its buffer,
//!   advances `Sn_RX_RD` past it and issues `RECV`. A length no frame can
//!   have (under [`LEN_FIELD`] + [`MIN_FRAME`], over [`LEN_FIELD`] +
//!   [`MTU`], more than `Sn_RX_RSR` holds) or an `Sn_RX_RSR` over the
//!   buffer's size means the buffer is out of step with the driver: socket
//!   0 is closed and opened again in MACRAW mode (which empties it), and
//!   [`Stats::rx_resyncs`] counts it.
//! - **Multicast.** The chip's MAC filter (`Sn_MR` MFEN) passes our
//!   unicast and broadcast only, and there is no multicast filter. When
//!   the board asks for a group (mDNS's 224.0.0.251, through the `Nic`
//!   trait's `accept_multicast`), socket 0 is opened again without the
//!   filter; every frame on the segment then reaches the chip, and the
//!   driver reads a frame's destination first and passes over other
//!   hosts' unicast without reading the rest ([`Stats::rx_foreign`], at
//!   most [`MAX_SKIPPED`] per receive). On a switched LAN that is
//!   broadcast, multicast and the unicast a switch floods before it has
//!   learnt where a MAC is. A frame for us then takes two RX-buffer reads
//!   (its destination, the rest) instead of one: one more SPI transaction
//!   of a 3-byte header per frame, about 0.3 % of a full frame's 0.4 ms.
//! - **Transmit.** The frame is written at `Sn_TX_WR` into the TX buffer
//!   (checked against `Sn_TX_FSR`; padded with zeros to
//!   [`MIN_WIRE_FRAME`]); then, once the previous frame's
//!   `SEND_OK` is seen (a bounded wait: the SPI write of this frame overlaps
//!   the previous frame's time on the wire), `Sn_TX_WR` is advanced and
//!   `SEND` issued. One frame is in flight at a time, as WIZnet's own
//!   driver and Linux's `w5100` driver do. A `SEND_OK` that never comes
//!   ([`SEND_POLLS`]) reopens the socket ([`Stats::tx_timeouts`]).
//!
//! Every wait on the chip is bounded ([`COMMAND_POLLS`], [`STATUS_POLLS`],
//! [`RESET_POLLS`], [`SEND_POLLS`], [`STABLE_READS`]); nothing panics and
//! nothing allocates; the two frame buffers are the caller's [`Buffers`].
//!
//! ## Why not `w5500::RawDevice`
//!
//! `w5500` 0.6's `RawDevice` is a MACRAW driver too, but: its `read_frame`
//! `assert!`s that two length bytes could be read, which an `Sn_RX_RSR` of 1
//! (a buffer out of step) reaches; it trusts every length field (no MTU or
//! buffer bound, so an out-of-step buffer is never recovered); its
//! `Sn_RX_RSR` read loops until two reads agree, without bound; its
//! `write_frame` waits for `SEND_OK` without bound; and it owns the bus
//! with no way to hand it back. None of it is linked here: this crate uses
//! only the `Bus` trait, `FourWire` and the register constants.
//!
//! ## Bring-up (the board's part)
//!
//! Pulse the chip's `RSTn` low for at least 500 µs and wait about 1 ms
//! before the first access (the W5500's PLL lock time); then
//! [`W5500::new`] checks `VERSIONR` (0x04), resets the chip by software,
//! blocks its own ping answers, sets the MAC address, sizes the buffers and
//! opens socket 0 in MACRAW mode with the MAC filter on (our unicast and
//! broadcast frames only; see "Multicast" above for mDNS). `INTn` is
//! active low and level: it stays low while socket 0's `RECV` interrupt is
//! pending; [`W5500::ack_interrupts`] clears it before the main loop
//! drains the buffer, so a frame arriving later pulls it low again.
//!
//! ## What the fake in the tests does
//!
//! `src/tests/fake.rs` models the registers this driver touches at the
//! [`Bus`] level, from the W5500 datasheet (v1.0.x, register chapter):
//! commands complete at once (`Sn_CR` reads 0) unless told to stall,
//! `OPEN` in MACRAW sets `Sn_SR` to 0x42 and resets every pointer, `SEND`
//! copies `Sn_TX_RD..Sn_TX_WR` out and raises `SEND_OK` (at once, after a
//! set number of polls, or never), `RECV` commits `Sn_RX_RD`. It is
//! stricter than the chip in one place: a burst that runs past the end of
//! a socket buffer is counted as an error (the chip wraps it; this driver
//! splits such accesses in two, so it does not rely on the wrap).
#![no_std]
#![deny(missing_docs)]

mod chip;
mod device;
mod stats;

pub use chip::Fault;
pub use cuatro_driver_kit::{RxToken, TxToken};
pub use device::TxPort;
pub use stats::Stats;
pub use w5500::bus::{Bus, FourWire};

use chip::Chip;
use stats::bump;

/// Largest frame handed to or accepted from smoltcp: Ethernet header + 1500
/// bytes of payload, no FCS (smoltcp's "Ethernet MTU"; also the W5500's
/// MACRAW MTU).
pub const MTU: usize = 1514;
/// Smallest frame accepted or sent: an Ethernet header.
pub const MIN_FRAME: usize = 14;
/// Shortest frame on the wire, FCS not counted. Shorter ones (an ARP
/// reply is 42 bytes) are padded with zeros to this before `SEND`, in case
/// the chip's MAC does not pad them itself (a runt is dropped by every
/// switch).
pub const MIN_WIRE_FRAME: usize = 60;
/// The length field before each frame in the RX buffer (it counts itself).
pub const LEN_FIELD: usize = 2;
/// Socket 0's RX buffer, in KiB (`Sn_RXBUF_SIZE`): all of the chip's.
pub const RX_BUFFER_KIB: u8 = 16;
/// Socket 0's TX buffer, in KiB (`Sn_TXBUF_SIZE`): all of the chip's.
pub const TX_BUFFER_KIB: u8 = 16;
/// Socket 0's RX buffer in bytes.
pub const RX_BUFFER_BYTES: usize = RX_BUFFER_KIB as usize * 1024;
/// Socket 0's TX buffer in bytes.
pub const TX_BUFFER_BYTES: usize = TX_BUFFER_KIB as usize * 1024;
/// Frames smoltcp may expect the device to take back to back
/// (`DeviceCapabilities::max_burst_size`; smoltcp caps the TCP window it
/// advertises at this many segments): full-size frames, with their length
/// fields, that the 16 KiB RX buffer holds.
pub const MAX_BURST_FRAMES: usize = RX_BUFFER_BYTES / (LEN_FIELD + MTU);

/// Size of each frame buffer (RX and TX), in bytes: one frame of [`MTU`].
pub const FRAME_BUFFER: usize = MTU;

/// Polls of `Sn_CR` until the chip has taken a command (it reads 0 again;
/// Linux's driver gives it 100 ms). One poll is a 4-byte SPI transaction,
/// a few µs: this is a few ms at most.
pub const COMMAND_POLLS: u32 = 1_000;
/// Polls of `Sn_SR` until `OPEN` or `CLOSE` has taken effect.
pub const STATUS_POLLS: u32 = 1_000;
/// Polls of `MR` until the software reset has ended (its RST bit clears).
pub const RESET_POLLS: u32 = 1_000;
/// Polls of `Sn_IR` for the previous frame's `SEND_OK`. A full-size frame
/// takes 1.2 ms on the wire at 10 Mbit/s; with half-duplex back-off it can
/// take tens of ms. At a few µs a poll, this allows about 50 ms before the
/// socket is reopened.
pub const SEND_POLLS: u32 = 20_000;
/// Reads of a 16-bit size register (`Sn_RX_RSR`, `Sn_TX_FSR`) until two in
/// a row agree, as the datasheet asks (the chip may update it between the
/// two bytes of a read).
pub const STABLE_READS: u32 = 4;

/// Frames of other hosts (unicast to another MAC, with the chip's MAC
/// filter off for multicast) one receive passes over before it returns
/// nothing for now: a bound on one poll's SPI work, whatever the segment
/// floods.
pub const MAX_SKIPPED: usize = 16;

/// `VERSIONR` of every W5500.
pub const VERSION: u8 = 0x04;

/// What can go wrong bringing the chip up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// `VERSIONR` is not [`VERSION`]: no W5500 on the bus (or the SPI is
    /// miswired); carries what it read.
    NotFound(u8),
    /// The software reset did not end ([`RESET_POLLS`]).
    ResetTimeout,
    /// Socket 0 did not reach `SOCK_MACRAW` (0x42); carries `Sn_SR`.
    OpenFailed(u8),
    /// The SPI bus reported an error.
    Bus,
}

impl Error {
    /// What went wrong, in a few words (no `core::fmt` needed: a board's
    /// log can write it as it is); the carried values are left out.
    pub fn message(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "no W5500 on SPI (VERSIONR is not 0x04)",
            Error::ResetTimeout => "W5500 software reset did not end",
            Error::OpenFailed(_) => "W5500 socket 0 did not open in MACRAW mode",
            Error::Bus => "SPI error talking to the W5500",
        }
    }
}

/// The driver's frame buffers (one received frame, one frame being built
/// for transmission), [`FRAME_BUFFER`] bytes each. Put it in a `static` on a
/// board.
pub type Buffers = cuatro_driver_kit::Buffers<FRAME_BUFFER>;

/// The W5500 driver: socket 0 in MACRAW mode.
pub struct W5500<'b, B: Bus> {
    chip: Chip<B>,
    rx: &'b mut [u8; FRAME_BUFFER],
    tx: &'b mut [u8; FRAME_BUFFER],
}

impl<'b, B: Bus> W5500<'b, B> {
    /// Brings the chip up (after the board's hardware reset): checks
    /// `VERSIONR`, resets it by software, blocks the chip's own ping
    /// replies, programs `mac`, gives socket 0 all 16 + 16 KiB of buffer,
    /// masks every interrupt and opens socket 0 in MACRAW mode with the MAC
    /// filter on.
    pub fn new(bus: B, buffers: &'b mut Buffers, mac: [u8; 6]) -> Result<Self, Error> {
        let mut chip = Chip::new(bus);
        chip.bring_up(mac)?;
        let cuatro_driver_kit::Buffers { rx, tx } = buffers;
        Ok(W5500 { chip, rx, tx })
    }

    /// The MAC address in `SHAR` (`None` if the bus failed).
    pub fn mac_address(&mut self) -> Option<[u8; 6]> {
        self.chip.mac_address().ok()
    }

    /// The PHY's link state (`PHYCFGR` LNK; `None` if the bus failed).
    pub fn link_up(&mut self) -> Option<bool> {
        self.chip.link_up().ok()
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.chip.stats
    }

    /// The bus (for tests and diagnostics).
    pub fn bus(&self) -> &B {
        &self.chip.bus
    }

    /// The bus, to change (for tests and fuzzing: a scripted bus).
    pub fn bus_mut(&mut self) -> &mut B {
        &mut self.chip.bus
    }

    /// Frames may still wait in the RX buffer: the last `Sn_RX_RSR` read
    /// found more than the driver has taken since. (Frames that arrived
    /// after that read raise `INTn` instead.)
    pub fn rx_pending(&self) -> bool {
        self.chip.rx_left > 0
    }

    /// Lets socket 0's `RECV` interrupt pull `INTn` low (stale causes
    /// cleared first). The line is level: acknowledge with
    /// [`Self::ack_interrupts`].
    pub fn enable_interrupts(&mut self) {
        self.chip.enable_interrupts();
    }

    /// Masks every interrupt.
    pub fn disable_interrupts(&mut self) {
        self.chip.disable_interrupts();
    }

    /// Clears socket 0's `RECV` interrupt (`SEND_OK` is the transmit
    /// path's and never reaches `INTn`). Call before draining the RX
    /// buffer, so a frame arriving afterwards raises the line again.
    pub fn ack_interrupts(&mut self) {
        self.chip.ack_interrupts();
    }

    /// Receives one frame into the driver's RX buffer and returns its
    /// length (`None`: nothing waiting, or the buffer was out of step and
    /// socket 0 has been reopened).
    pub fn receive_frame(&mut self) -> Option<usize> {
        self.chip.receive(self.rx.as_mut_slice())
    }

    /// The frame [`Self::receive_frame`] last received.
    pub fn received(&self, len: usize) -> Option<&[u8]> {
        self.rx.get(..len)
    }

    /// Sends `frame` (an Ethernet frame without FCS). Returns whether it
    /// was handed to the chip: not if it is shorter than a header or longer
    /// than [`MTU`], the TX buffer has no room, or the previous frame never
    /// left (then socket 0 has been reopened).
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        self.chip.send(frame)
    }
}

#[cfg(test)]
mod tests;
