//! # lan9118 — SMSC LAN9118 Ethernet MAC as a smoltcp `phy::Device`
//!
//! The LAN9118 (and the software-compatible LAN9220 on the Arm MPS2 boards,
//! modelled by QEMU's `lan9118` NIC) is a MAC+PHY with on-chip FIFOs behind
//! a small register window: no DMA, no descriptors. A frame is received by
//! popping a status word and then the frame's words from the RX data FIFO,
//! and sent by pushing two command words and the frame's words into the TX
//! data FIFO. Bytes are little-endian within each 32-bit FIFO word.
//!
//! Register access goes through the [`Regs`] trait: [`Mmio`] on the board,
//! a fake register file in this crate's tests, so all the framing logic
//! (status decoding, word packing, CRC removal, error and oversize drops,
//! TX commands and status draining) is tested on the host.
//!
//! The driver owns no memory of its own: its two frame buffers are a
//! caller-provided [`Buffers`] (a `static` on a board). It never allocates,
//! never panics, and every loop that waits on the hardware is bounded.
//!
//! ```ignore
//! static mut BUFFERS: Buffers = Buffers::new();
//! let regs = unsafe { Mmio::new(0x4020_0000) };
//! let mut nic = Lan9118::new(regs, unsafe { &mut *addr_of_mut!(BUFFERS) })?;
//! nic.enable_interrupts();
//! // ... smoltcp Interface::poll(now, &mut nic, &mut sockets)
//! ```
#![no_std]
#![deny(missing_docs)]

