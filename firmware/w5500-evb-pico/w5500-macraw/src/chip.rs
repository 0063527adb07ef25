//! The chip's side: register access over the [`Bus`], socket 0's commands
//! and states, and the MACRAW framing each way. Every wait is bounded.

use crate::{
    bump, Error, Stats, COMMAND_POLLS, LEN_FIELD, MIN_FRAME, MIN_WIRE_FRAME, MTU, RESET_POLLS,
    RX_BUFFER_BYTES, RX_BUFFER_KIB, SEND_POLLS, STABLE_READS, STATUS_POLLS, TX_BUFFER_BYTES,
    TX_BUFFER_KIB, VERSION,
};
use w5500::bus::Bus;
use w5500::register::socketn::{self, Command, Interrupt, Protocol, Status};
use w5500::register::{self, common};

/// Common-register block.
const COMMON: u8 = register::COMMON;
/// Socket 0's register block, its TX buffer and its RX buffer.
const S0: u8 = register::SOCKET0;
const S0_TX: u8 = register::SOCKET0_BUFFER_TX;
const S0_RX: u8 = register::SOCKET0_BUFFER_RX;
/// The register blocks of sockets 1..=7 (their buffers are set to 0 KiB).
const OTHER_SOCKETS: [u8; 7] = [
    register::SOCKET1,
    register::SOCKET2,
    register::SOCKET3,
    register::SOCKET4,
    register::SOCKET5,
    register::SOCKET6,
    register::SOCKET7,
];

/// `MR`: software reset (self-clearing).
const MR_RST: u8 = 0x80;
/// `MR` in operation: the chip does not answer pings itself (smoltcp does).
const MR_RUN: u8 = w5500::OnPingRequest::Ignore as u8;
/// `IMR` (common interrupts: IP conflict, unreachable, PPPoE, magic packet):
/// none.
const IMR: u16 = 0x16;
/// `Sn_MR` MFEN: in MACRAW mode, only frames to our MAC and broadcast.
const SN_MR_MFEN: u8 = 0x80;
/// `Sn_MR` for socket 0: MACRAW with the MAC filter.
const SN_MR_MACRAW: u8 = SN_MR_MFEN | Protocol::MacRaw as u8;
/// `Sn_MR` for socket 0 once multicast is asked for: MACRAW without the
/// filter (every frame on the segment; the driver drops others' unicast).
const SN_MR_MACRAW_ALL: u8 = Protocol::MacRaw as u8;
/// Bytes of a frame read first when the filter is off: its destination.
const DST_LEN: usize = 6;
/// `SIMR` bit of socket 0.
const SIMR_S0: u8 = 0x01;
/// `PHYCFGR` LNK: link up.
const PHYCFGR_LNK: u8 = 0x01;

/// Zeros to pad a short frame with.
const PADDING: [u8; MIN_WIRE_FRAME - MIN_FRAME] = [0; MIN_WIRE_FRAME - MIN_FRAME];

const SEND_OK: u8 = Interrupt::SendOk as u8;
const RECV: u8 = Interrupt::Receive as u8;

/// Why an operation on socket 0 stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The SPI bus reported an error.
    Bus,
    /// A size register never read the same twice in a row.
    Unstable,
    /// A command was not taken, a state not reached, `SEND_OK` never came.
    Timeout,
    /// The RX buffer does not hold what the driver expects.
    OutOfStep,
    /// The TX buffer has no room for the frame.
    NoRoom,
}

/// The bus and socket 0's state as the driver tracks it.
pub(crate) struct Chip<B: Bus> {
    pub(crate) bus: B,
    /// Bytes of the RX buffer not yet taken, as of the last `Sn_RX_RSR` read.
    pub(crate) rx_left: u16,
    /// A `SEND` was issued and its `SEND_OK` not seen yet.
    tx_busy: bool,
    /// Our MAC address (what `bring_up` programmed), for the software
    /// filter.
    mac: [u8; 6],
    /// Socket 0 runs without the chip's MAC filter (multicast asked for):
    /// unicast frames to other MACs are skipped without reading them.
    all_frames: bool,
    pub(crate) stats: Stats,
}

