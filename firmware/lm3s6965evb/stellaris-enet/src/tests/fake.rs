//! A register file that behaves like QEMU 7.2's `stellaris_enet` where the
//! driver looks (FIFO images, MACNP, NEWTX, IACK, RSTFIFO, MII), with
//! switches for what the real chip does differently (a PHY that answers,
//! NEWTX that stays set, an RX FIFO out of step, no MAC at all).

use crate::bits::*;
use crate::reg;
use crate::Regs;
extern crate std;

use std::cell::{RefCell, RefMut};
use std::collections::VecDeque;
use std::vec::Vec;

/// QEMU's default NIC address.
pub const QEMU_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
/// The 4 bytes the fake puts where the FCS goes.
pub const FCS: [u8; 4] = [0xc1, 0xc2, 0xc3, 0xc4];

/// One frame in the RX FIFO: its image and how many bytes the FIFO really
/// holds for it (what QEMU's `rx[n].len` is; the length field may lie).
pub struct Image {
    pub bytes: Vec<u8>,
    pub len: usize,
}

/// A PHY that answers, like the chip's internal one.
pub struct Phy {
    pub regs: [u16; 32],
    /// The link now.
    pub link: bool,
    /// What MR1's (latched-low) link bit says on the next read.
    pub latched: bool,
}

impl Phy {
    pub fn new(link: bool) -> Self {
        let mut regs = [0; 32];
        regs[1] = 0x7809; // capabilities, as after reset
        regs[2] = 0x0161;
        regs[3] = 0xb410;
        Phy {
            regs,
            link,
            latched: link,
        }
    }

    fn read(&mut self, r: usize) -> u16 {
        let v = self.regs[r];
        if r == 1 {
            let bit = if self.latched { 1 << 2 } else { 0 };
            self.latched = self.link;
            return v | bit;
        }
        v
    }
}

pub struct Model {
    /// No MAC: reads are 0, writes vanish (QEMU's unassigned memory here).
    pub absent: bool,
    pub ris: u32,
    pub im: u32,
    pub rctl: u32,
    pub tctl: u32,
    pub thr: u32,
    pub mctl: u32,
    pub mdv: u32,
    pub mtxd: u32,
    pub mrxd: u32,
    pub mac: [u8; 6],
    pub rx: VecDeque<Image>,
    pub rx_offset: usize,
    /// MACDATA reads with MACNP 0.
    pub rx_underflows: u32,
    /// Frames refused because RXEN was clear.
    pub rx_refused: u32,
    /// RSTFIFO writes.
    pub rx_flushes: u32,
    pub tx_fifo: Vec<u8>,
    /// Every MACDATA write.
    pub tx_words: Vec<u32>,
    /// The frames sent, as QEMU hands them to the network.
    pub sent: Vec<Vec<u8>>,
    /// NEWTX never clears (the real chip's transmitter hung).
    pub newtx_stuck: bool,
    pub tr_reads: u32,
    /// `None`: QEMU's MII (START clears, MRXD reads 0, MTXD keeps 8 bits).
    pub phy: Option<Phy>,
    /// MII START never clears.
    pub mii_stuck: bool,
    /// Every register write, in order.
    pub writes: Vec<(u32, u32)>,
}

pub struct Fake(pub RefCell<Model>);

impl Fake {
    /// QEMU's model after reset.
    pub fn new() -> Self {
        Fake(RefCell::new(Model {
            absent: false,
            ris: 0,
            im: INT_ALL,
            rctl: RCTL_BADCRC,
            tctl: 0,
            thr: 0x3f,
            mctl: 0,
            mdv: 0x80,
            mtxd: 0,
            mrxd: 0,
            mac: QEMU_MAC,
            rx: VecDeque::new(),
            rx_offset: 0,
            rx_underflows: 0,
            rx_refused: 0,
            rx_flushes: 0,
            tx_fifo: Vec::new(),
            tx_words: Vec::new(),
            sent: Vec::new(),
            newtx_stuck: false,
            tr_reads: 0,
            phy: None,
            mii_stuck: false,
            writes: Vec::new(),
        }))
    }

    pub fn m(&self) -> RefMut<'_, Model> {
        self.0.borrow_mut()
    }

    /// A frame arrives, as `stellaris_enet_receive` stores it: length
    /// (frame + 6), frame, 4 FCS bytes, the last word zero-filled.
    /// Returns whether the FIFO took it.
    pub fn push_rx(&self, frame: &[u8]) -> bool {
        let mut m = self.m();
        if m.rctl & RCTL_RXEN == 0 {
            m.rx_refused += 1;
            return false;
        }
        if m.rx.len() >= 31 {
            return false;
        }
        if frame.len() >= 2048 - 6 {
            m.ris |= INT_FOV;
            return false;
        }
        let len = frame.len() + 6;
        let mut bytes = (len as u16).to_le_bytes().to_vec();
        bytes.extend_from_slice(frame);
        bytes.extend_from_slice(&FCS);
        bytes.resize(len.div_ceil(4) * 4, 0);
        m.rx.push_back(Image { bytes, len });
        m.ris |= INT_RX;
        true
    }

    /// An image whose length field says `field` while the FIFO holds
    /// `true_len` bytes for it (a FIFO out of step, on the real chip).
    pub fn push_image(&self, field: u16, true_len: usize) {
        let mut bytes = field.to_le_bytes().to_vec();
        bytes.resize(true_len.div_ceil(4) * 4, 0xee);
        self.m().rx.push_back(Image {
            bytes,
            len: true_len,
        });
    }

    /// The interrupt line.
    pub fn line(&self) -> bool {
        let m = self.0.borrow();
        m.ris & m.im != 0
    }

    pub fn last_write(&self, off: u32) -> Option<u32> {
        let m = self.0.borrow();
        m.writes.iter().rev().find(|(o, _)| *o == off).map(|w| w.1)
    }

    pub fn writes_to(&self, off: u32) -> Vec<u32> {
        let m = self.0.borrow();
        m.writes
            .iter()
            .filter(|(o, _)| *o == off)
            .map(|w| w.1)
            .collect()
    }
}