use cuatro_driver_kit::{Nic, Transmit};
use smoltcp::phy::{self, Checksum, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Size of each frame buffer (RX and TX), in bytes: a maximum Ethernet
/// frame (1514) plus its CRC (4), rounded up to whole FIFO words with room
/// to spare. Must be a multiple of 4.
pub const FRAME_BUFFER: usize = 1536;
/// Largest frame handed to or accepted from smoltcp: Ethernet header + 1500
/// bytes of payload, no CRC (smoltcp's "Ethernet MTU").
pub const MTU: usize = 1514;
/// Smallest frame accepted: an Ethernet header.
pub const MIN_FRAME: usize = 14;
/// The frame check sequence the MAC leaves at the end of each received frame.
pub const CRC_LEN: usize = 4;
/// Bytes per FIFO word.
pub const WORD: usize = cuatro_driver_kit::WORD;
/// Where a received frame starts in the RX buffer: the chip is told to
/// put this many bytes before it in the first FIFO word (`RX_CFG`'s
/// RXDOFF), so the IP header after the 14-byte Ethernet header, and the
/// TCP payload after it, are word-aligned for the copies and checksums
/// that follow (QEMU's model honours the field as the datasheet says).
pub const RX_ALIGN: usize = 2;
/// Upper bound on polls of a register while waiting for the chip (reset,
/// MAC CSR and MII busy bits, TX FIFO space). At 25 MHz this is well over
/// the datasheet's worst cases; a chip that takes longer is reported as an
/// error rather than hanging the board.
pub const POLL_LIMIT: u32 = 100_000;
/// Upper bound on RX status entries examined per receive call (the status
/// FIFO holds at most this many).
pub const RX_STATUS_ENTRIES_MAX: u32 = 256;

/// TX FIFO bytes a full frame takes: two command words and the data words.
pub const TX_ROOM_FULL_FRAME: u32 = (MTU.div_ceil(WORD) * WORD + 2 * WORD) as u32;

const _: () = assert!(FRAME_BUFFER.is_multiple_of(WORD));
const _: () = assert!(FRAME_BUFFER >= RX_ALIGN + MTU + CRC_LEN);
const _: () = assert!(RX_ALIGN < WORD);
// The TX command's buffer-size field is 11 bits.
const _: () = assert!(FRAME_BUFFER < (1 << 11));

/// System control and status register offsets (bytes from the base).
pub mod reg {
    /// RX data FIFO port (read; aliased over 0x00..0x1f).
    pub const RX_DATA_FIFO: u32 = 0x00;
    /// TX data FIFO port (write; aliased over 0x20..0x3f).
    pub const TX_DATA_FIFO: u32 = 0x20;
    /// RX status FIFO port (read pops).
    pub const RX_STATUS_FIFO: u32 = 0x40;
    /// TX status FIFO port (read pops).
    pub const TX_STATUS_FIFO: u32 = 0x48;
    /// Chip ID and revision.
    pub const ID_REV: u32 = 0x50;
    /// Interrupt pin configuration.
    pub const IRQ_CFG: u32 = 0x54;
    /// Interrupt status (write 1 to clear).
    pub const INT_STS: u32 = 0x58;
    /// Interrupt enable.
    pub const INT_EN: u32 = 0x5c;
    /// Byte order test: reads [`super::BYTE_TEST_VALUE`].
    pub const BYTE_TEST: u32 = 0x64;
    /// FIFO level interrupt thresholds.
    pub const FIFO_INT: u32 = 0x68;
    /// Receive configuration (RXDOFF: bits 12:8).
    pub const RX_CFG: u32 = 0x6c;
    /// Transmit configuration.
    pub const TX_CFG: u32 = 0x70;
    /// Hardware configuration (soft reset, FIFO sizes).
    pub const HW_CFG: u32 = 0x74;
    /// RX FIFO information (used status entries, used data bytes).
    pub const RX_FIFO_INF: u32 = 0x7c;
    /// TX FIFO information (used status entries, free data bytes).
    pub const TX_FIFO_INF: u32 = 0x80;
    /// Power management control (READY bit).
    pub const PMT_CTRL: u32 = 0x84;
    /// Free-running 25 MHz counter.
    pub const FREE_RUN: u32 = 0x9c;
    /// MAC CSR (indirect MAC register) command.
    pub const MAC_CSR_CMD: u32 = 0xa4;
    /// MAC CSR data.
    pub const MAC_CSR_DATA: u32 = 0xa8;
}

/// Indirect MAC registers, reached through `MAC_CSR_CMD`/`MAC_CSR_DATA`.
pub mod mac {
    /// MAC control.
    pub const MAC_CR: u32 = 1;
    /// Address high: bytes 4 and 5 of the MAC address.
    pub const ADDRH: u32 = 2;
    /// Address low: bytes 0 to 3 of the MAC address.
    pub const ADDRL: u32 = 3;
    /// Multicast hash filter, bits 63:32.
    pub const HASHH: u32 = 4;
    /// Multicast hash filter, bits 31:0.
    pub const HASHL: u32 = 5;
    /// MII (PHY) access command.
    pub const MII_ACC: u32 = 6;
    /// MII (PHY) data.
    pub const MII_DATA: u32 = 7;
}

/// The internal PHY, reached through the MII registers.
pub mod phy_reg {
    /// The internal PHY's address on the MII bus.
    pub const ADDRESS: u32 = 1;
    /// Basic control register.
    pub const BCR: u32 = 0;
    /// Basic status register.
    pub const BSR: u32 = 1;
    /// Auto-negotiation advertisement register.
    pub const ANAR: u32 = 4;
}

/// Register bit fields.
pub mod bits {
    /// What `BYTE_TEST` reads on a correctly wired chip.
    pub const BYTE_TEST_VALUE: u32 = 0x8765_4321;

    /// `HW_CFG`: soft reset (self-clearing).
    pub const HW_CFG_SRST: u32 = 1 << 0;
    /// `PMT_CTRL`: the chip is ready for register access.
    pub const PMT_CTRL_READY: u32 = 1 << 0;

    /// `IRQ_CFG`: IRQ output type push-pull (else open drain).
    pub const IRQ_CFG_TYPE: u32 = 1 << 0;
    /// `IRQ_CFG`: IRQ active high (else active low).
    pub const IRQ_CFG_POL: u32 = 1 << 4;
    /// `IRQ_CFG`: IRQ output enabled.
    pub const IRQ_CFG_EN: u32 = 1 << 8;

    /// `INT_STS`/`INT_EN`: RX status FIFO level (a frame has arrived).
    pub const INT_RSFL: u32 = 1 << 3;
    /// `INT_STS`/`INT_EN`: receiver error.
    pub const INT_RXE: u32 = 1 << 14;
    /// `INT_STS`/`INT_EN`: transmitter error.
    pub const INT_TXE: u32 = 1 << 13;

    /// `TX_CFG`: transmitter on.
    pub const TX_CFG_TX_ON: u32 = 1 << 1;
    /// `TX_CFG`: TX status FIFO may overrun (the oldest status is dropped
    /// instead of stopping the transmitter).
    pub const TX_CFG_TXSAO: u32 = 1 << 2;

    /// `MAC_CSR_CMD`: busy / start.
    pub const MAC_CSR_BUSY: u32 = 1 << 31;
    /// `MAC_CSR_CMD`: read (else write).
    pub const MAC_CSR_READ: u32 = 1 << 30;

    /// `MAC_CR`: receiver enable.
    pub const MAC_CR_RXEN: u32 = 1 << 2;
    /// `MAC_CR`: transmitter enable.
    pub const MAC_CR_TXEN: u32 = 1 << 3;
    /// `MAC_CR`: full duplex.
    pub const MAC_CR_FDPX: u32 = 1 << 20;
    /// `MAC_CR`: multicast frames pass the hash filter (`HASHH`/`HASHL`)
    /// rather than the exact address match.
    pub const MAC_CR_HPFILT: u32 = 1 << 13;

    /// `MII_ACC`: busy / start.
    pub const MII_BUSY: u32 = 1 << 0;
    /// `MII_ACC`: write (else read).
    pub const MII_WRITE: u32 = 1 << 1;

    /// PHY `BCR`: reset (self-clearing).
    pub const BCR_RESET: u32 = 1 << 15;
    /// PHY `BCR`: auto-negotiation enable.
    pub const BCR_AN_ENABLE: u32 = 1 << 12;
    /// PHY `BCR`: restart auto-negotiation.
    pub const BCR_AN_RESTART: u32 = 1 << 9;
    /// PHY `BSR`: link up.
    pub const BSR_LINK: u32 = 1 << 2;
    /// PHY `ANAR`: 802.3 selector, 10/100 half/full duplex.
    pub const ANAR_10_100_ALL: u32 = 0x01e1;

    /// `RX_FIFO_INF` / `TX_FIFO_INF`: used status entries, bits 23:16.
    pub const FIFO_INF_STATUS_SHIFT: u32 = 16;
    /// Mask of the status-entry count after shifting.
    pub const FIFO_INF_STATUS_MASK: u32 = 0xff;
    /// `TX_FIFO_INF`: free bytes in the TX data FIFO, bits 15:0.
    pub const TX_FIFO_INF_FREE_MASK: u32 = 0xffff;

    /// RX status: frame length including CRC, bits 29:16.
    pub const RX_STS_LEN_SHIFT: u32 = 16;
    /// Mask of the frame length after shifting.
    pub const RX_STS_LEN_MASK: u32 = 0x3fff;
    /// RX status: error summary.
    pub const RX_STS_ES: u32 = 1 << 15;
    /// RX status: the frame failed the address filter.
    pub const RX_STS_FILTER_FAIL: u32 = 1 << 30;

    /// TX command A: first segment of a frame.
    pub const TX_CMD_A_FIRST: u32 = 1 << 13;
    /// TX command A: last segment of a frame.
    pub const TX_CMD_A_LAST: u32 = 1 << 12;
    /// TX command B: the frame tag, bits 31:16 (echoed in the TX status).
    pub const TX_CMD_B_TAG_SHIFT: u32 = 16;
    /// TX status: error summary.
    pub const TX_STS_ES: u32 = 1 << 15;
    /// `RX_CFG`: RX data offset (bytes before the frame in its first
    /// FIFO word), bits 12:8.
    pub const RX_CFG_RXDOFF_SHIFT: u32 = 8;
}

use bits::*;

pub use cuatro_driver_kit::{Mmio, Regs};

/// What can go wrong bringing the chip up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// `BYTE_TEST` did not read `0x87654321` (no chip, or wrong bus width or
    /// byte order); carries what it read.
    NotFound(u32),
    /// The chip did not become ready after power-on or soft reset.
    ResetTimeout,
    /// A MAC CSR access stayed busy.
    MacCsrTimeout,
    /// A PHY (MII) access stayed busy, or the PHY reset did not complete.
    PhyTimeout,
}