/// What one look at the RX buffer found.
enum Rx {
    /// Nothing waiting.
    Empty,
    /// A frame of this length for us, in the buffer.
    Frame(usize),
    /// Another host's unicast frame, passed over (the filter is off).
    Skipped,
}

impl<B: Bus> Chip<B> {
    pub(crate) fn new(bus: B) -> Self {
        Chip {
            bus,
            rx_left: 0,
            tx_busy: false,
            mac: [0; 6],
            all_frames: false,
            stats: Stats::default(),
        }
    }

    // --- register access -------------------------------------------------

    fn read(&mut self, block: u8, addr: u16, buf: &mut [u8]) -> Result<(), Fault> {
        self.bus.read_frame(block, addr, buf).map_err(|_| {
            bump(&mut self.stats.bus_errors);
            Fault::Bus
        })
    }

    fn write(&mut self, block: u8, addr: u16, data: &[u8]) -> Result<(), Fault> {
        self.bus.write_frame(block, addr, data).map_err(|_| {
            bump(&mut self.stats.bus_errors);
            Fault::Bus
        })
    }

    fn read_u8(&mut self, block: u8, addr: u16) -> Result<u8, Fault> {
        let mut b = [0u8; 1];
        self.read(block, addr, &mut b)?;
        let [v] = b;
        Ok(v)
    }

    fn write_u8(&mut self, block: u8, addr: u16, v: u8) -> Result<(), Fault> {
        self.write(block, addr, &[v])
    }

    fn read_u16(&mut self, block: u8, addr: u16) -> Result<u16, Fault> {
        let mut b = [0u8; 2];
        self.read(block, addr, &mut b)?;
        Ok(u16::from_be_bytes(b))
    }

    fn write_u16(&mut self, block: u8, addr: u16, v: u16) -> Result<(), Fault> {
        self.write(block, addr, &v.to_be_bytes())
    }

    /// A size register of socket 0, read until two reads in a row agree.
    fn read_size(&mut self, addr: u16) -> Result<u16, Fault> {
        let mut last = self.read_u16(S0, addr)?;
        for _ in 0..STABLE_READS {
            let v = self.read_u16(S0, addr)?;
            if v == last {
                return Ok(v);
            }
            last = v;
        }
        bump(&mut self.stats.unstable_reads);
        Err(Fault::Unstable)
    }

    /// Reads `buf.len()` bytes of a socket buffer (`block`, `size` bytes)
    /// from pointer `ptr`, in two parts where it runs past the end.
    fn read_ring(&mut self, block: u8, size: usize, ptr: u16, buf: &mut [u8]) -> Result<(), Fault> {
        let offset = usize::from(ptr) % size;
        let (first, second) = buf.split_at_mut(buf.len().min(size - offset));
        self.read(block, offset as u16, first)?;
        if !second.is_empty() {
            self.read(block, 0, second)?;
        }
        Ok(())
    }

    /// Writes `data` into a socket buffer from pointer `ptr`, in two parts
    /// where it runs past the end.
    fn write_ring(&mut self, block: u8, size: usize, ptr: u16, data: &[u8]) -> Result<(), Fault> {
        let offset = usize::from(ptr) % size;
        let (first, second) = data.split_at(data.len().min(size - offset));
        self.write(block, offset as u16, first)?;
        if !second.is_empty() {
            self.write(block, 0, second)?;
        }
        Ok(())
    }

    // --- socket 0 ----------------------------------------------------------

    /// Issues `cmd` on socket 0 and waits until the chip has taken it.
    fn command(&mut self, cmd: Command) -> Result<(), Fault> {
        self.write_u8(S0, socketn::COMMAND, cmd as u8)?;
        for _ in 0..COMMAND_POLLS {
            if self.read_u8(S0, socketn::COMMAND)? == 0 {
                return Ok(());
            }
        }
        bump(&mut self.stats.command_timeouts);
        Err(Fault::Timeout)
    }

