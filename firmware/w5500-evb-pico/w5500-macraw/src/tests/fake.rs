//! A fake W5500 at the `Bus` level (block + address + bytes, as
//! `w5500::bus::FourWire` frames them): the registers this driver touches,
//! from the W5500 datasheet's register chapter. See the crate docs for
//! where it is stricter than the chip.

extern crate std;

use std::cell::{RefCell, RefMut};
use std::rc::Rc;
use std::vec::Vec;
use w5500::bus::Bus;

pub const S0: u8 = 0x01;
pub const S0_TX: u8 = 0x02;
pub const S0_RX: u8 = 0x03;
pub const BUF: usize = 16 * 1024;

pub const MR: u16 = 0x00;
pub const SHAR: u16 = 0x09;
pub const SIMR: u16 = 0x18;
pub const PHYCFGR: u16 = 0x2E;
pub const VERSIONR: u16 = 0x39;

pub const SN_MR: u16 = 0x00;
pub const SN_CR: u16 = 0x01;
pub const SN_IR: u16 = 0x02;
pub const SN_SR: u16 = 0x03;
pub const SN_RXBUF: u16 = 0x1E;
pub const SN_TXBUF: u16 = 0x1F;
pub const SN_TX_FSR: u16 = 0x20;
pub const SN_TX_RD: u16 = 0x22;
pub const SN_TX_WR: u16 = 0x24;
pub const SN_RX_RSR: u16 = 0x26;
pub const SN_RX_RD: u16 = 0x28;
pub const SN_RX_WR: u16 = 0x2A;
pub const SN_IMR: u16 = 0x2C;

pub const SOCK_MACRAW: u8 = 0x42;
pub const IR_SEND_OK: u8 = 0x10;
pub const IR_RECV: u8 = 0x04;

/// When a `SEND` raises `SEND_OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDone {
    /// At once.
    Now,
    /// After this many reads of `Sn_IR`.
    AfterPolls(u32),
    /// Never (a wedged transmitter).
    Never,
}

pub struct Model {
    pub version: u8,
    pub common: [u8; 0x40],
    /// Register bytes of each socket (indexed by socket number); the
    /// computed ones (CR, SR, IR, sizes, pointers) are kept below.
    pub sock: [[u8; 0x30]; 8],
    pub sr: u8,
    pub ir: u8,
    pub rx: Vec<u8>,
    pub tx: Vec<u8>,
    /// The chip's RX write pointer and the committed read pointer.
    pub rx_wr: u16,
    pub rx_rd: u16,
    /// `Sn_RX_RD` as the host last wrote it (committed by RECV).
    pub rx_rd_reg: u16,
    pub tx_rd: u16,
    pub tx_wr_reg: u16,
    /// `Sn_RX_RSR` reads return this instead (a chip out of step).
    pub rsr_override: Option<u16>,
    /// `Sn_RX_RSR` reads alternate between two values (never stable).
    pub rsr_flaps: bool,
    pub send_done: SendDone,
    /// Polls of `Sn_IR` left before a pending `SEND_OK` is raised.
    pub send_ok_in: Option<u32>,
    /// Commands never complete (`Sn_CR` keeps reading the command).
    pub cr_stuck: bool,
    pub cr: u8,
    /// The software reset never ends.
    pub reset_stuck: bool,
    /// `OPEN` does not reach SOCK_MACRAW.
    pub open_fails: bool,
    pub link: bool,
    /// Frames sent, in order.
    pub sent: Vec<Vec<u8>>,
    /// Commands issued, in order.
    pub commands: Vec<u8>,
    /// Bus transactions so far.
    pub ops: u64,
    /// Bursts that ran past the end of a socket buffer (the driver splits
    /// them; the chip would wrap).
    pub crossings: u32,
    /// Frames the chip dropped for want of room.
    pub rx_dropped: u32,
    /// Model `Sn_MR` MFEN as the datasheet words it: with the bit set in
    /// the mode socket 0 was opened with, a frame that is neither to
    /// `SHAR` nor broadcast is dropped (multicast too). Off by default:
    /// most tests push frames of arbitrary bytes.
    pub model_mfen: bool,
    /// `Sn_MR` as of the last `OPEN` (what the chip acts on).
    pub opened_mode: u8,
    /// Frames the modelled MFEN dropped.
    pub mfen_dropped: u32,
    /// Bytes read from socket 0's RX buffer.
    pub rx_bytes_read: u64,
}

#[derive(Clone)]
pub struct Fake(pub Rc<RefCell<Model>>);