impl Error {
    /// What went wrong, in a few words (no `core::fmt` needed: a board's
    /// log can write it as it is). [`Error::NotFound`]'s value is left out.
    pub fn message(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "no LAN9118",
            Error::ResetTimeout => "LAN9118 reset timed out",
            Error::MacCsrTimeout => "LAN9118 MAC CSR access timed out",
            Error::PhyTimeout => "LAN9118 PHY access timed out",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NotFound(v) => write!(f, "{}: BYTE_TEST reads {v:#010x}", self.message()),
            _ => f.write_str(self.message()),
        }
    }
}

/// Frame counters since start (wrapping).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames handed to smoltcp.
    pub rx_frames: u32,
    /// Frames dropped: error status, filter failure, runt or too long, or
    /// a TCP segment with a bad checksum (the driver checks them:
    /// [`cuatro_driver_kit::tcp_checksum_ok`]).
    pub rx_dropped: u32,
    /// Frames pushed into the TX FIFO.
    pub tx_frames: u32,
    /// Frames not sent: no room in the TX FIFO, or larger than the buffer.
    pub tx_dropped: u32,
    /// TX status words reporting an error.
    pub tx_errors: u32,
}

/// The driver's frame buffers (one received frame, one frame being built
/// for transmission), [`FRAME_BUFFER`] bytes each. Put it in a `static` on a
/// board.
pub type Buffers = cuatro_driver_kit::Buffers<FRAME_BUFFER>;