    /// Waits until socket 0's status is `want`; returns the last status
    /// read otherwise.
    fn wait_status(&mut self, want: Status) -> Result<(), u8> {
        let mut sr = 0;
        for _ in 0..STATUS_POLLS {
            sr = self.read_u8(S0, socketn::STATUS).map_err(|_| sr)?;
            if sr == want as u8 {
                return Ok(());
            }
        }
        Err(sr)
    }

    /// Opens socket 0 in MACRAW mode, with the MAC filter unless multicast
    /// was asked for ([`Self::receive_all`]; the chip resets every buffer
    /// pointer), and clears its stale interrupts.
    fn open(&mut self) -> Result<(), Error> {
        self.rx_left = 0;
        self.tx_busy = false;
        let mode = if self.all_frames {
            SN_MR_MACRAW_ALL
        } else {
            SN_MR_MACRAW
        };
        self.write_u8(S0, socketn::MODE, mode)
            .map_err(|_| Error::Bus)?;
        self.command(Command::Open)
            .map_err(|_| Error::OpenFailed(0))?;
        self.wait_status(Status::MacRaw)
            .map_err(Error::OpenFailed)?;
        self.write_u8(S0, socketn::INTERRUPT, Interrupt::All as u8)
            .map_err(|_| Error::Bus)
    }

    /// Closes socket 0 (best effort: a chip that does not answer is opened
    /// again all the same).
    fn close(&mut self) {
        if self.command(Command::Close).is_ok() {
            let _ = self.wait_status(Status::Closed);
        }
    }

    /// Socket 0 is out of step or stuck: close it and open it again, which
    /// empties both buffers.
    fn reopen(&mut self) {
        self.close();
        if self.open().is_err() {
            bump(&mut self.stats.reopen_failures);
        }
    }

    /// The chip after the board's hardware reset: see [`crate::W5500::new`].
    pub(crate) fn bring_up(&mut self, mac: [u8; 6]) -> Result<(), Error> {
        let version = self
            .read_u8(COMMON, common::VERSION)
            .map_err(|_| Error::Bus)?;
        if version != VERSION {
            return Err(Error::NotFound(version));
        }
        self.write_u8(COMMON, common::MODE, MR_RST)
            .map_err(|_| Error::Bus)?;
        let mut reset_done = false;
        for _ in 0..RESET_POLLS {
            let mr = self.read_u8(COMMON, common::MODE).map_err(|_| Error::Bus)?;
            if mr & MR_RST == 0 {
                reset_done = true;
                break;
            }
        }
        if !reset_done {
            return Err(Error::ResetTimeout);
        }
        self.setup(mac).map_err(|_| Error::Bus)?;
        self.mac = mac;
        self.open()
    }

    /// Socket 0 opened again without the chip's MAC filter, so multicast
    /// frames arrive (MFEN passes only our unicast and broadcast). Whether
    /// it is open that way.
    pub(crate) fn receive_all(&mut self) -> bool {
        if self.all_frames {
            return true;
        }
        self.all_frames = true;
        self.close();
        if self.open().is_ok() {
            return true;
        }
        bump(&mut self.stats.reopen_failures);
        // Back with the filter, as before.
        self.all_frames = false;
        self.reopen();
        false
    }

    /// Mode, MAC address, buffer sizes, every interrupt masked.
    fn setup(&mut self, mac: [u8; 6]) -> Result<(), Fault> {
        self.write_u8(COMMON, common::MODE, MR_RUN)?;
        self.write(COMMON, common::MAC, &mac)?;
        self.write_u8(COMMON, IMR, 0)?;
        self.write_u8(COMMON, common::SOCKET_INTERRUPT_MASK, 0)?;
        self.write_u8(S0, socketn::INTERRUPT_MASK, 0)?;
        for block in OTHER_SOCKETS {
            self.write_u8(block, socketn::RXBUF_SIZE, 0)?;
            self.write_u8(block, socketn::TXBUF_SIZE, 0)?;
        }
        self.write_u8(S0, socketn::RXBUF_SIZE, RX_BUFFER_KIB)?;
        self.write_u8(S0, socketn::TXBUF_SIZE, TX_BUFFER_KIB)
    }