impl Model {
    fn pop_rx_word(&mut self) -> u32 {
        let Some(image) = self.rx.front() else {
            self.rx_underflows += 1;
            return 0;
        };
        let mut w = [0u8; 4];
        for (i, b) in w.iter_mut().enumerate() {
            *b = image.bytes.get(self.rx_offset + i).copied().unwrap_or(0);
        }
        self.rx_offset += 4;
        if self.rx_offset >= image.len {
            self.rx_offset = 0;
            self.rx.pop_front();
        }
        u32::from_le_bytes(w)
    }

    fn push_tx_word(&mut self, v: u32) {
        self.tx_words.push(v);
        if self.tx_fifo.is_empty() && v & 0xffff > 2032 {
            self.ris |= INT_TXER;
            return;
        }
        if self.tx_fifo.len() + 4 <= 2048 {
            self.tx_fifo.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// `stellaris_enet_send`.
    fn send(&mut self) {
        assert!(self.tx_fifo.len() >= 4, "NEWTX with nothing in the TX FIFO");
        let datalen = usize::from(u16::from_le_bytes([self.tx_fifo[0], self.tx_fifo[1]]));
        let len = datalen + 14;
        // (QEMU would send whatever the FIFO holds past what was written.)
        let mut frame: Vec<u8> = self.tx_fifo[2..].to_vec();
        frame.resize(len, 0);
        if self.tctl & TCTL_PADEN != 0 && len < 60 {
            frame.resize(60, 0);
        }
        self.sent.push(frame);
        self.tx_fifo.clear();
        self.ris |= INT_TXEMP;
    }

    fn mii(&mut self, v: u32) {
        if self.mii_stuck {
            self.mctl = v;
            return;
        }
        let r = ((v >> 3) & 0x1f) as usize;
        if let Some(phy) = self.phy.as_mut() {
            if v & MCTL_WRITE != 0 {
                phy.regs[r] = self.mtxd as u16;
            } else {
                self.mrxd = u32::from(phy.read(r));
            }
        }
        self.mctl = v & !MCTL_START;
    }
}

impl Regs for Fake {
    fn read(&self, off: u32) -> u32 {
        let mut m = self.m();
        if m.absent {
            return 0;
        }
        match off {
            reg::RIS => m.ris,
            reg::IM => m.im,
            reg::RCTL => m.rctl,
            reg::TCTL => m.tctl,
            reg::DATA => m.pop_rx_word(),
            reg::IA0 => u32::from_le_bytes([m.mac[0], m.mac[1], m.mac[2], m.mac[3]]),
            reg::IA1 => u32::from_le_bytes([m.mac[4], m.mac[5], 0, 0]),
            reg::THR => m.thr,
            reg::MCTL => m.mctl,
            reg::MDV => m.mdv,
            reg::MTXD => m.mtxd,
            reg::MRXD => m.mrxd,
            reg::NP => m.rx.len() as u32,
            reg::TR => {
                m.tr_reads += 1;
                u32::from(m.newtx_stuck)
            }
            0x28 | 0x3c => 0,
            other => panic!("read of unexpected register {other:#x}"),
        }
    }

    fn write(&mut self, off: u32, v: u32) {
        let mut m = self.m();
        if m.absent {
            return;
        }
        m.writes.push((off, v));
        match off {
            reg::IACK => {
                m.ris &= !v;
                if v & INT_TXER != 0 {
                    m.tx_fifo.clear();
                }
            }
            reg::IM => m.im = v,
            reg::RCTL => {
                m.rctl = v;
                if v & RCTL_RSTFIFO != 0 {
                    m.rx.clear();
                    m.rx_offset = 0;
                    m.rx_flushes += 1;
                }
            }
            reg::TCTL => m.tctl = v,
            reg::DATA => m.push_tx_word(v),
            reg::IA0 => m.mac[..4].copy_from_slice(&v.to_le_bytes()),
            reg::IA1 => {
                m.mac[4] = v as u8;
                m.mac[5] = (v >> 8) as u8;
            }
            reg::THR => m.thr = v,
            reg::MCTL => m.mii(v),
            reg::MDV => m.mdv = v,
            reg::MTXD => m.mtxd = v & if m.phy.is_some() { 0xffff } else { 0xff },
            reg::TR => {
                if v & TR_NEWTX != 0 && !m.newtx_stuck {
                    m.send();
                }
            }
            0x28 | reg::MRXD | reg::NP | 0x3c => {}
            other => panic!("write of unexpected register {other:#x} = {v:#x}"),
        }
    }
}