/// The LAN9118 driver.
pub struct Lan9118<'b, R: Regs> {
    regs: R,
    rx: &'b mut [u8; FRAME_BUFFER],
    tx: &'b mut [u8; FRAME_BUFFER],
    mac: [u8; 6],
    tag: u16,
    stats: Stats,
}

/// Polls `off` until `reg & mask == want`, at most [`POLL_LIMIT`] times.
fn wait_for<R: Regs + ?Sized>(regs: &R, off: u32, mask: u32, want: u32) -> bool {
    (0..POLL_LIMIT).any(|_| regs.read(off) & mask == want)
}

impl<'b, R: Regs> Lan9118<'b, R> {
    /// Finds the chip, soft-resets it and brings it up: interrupts masked
    /// and cleared (the IRQ pin set active-high push-pull, disabled), PHY
    /// reset with 10/100 auto-negotiation, MAC address read from the chip,
    /// transmitter on, MAC receiving and transmitting in full duplex.
    pub fn new(mut regs: R, buffers: &'b mut Buffers) -> Result<Self, Error> {
        let byte_test = regs.read(reg::BYTE_TEST);
        if byte_test != BYTE_TEST_VALUE {
            return Err(Error::NotFound(byte_test));
        }
        if !wait_for(&regs, reg::PMT_CTRL, PMT_CTRL_READY, PMT_CTRL_READY) {
            return Err(Error::ResetTimeout);
        }
        regs.write(reg::HW_CFG, HW_CFG_SRST);
        if !wait_for(&regs, reg::HW_CFG, HW_CFG_SRST, 0)
            || !wait_for(&regs, reg::PMT_CTRL, PMT_CTRL_READY, PMT_CTRL_READY)
        {
            return Err(Error::ResetTimeout);
        }

        // Interrupts masked and cleared. The pin is made active-high
        // push-pull now: QEMU's model (like an open-drain, active-low pin
        // without a pull-up) otherwise holds the line asserted while
        // IRQ_EN is clear.
        regs.write(reg::INT_EN, 0);
        regs.write(reg::INT_STS, u32::MAX);
        regs.write(reg::IRQ_CFG, IRQ_CFG_POL | IRQ_CFG_TYPE);

        let Buffers { rx, tx } = buffers;
        let mut nic = Lan9118 {
            regs,
            rx,
            tx,
            mac: [0; 6],
            tag: 0,
            stats: Stats::default(),
        };

        // PHY: reset, advertise 10/100 half/full, (re)start auto-negotiation.
        // The link comes up on its own; nothing waits for it here.
        nic.phy_write(phy_reg::BCR, BCR_RESET)?;
        if !(0..POLL_LIMIT)
            .any(|_| matches!(nic.phy_read(phy_reg::BCR), Ok(v) if v & BCR_RESET == 0))
        {
            return Err(Error::PhyTimeout);
        }
        nic.phy_write(phy_reg::ANAR, ANAR_10_100_ALL)?;
        nic.phy_write(phy_reg::BCR, BCR_AN_ENABLE | BCR_AN_RESTART)?;

        // The address the chip loaded from its EEPROM (QEMU: the -nic mac).
        let lo = nic.mac_read(mac::ADDRL)?.to_le_bytes();
        let hi = nic.mac_read(mac::ADDRH)?.to_le_bytes();
        nic.mac = [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]];