impl Fake {
    pub fn new() -> Self {
        Fake(Rc::new(RefCell::new(Model {
            version: 0x04,
            common: [0; 0x40],
            sock: [[0; 0x30]; 8],
            sr: 0,
            ir: 0,
            rx: std::vec![0; BUF],
            tx: std::vec![0; BUF],
            rx_wr: 0,
            rx_rd: 0,
            rx_rd_reg: 0,
            tx_rd: 0,
            tx_wr_reg: 0,
            rsr_override: None,
            rsr_flaps: false,
            send_done: SendDone::Now,
            send_ok_in: None,
            cr_stuck: false,
            cr: 0,
            reset_stuck: false,
            open_fails: false,
            link: true,
            sent: Vec::new(),
            commands: Vec::new(),
            ops: 0,
            crossings: 0,
            rx_dropped: 0,
            model_mfen: false,
            opened_mode: 0,
            mfen_dropped: 0,
            rx_bytes_read: 0,
        })))
    }

    pub fn m(&self) -> RefMut<'_, Model> {
        self.0.borrow_mut()
    }

    /// A frame arrives: its length field and bytes at the write pointer,
    /// `RECV` raised (dropped if the buffer has no room, as the chip does).
    pub fn push_frame(&self, frame: &[u8]) {
        let image = frame.len() + 2;
        let mut bytes = (image as u16).to_be_bytes().to_vec();
        bytes.extend_from_slice(frame);
        let mut m = self.m();
        if m.model_mfen && m.opened_mode & 0x80 != 0 {
            let shar = &m.common[SHAR as usize..SHAR as usize + 6];
            let dst = &frame[..6];
            if dst != shar && dst != [0xFF; 6] {
                m.mfen_dropped += 1;
                return;
            }
        }
        if m.rsr() as usize + image > BUF {
            m.rx_dropped += 1;
            return;
        }
        drop(m);
        self.push_raw(&bytes);
    }

    /// Raw bytes appear in the RX buffer at the write pointer (a buffer out
    /// of step), `RECV` raised.
    pub fn push_raw(&self, bytes: &[u8]) {
        let mut m = self.m();
        for &b in bytes {
            let at = m.rx_wr as usize % BUF;
            m.rx[at] = b;
            m.rx_wr = m.rx_wr.wrapping_add(1);
        }
        m.ir |= IR_RECV;
    }

    /// Moves both RX pointers (an empty buffer starting at `ptr`).
    pub fn set_rx_pointer(&self, ptr: u16) {
        let mut m = self.m();
        m.rx_wr = ptr;
        m.rx_rd = ptr;
        m.rx_rd_reg = ptr;
    }

    /// Moves both TX pointers.
    pub fn set_tx_pointer(&self, ptr: u16) {
        let mut m = self.m();
        m.tx_rd = ptr;
        m.tx_wr_reg = ptr;
    }
}

impl Model {
    pub fn rsr(&self) -> u16 {
        self.rx_wr.wrapping_sub(self.rx_rd)
    }

    fn fsr(&self) -> u16 {
        (BUF as u16).wrapping_sub(self.tx_wr_reg.wrapping_sub(self.tx_rd))
    }

    fn reset(&mut self) {
        self.common = [0; 0x40];
        self.sock = [[0; 0x30]; 8];
        for s in self.sock.iter_mut() {
            s[SN_RXBUF as usize] = 2;
            s[SN_TXBUF as usize] = 2;
        }
        self.sr = 0;
        self.ir = 0;
        self.rx_wr = 0;
        self.rx_rd = 0;
        self.rx_rd_reg = 0;
        self.tx_rd = 0;
        self.tx_wr_reg = 0;
        self.common[MR as usize] = if self.reset_stuck { 0x80 } else { 0 };
    }

    fn command(&mut self, cmd: u8) {
        self.commands.push(cmd);
        if self.cr_stuck {
            self.cr = cmd;
            return;
        }
        match cmd {
            // OPEN
            0x01 if self.sock[0][SN_MR as usize] & 0x0F == 0x04 && !self.open_fails => {
                self.opened_mode = self.sock[0][SN_MR as usize];
                self.sr = SOCK_MACRAW;
                self.rx_wr = 0;
                self.rx_rd = 0;
                self.rx_rd_reg = 0;
                self.tx_rd = 0;
                self.tx_wr_reg = 0;
            }
            0x10 => self.sr = 0, // CLOSE
            // SEND
            0x20 if self.sr == SOCK_MACRAW => {
                let n = self.tx_wr_reg.wrapping_sub(self.tx_rd) as usize;
                let frame = (0..n)
                    .map(|i| self.tx[(self.tx_rd as usize + i) % BUF])
                    .collect();
                self.sent.push(frame);
                self.tx_rd = self.tx_wr_reg;
                match self.send_done {
                    SendDone::Now => self.ir |= IR_SEND_OK,
                    SendDone::AfterPolls(n) => self.send_ok_in = Some(n),
                    SendDone::Never => {}
                }
            }
            0x40 => self.rx_rd = self.rx_rd_reg, // RECV
            _ => {}
        }
    }