    pub(crate) fn mac_address(&mut self) -> Result<[u8; 6], Fault> {
        let mut mac = [0u8; 6];
        self.read(COMMON, common::MAC, &mut mac)?;
        Ok(mac)
    }

    pub(crate) fn link_up(&mut self) -> Result<bool, Fault> {
        Ok(self.read_u8(COMMON, common::PHY_CONFIG)? & PHYCFGR_LNK != 0)
    }

    // --- interrupts ----------------------------------------------------------

    pub(crate) fn enable_interrupts(&mut self) {
        let _ = self.write_u8(S0, socketn::INTERRUPT, RECV);
        let _ = self.write_u8(S0, socketn::INTERRUPT_MASK, RECV);
        let _ = self.write_u8(COMMON, common::SOCKET_INTERRUPT_MASK, SIMR_S0);
    }

    pub(crate) fn disable_interrupts(&mut self) {
        let _ = self.write_u8(COMMON, common::SOCKET_INTERRUPT_MASK, 0);
        let _ = self.write_u8(S0, socketn::INTERRUPT_MASK, 0);
    }

    pub(crate) fn ack_interrupts(&mut self) {
        let _ = self.write_u8(S0, socketn::INTERRUPT, RECV);
    }

    // --- receive -------------------------------------------------------------

    /// One frame for us into `buf` (at least [`MTU`] bytes); its length.
    /// Passes over at most [`MAX_SKIPPED`](crate::MAX_SKIPPED) frames of
    /// other hosts first (the filter off).
    pub(crate) fn receive(&mut self, buf: &mut [u8]) -> Option<usize> {
        for _ in 0..=crate::MAX_SKIPPED {
            match self.receive_frame(buf) {
                Ok(Rx::Frame(len)) => return Some(len),
                Ok(Rx::Empty) => return None,
                Ok(Rx::Skipped) => {}
                Err(Fault::OutOfStep | Fault::Timeout) => {
                    bump(&mut self.stats.rx_resyncs);
                    self.reopen();
                    return None;
                }
                // Counted where they happened; tried again on the next poll.
                Err(Fault::Bus | Fault::Unstable | Fault::NoRoom) => return None,
            }
        }
        None
    }

    fn receive_frame(&mut self, buf: &mut [u8]) -> Result<Rx, Fault> {
        if self.rx_left == 0 {
            self.rx_left = self.received_size()?;
            if self.rx_left == 0 {
                return Ok(Rx::Empty);
            }
        }
        if usize::from(self.rx_left) < LEN_FIELD {
            return Err(Fault::OutOfStep);
        }
        let ptr = self.read_u16(S0, socketn::RX_DATA_READ_POINTER)?;
        let mut field = [0u8; LEN_FIELD];
        self.read_ring(S0_RX, RX_BUFFER_BYTES, ptr, &mut field)?;
        let image = u16::from_be_bytes(field);
        let len = usize::from(image)
            .checked_sub(LEN_FIELD)
            .filter(|len| (MIN_FRAME..=MTU).contains(len))
            .ok_or(Fault::OutOfStep)?;
        if image > self.rx_left {
            // What we knew of the buffer may be stale: ask again.
            self.rx_left = self.received_size()?;
            if image > self.rx_left {
                return Err(Fault::OutOfStep);
            }
        }
        let frame = buf.get_mut(..len).ok_or(Fault::OutOfStep)?;
        let start = ptr.wrapping_add(LEN_FIELD as u16);
        let mut read = 0;
        if self.all_frames {
            // The destination first: another host's unicast frame (a
            // switch floods those it has not learnt) is passed over
            // without its body crossing the SPI bus.
            let dst = frame.get_mut(..DST_LEN).ok_or(Fault::OutOfStep)?;
            self.read_ring(S0_RX, RX_BUFFER_BYTES, start, dst)?;
            let group = dst.first().is_some_and(|b| b & 1 != 0);
            if !group && *dst != self.mac {
                self.commit(ptr, image)?;
                bump(&mut self.stats.rx_foreign);
                return Ok(Rx::Skipped);
            }
            read = DST_LEN;
        }
        let rest = frame.get_mut(read..).ok_or(Fault::OutOfStep)?;
        self.read_ring(
            S0_RX,
            RX_BUFFER_BYTES,
            start.wrapping_add(read as u16),
            rest,
        )?;
        self.commit(ptr, image)?;
        bump(&mut self.stats.rx_frames);
        Ok(Rx::Frame(len))
    }