        // RX: the frame RX_ALIGN bytes into its first word, 4-byte end
        // alignment. TX: on, status may overrun (it is drained anyway, for
        // the error count).
        nic.regs
            .write(reg::RX_CFG, (RX_ALIGN as u32) << RX_CFG_RXDOFF_SHIFT);
        nic.regs.write(reg::TX_CFG, TX_CFG_TX_ON | TX_CFG_TXSAO);
        // Exact unicast address + broadcast; multicast through the hash
        // filter, empty until `accept_multicast`; not promiscuous.
        nic.mac_write(mac::HASHH, 0)?;
        nic.mac_write(mac::HASHL, 0)?;
        nic.mac_write(
            mac::MAC_CR,
            MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX | MAC_CR_HPFILT,
        )?;
        Ok(nic)
    }

    /// Sets `group`'s bit in the multicast hash filter (bit
    /// [`multicast_hash`] of `HASHH:HASHL`), so frames to it arrive. The
    /// filter is imperfect: another group with the same 6-bit hash passes
    /// too, and smoltcp drops it (it is not one the interface joined).
    pub fn accept_multicast(&mut self, group: [u8; 6]) -> Result<(), Error> {
        let bit = multicast_hash(group);
        let (register, mask) = if bit >= 32 {
            (mac::HASHH, 1u32 << (bit - 32))
        } else {
            (mac::HASHL, 1u32 << bit)
        };
        let v = self.mac_read(register)?;
        self.mac_write(register, v | mask)
    }

    /// The MAC address in use.
    pub fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    /// Programs a MAC address (for chips without an EEPROM).
    pub fn set_mac_address(&mut self, addr: [u8; 6]) -> Result<(), Error> {
        let [a, b, c, d, e, f] = addr;
        self.mac_write(mac::ADDRL, u32::from_le_bytes([a, b, c, d]))?;
        self.mac_write(mac::ADDRH, u32::from_le_bytes([e, f, 0, 0]))?;
        self.mac = addr;
        Ok(())
    }

    /// The `ID_REV` register (0x0118_xxxx on a LAN9118).
    pub fn chip_id(&self) -> u32 {
        self.regs.read(reg::ID_REV)
    }

    /// The chip's free-running 25 MHz counter (a cheap source of boot-time
    /// variation, e.g. for seeds).
    pub fn free_running_counter(&self) -> u32 {
        self.regs.read(reg::FREE_RUN)
    }

    /// Whether the PHY reports the link up (`None` if the PHY is busy).
    pub fn link_up(&mut self) -> Option<bool> {
        self.phy_read(phy_reg::BSR).ok().map(|v| v & BSR_LINK != 0)
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The register access (for tests and diagnostics).
    pub fn regs(&self) -> &R {
        &self.regs
    }

    /// Raise the IRQ pin when a frame arrives: clears stale status, enables
    /// the RX-status-level interrupt and the pin (active-high push-pull).
    /// The pin is level-triggered: acknowledge with [`Self::ack_interrupts`].
    pub fn enable_interrupts(&mut self) {
        self.regs.write(reg::INT_STS, u32::MAX);
        self.regs.write(reg::INT_EN, INT_RSFL);
        self.regs
            .write(reg::IRQ_CFG, IRQ_CFG_EN | IRQ_CFG_POL | IRQ_CFG_TYPE);
    }

    /// Stops raising the IRQ pin.
    pub fn disable_interrupts(&mut self) {
        self.regs.write(reg::INT_EN, 0);
        self.regs.write(reg::IRQ_CFG, IRQ_CFG_POL | IRQ_CFG_TYPE);
        self.regs.write(reg::INT_STS, u32::MAX);
    }

    /// Clears the pending interrupt sources and returns them. Call before
    /// draining the RX FIFO, so a frame arriving afterwards raises the pin
    /// again.
    pub fn ack_interrupts(&mut self) -> u32 {
        let pending = self.regs.read(reg::INT_STS);
        self.regs.write(reg::INT_STS, pending);
        pending
    }

    /// Whether received frames (or their status) wait in the RX FIFO.
    pub fn rx_pending(&self) -> bool {
        rx_status_entries(&self.regs) != 0
    }

    /// Moves the next good frame from the RX FIFO into the RX buffer and
    /// returns its length without the CRC; drops (and counts) bad frames on
    /// the way. `None`: nothing (good) is pending.
    pub fn receive_frame(&mut self) -> Option<usize> {
        for _ in 0..RX_STATUS_ENTRIES_MAX {
            if rx_status_entries(&self.regs) == 0 {
                return None;
            }
            let status = self.regs.read(reg::RX_STATUS_FIFO);
            let len = ((status >> RX_STS_LEN_SHIFT) & RX_STS_LEN_MASK) as usize;
            // The RX_ALIGN offset bytes come first in the FIFO.
            let words = (len + RX_ALIGN).div_ceil(WORD);
            let bad = status & (RX_STS_ES | RX_STS_FILTER_FAIL) != 0;
            // Longer than the MTU: the status lies, or a frame smoltcp
            // cannot take (found by the `lan9118_rx` fuzz target).
            if bad || !(MIN_FRAME + CRC_LEN..=MTU + CRC_LEN).contains(&len) {
                // Pop the frame's words to keep the FIFO in step.
                for _ in 0..words {
                    self.regs.read(reg::RX_DATA_FIFO);
                }
                self.stats.rx_dropped = self.stats.rx_dropped.wrapping_add(1);
                continue;
            }
            // RX_ALIGN + len <= FRAME_BUFFER (checked above and at
            // compile time): the buffer has the words; in bursts.
            match cuatro_driver_kit::words_mut(self.rx).get_mut(..words) {
                Some(buf) => self.regs.read_fifo(reg::RX_DATA_FIFO, buf),
                None => return None,
            }
            // The TCP checksum, offloaded from smoltcp (capabilities()).
            let frame = self.rx.get(RX_ALIGN..RX_ALIGN + len - CRC_LEN);
            if !frame.is_some_and(cuatro_driver_kit::tcp_checksum_ok) {
                self.stats.rx_dropped = self.stats.rx_dropped.wrapping_add(1);
                continue;
            }
            self.stats.rx_frames = self.stats.rx_frames.wrapping_add(1);
            return Some(len - CRC_LEN);
        }
        None
    }

    /// The frame last moved into the RX buffer by [`Self::receive_frame`].
    pub fn rx_frame(&self, len: usize) -> Option<&[u8]> {
        self.rx.get(RX_ALIGN..RX_ALIGN + len)
    }

    /// Sends `frame` (an Ethernet frame without CRC; the MAC appends it).
    /// Returns whether it was queued.
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        tx_frame(
            &mut self.regs,
            frame,
            next_tag(&mut self.tag),
            &mut self.stats,
        )
    }

    /// Drains the TX status FIFO, counting errors.
    pub fn drain_tx_status(&mut self) {
        drain_tx_status(&mut self.regs, &mut self.stats);
    }

    fn mac_read(&mut self, idx: u32) -> Result<u32, Error> {
        if !wait_for(&self.regs, reg::MAC_CSR_CMD, MAC_CSR_BUSY, 0) {
            return Err(Error::MacCsrTimeout);
        }
        self.regs
            .write(reg::MAC_CSR_CMD, MAC_CSR_BUSY | MAC_CSR_READ | idx);
        if !wait_for(&self.regs, reg::MAC_CSR_CMD, MAC_CSR_BUSY, 0) {
            return Err(Error::MacCsrTimeout);
        }
        Ok(self.regs.read(reg::MAC_CSR_DATA))
    }

    fn mac_write(&mut self, idx: u32, v: u32) -> Result<(), Error> {
        if !wait_for(&self.regs, reg::MAC_CSR_CMD, MAC_CSR_BUSY, 0) {
            return Err(Error::MacCsrTimeout);
        }
        self.regs.write(reg::MAC_CSR_DATA, v);
        self.regs.write(reg::MAC_CSR_CMD, MAC_CSR_BUSY | idx);
        if !wait_for(&self.regs, reg::MAC_CSR_CMD, MAC_CSR_BUSY, 0) {
            return Err(Error::MacCsrTimeout);
        }
        Ok(())
    }

    fn mii_wait(&mut self) -> Result<(), Error> {
        for _ in 0..POLL_LIMIT {
            if self.mac_read(mac::MII_ACC)? & MII_BUSY == 0 {
                return Ok(());
            }
        }
        Err(Error::PhyTimeout)
    }

    fn phy_read(&mut self, r: u32) -> Result<u32, Error> {
        self.mii_wait()?;
        self.mac_write(mac::MII_ACC, mii_command(r) | MII_BUSY)?;
        self.mii_wait()?;
        Ok(self.mac_read(mac::MII_DATA)? & 0xffff)
    }

    fn phy_write(&mut self, r: u32, v: u32) -> Result<(), Error> {
        self.mii_wait()?;
        self.mac_write(mac::MII_DATA, v & 0xffff)?;
        self.mac_write(mac::MII_ACC, mii_command(r) | MII_WRITE | MII_BUSY)?;
        self.mii_wait()
    }
}