    fn read_sock0(&mut self, addr: u16) -> u8 {
        let hi = |v: u16| (v >> 8) as u8;
        let lo = |v: u16| v as u8;
        match addr {
            SN_CR => self.cr,
            SN_IR => {
                if let Some(n) = self.send_ok_in {
                    if n == 0 {
                        self.ir |= IR_SEND_OK;
                        self.send_ok_in = None;
                    } else {
                        self.send_ok_in = Some(n - 1);
                    }
                }
                self.ir
            }
            SN_SR => self.sr,
            SN_TX_FSR => hi(self.fsr()),
            0x21 => lo(self.fsr()),
            SN_TX_RD => hi(self.tx_rd),
            0x23 => lo(self.tx_rd),
            SN_TX_WR => hi(self.tx_wr_reg),
            0x25 => lo(self.tx_wr_reg),
            SN_RX_RSR | 0x27 => {
                let mut v = self.rsr_override.unwrap_or(self.rsr());
                if self.rsr_flaps && self.ops.is_multiple_of(2) {
                    v = v.wrapping_add(1);
                }
                if addr == SN_RX_RSR {
                    hi(v)
                } else {
                    lo(v)
                }
            }
            SN_RX_RD => hi(self.rx_rd_reg),
            0x29 => lo(self.rx_rd_reg),
            SN_RX_WR => hi(self.rx_wr),
            0x2B => lo(self.rx_wr),
            a => self.sock[0].get(a as usize).copied().unwrap_or(0),
        }
    }

    fn write_sock0(&mut self, addr: u16, v: u8) {
        let set_hi = |r: &mut u16, v: u8| *r = (*r & 0x00FF) | (u16::from(v) << 8);
        let set_lo = |r: &mut u16, v: u8| *r = (*r & 0xFF00) | u16::from(v);
        match addr {
            SN_CR => self.command(v),
            SN_IR => self.ir &= !v,
            SN_TX_WR => set_hi(&mut self.tx_wr_reg, v),
            0x25 => set_lo(&mut self.tx_wr_reg, v),
            SN_RX_RD => set_hi(&mut self.rx_rd_reg, v),
            0x29 => set_lo(&mut self.rx_rd_reg, v),
            a => {
                if let Some(r) = self.sock[0].get_mut(a as usize) {
                    *r = v;
                }
            }
        }
    }

    fn read_common(&self, addr: u16) -> u8 {
        match addr {
            VERSIONR => self.version,
            PHYCFGR => 0b1011_1000 | u8::from(self.link),
            a => self.common.get(a as usize).copied().unwrap_or(0),
        }
    }

    fn write_common(&mut self, addr: u16, v: u8) {
        if addr == MR && v & 0x80 != 0 {
            self.reset();
            return;
        }
        if let Some(r) = self.common.get_mut(addr as usize) {
            *r = v;
        }
    }
}

impl Bus for Fake {
    type Error = core::convert::Infallible;

    fn read_frame(&mut self, block: u8, address: u16, data: &mut [u8]) -> Result<(), Self::Error> {
        let mut m = self.m();
        m.ops += 1;
        let mut crossed = false;
        for (i, d) in data.iter_mut().enumerate() {
            let addr = address.wrapping_add(i as u16);
            *d = match block {
                0 => m.read_common(addr),
                S0 => m.read_sock0(addr),
                S0_RX => {
                    m.rx_bytes_read += 1;
                    let at = address as usize % BUF + i;
                    crossed |= at >= BUF;
                    m.rx[at % BUF]
                }
                b if b & 0b11 == 0b01 => m.sock[usize::from(b >> 2)]
                    .get(addr as usize)
                    .copied()
                    .unwrap_or(0),
                _ => 0,
            };
        }
        if crossed {
            m.crossings += 1;
        }
        Ok(())
    }

    fn write_frame(&mut self, block: u8, address: u16, data: &[u8]) -> Result<(), Self::Error> {
        let mut m = self.m();
        m.ops += 1;
        let mut crossed = false;
        for (i, &v) in data.iter().enumerate() {
            let addr = address.wrapping_add(i as u16);
            match block {
                0 => m.write_common(addr, v),
                S0 => m.write_sock0(addr, v),
                S0_TX => {
                    let at = address as usize % BUF + i;
                    crossed |= at >= BUF;
                    m.tx[at % BUF] = v;
                }
                b if b & 0b11 == 0b01 => {
                    if let Some(r) = m.sock[usize::from(b >> 2)].get_mut(addr as usize) {
                        *r = v;
                    }
                }
                _ => {}
            }
        }
        if crossed {
            m.crossings += 1;
        }
        Ok(())
    }
}