    /// Gives the frame at `ptr` (`image` bytes with its length field) back
    /// to the chip: `Sn_RX_RD` past it, `RECV`.
    fn commit(&mut self, ptr: u16, image: u16) -> Result<(), Fault> {
        self.write_u16(S0, socketn::RX_DATA_READ_POINTER, ptr.wrapping_add(image))?;
        self.command(Command::Receive)?;
        self.rx_left -= image;
        Ok(())
    }

    /// `Sn_RX_RSR`, checked against the buffer's size.
    fn received_size(&mut self) -> Result<u16, Fault> {
        let size = self.read_size(socketn::RECEIVED_SIZE)?;
        if usize::from(size) > RX_BUFFER_BYTES {
            return Err(Fault::OutOfStep);
        }
        Ok(size)
    }

    // --- transmit --------------------------------------------------------------

    /// Sends one frame; whether the chip took it.
    pub(crate) fn send(&mut self, frame: &[u8]) -> bool {
        if !(MIN_FRAME..=MTU).contains(&frame.len()) {
            bump(&mut self.stats.tx_dropped);
            return false;
        }
        match self.send_frame(frame) {
            Ok(()) => {
                bump(&mut self.stats.tx_frames);
                true
            }
            Err(Fault::Timeout) => {
                bump(&mut self.stats.tx_timeouts);
                self.reopen();
                false
            }
            Err(Fault::NoRoom | Fault::OutOfStep | Fault::Unstable | Fault::Bus) => {
                bump(&mut self.stats.tx_dropped);
                false
            }
        }
    }

    fn send_frame(&mut self, frame: &[u8]) -> Result<(), Fault> {
        let padding = PADDING
            .get(..MIN_WIRE_FRAME.saturating_sub(frame.len()))
            .unwrap_or_default();
        let len = (frame.len() + padding.len()) as u16;
        let free = self.read_size(socketn::TX_FREE_SIZE)?;
        if usize::from(free) > TX_BUFFER_BYTES || free < len {
            return Err(Fault::NoRoom);
        }
        let ptr = self.read_u16(S0, socketn::TX_DATA_WRITE_POINTER)?;
        // Into the buffer past Sn_TX_WR while the previous frame may still
        // be going out: the chip sends only up to Sn_TX_WR.
        self.write_ring(S0_TX, TX_BUFFER_BYTES, ptr, frame)?;
        if !padding.is_empty() {
            let end = ptr.wrapping_add(frame.len() as u16);
            self.write_ring(S0_TX, TX_BUFFER_BYTES, end, padding)?;
        }
        if self.tx_busy {
            self.wait_send_ok()?;
        }
        self.write_u16(S0, socketn::TX_DATA_WRITE_POINTER, ptr.wrapping_add(len))?;
        self.command(Command::Send)?;
        self.tx_busy = true;
        Ok(())
    }

    /// Waits for the previous frame's `SEND_OK` and clears it.
    fn wait_send_ok(&mut self) -> Result<(), Fault> {
        for _ in 0..SEND_POLLS {
            if self.read_u8(S0, socketn::INTERRUPT)? & SEND_OK != 0 {
                self.write_u8(S0, socketn::INTERRUPT, SEND_OK)?;
                self.tx_busy = false;
                return Ok(());
            }
        }
        Err(Fault::Timeout)
    }
}