fn mii_command(r: u32) -> u32 {
    (phy_reg::ADDRESS << 11) | ((r & 0x1f) << 6)
}

fn rx_status_entries<R: Regs + ?Sized>(regs: &R) -> u32 {
    (regs.read(reg::RX_FIFO_INF) >> FIFO_INF_STATUS_SHIFT) & FIFO_INF_STATUS_MASK
}

fn next_tag(tag: &mut u16) -> u16 {
    *tag = tag.wrapping_add(1);
    *tag
}

fn drain_tx_status<R: Regs + ?Sized>(regs: &mut R, stats: &mut Stats) {
    let used = (regs.read(reg::TX_FIFO_INF) >> FIFO_INF_STATUS_SHIFT) & FIFO_INF_STATUS_MASK;
    for _ in 0..used {
        if regs.read(reg::TX_STATUS_FIFO) & TX_STS_ES != 0 {
            stats.tx_errors = stats.tx_errors.wrapping_add(1);
        }
    }
}

/// Pushes one frame into the TX data FIFO: command A (first and last
/// segment, length), command B (tag, length), then the bytes packed
/// little-endian into words, the last one zero-padded. Not inlined into
/// the transmit token (32 B less flash on the MPS2 board, 2026-12-02).
#[inline(never)]
fn tx_frame<R: Regs + ?Sized>(regs: &mut R, frame: &[u8], tag: u16, stats: &mut Stats) -> bool {
    drain_tx_status(regs, stats);
    let len = frame.len();
    if len > FRAME_BUFFER {
        stats.tx_dropped = stats.tx_dropped.wrapping_add(1);
        return false;
    }
    let need = (len.div_ceil(WORD) * WORD + 2 * WORD) as u32;
    let room = (0..POLL_LIMIT).any(|_| regs.read(reg::TX_FIFO_INF) & TX_FIFO_INF_FREE_MASK >= need);
    if !room {
        stats.tx_dropped = stats.tx_dropped.wrapping_add(1);
        return false;
    }
    let len = len as u32;
    regs.write(reg::TX_DATA_FIFO, TX_CMD_A_FIRST | TX_CMD_A_LAST | len);
    regs.write(
        reg::TX_DATA_FIFO,
        (u32::from(tag) << TX_CMD_B_TAG_SHIFT) | len,
    );
    // Whole words in bursts when the frame starts on a word boundary (the
    // driver's TX buffer does), then the rest packed into a last word.
    let whole = cuatro_driver_kit::words(frame);
    regs.write_fifo(reg::TX_DATA_FIFO, whole);
    for chunk in frame
        .get(whole.len() * WORD..)
        .unwrap_or_default()
        .chunks(WORD)
    {
        let mut word = [0u8; WORD];
        for (dst, src) in word.iter_mut().zip(chunk) {
            *dst = *src;
        }
        regs.write(reg::TX_DATA_FIFO, u32::from_le_bytes(word));
    }
    stats.tx_frames = stats.tx_frames.wrapping_add(1);
    true
}

pub use cuatro_driver_kit::{RxToken, TxToken};

/// Where a frame smoltcp built goes: the TX data FIFO, with the next tag
/// and the counters.
pub struct TxPort<'a, R: Regs> {
    regs: &'a mut R,
    tag: &'a mut u16,
    stats: &'a mut Stats,
}

impl<R: Regs> Transmit for TxPort<'_, R> {
    fn send(self, frame: &[u8]) {
        tx_frame(self.regs, frame, next_tag(self.tag), self.stats);
    }

    fn drop_oversized(self) {
        self.stats.tx_dropped = self.stats.tx_dropped.wrapping_add(1);
    }
}

impl<R: Regs> phy::Device for Lan9118<'_, R> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, TxPort<'a, R>>
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let len = self.receive_frame()?;
        let frame = self.rx.get(RX_ALIGN..RX_ALIGN + len)?;
        let port = TxPort {
            regs: &mut self.regs,
            tag: &mut self.tag,
            stats: &mut self.stats,
        };
        Some((
            RxToken::new(frame),
            TxToken::new(self.tx.as_mut_slice(), port),
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        // No room for a full frame: let smoltcp keep it and retry later.
        drain_tx_status(&mut self.regs, &mut self.stats);
        if self.regs.read(reg::TX_FIFO_INF) & TX_FIFO_INF_FREE_MASK < TX_ROOM_FULL_FRAME {
            return None;
        }
        let port = TxPort {
            regs: &mut self.regs,
            tag: &mut self.tag,
            stats: &mut self.stats,
        };
        Some(TxToken::new(self.tx.as_mut_slice(), port))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        // Received TCP checksums are checked here (receive_frame), word by
        // word on the aligned segment; smoltcp computes them on transmit.
        caps.checksum.tcp = Checksum::Tx;
        caps
    }
}

impl<R: Regs> Nic for Lan9118<'_, R> {
    fn rx_pending(&self) -> bool {
        Lan9118::rx_pending(self)
    }

    fn ack_interrupts(&mut self) {
        Lan9118::ack_interrupts(self);
    }

    fn enable_interrupts(&mut self) {
        Lan9118::enable_interrupts(self);
    }

    fn accept_multicast(&mut self, group: [u8; 6]) -> bool {
        Lan9118::accept_multicast(self, group).is_ok()
    }
}

/// A multicast address's bit in the hash filter (0..64): the six most
/// significant bits of the Ethernet CRC-32 of the address, its bytes fed
/// least significant bit first, the register not inverted (the datasheet's
/// "hash filter", as Linux's smsc911x and QEMU's model compute it).
pub const fn multicast_hash(addr: [u8; 6]) -> u32 {
    let mut crc: u32 = !0;
    let mut rest: &[u8] = &addr;
    while let [first, tail @ ..] = rest {
        let mut b = *first;
        let mut k = 0;
        while k < 8 {
            let carry = (crc >> 31) ^ (b as u32 & 1);
            crc <<= 1;
            if carry != 0 {
                crc ^= 0x04C1_1DB7;
            }
            b >>= 1;
            k += 1;
        }
        rest = tail;
    }
    crc >> 26
}

#[cfg(test)]
mod tests;
