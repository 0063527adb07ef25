//! Host tests against a fake register file that behaves like the chip (and
//! like QEMU's model of it) where the driver looks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

extern crate std;

use super::*;
use smoltcp::phy::{Device, RxToken as _, TxToken as _};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::vec::Vec;

const QEMU_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const TX_FIFO_BYTES: u32 = 4608;

struct Model {
    byte_test: u32,
    /// Soft reset never completes.
    stuck_in_reset: bool,
    hw_cfg: u32,
    pmt_ctrl: u32,
    irq_cfg: u32,
    int_sts: u32,
    int_en: u32,
    rx_cfg: u32,
    tx_cfg: u32,
    mac_cmd: u32,
    mac_data: u32,
    mac_cr: u32,
    hashh: u32,
    hashl: u32,
    mac: [u8; 6],
    mii_acc: u32,
    mii_data: u32,
    phy: [u32; 32],
    rx_status: VecDeque<u32>,
    rx_data: VecDeque<u32>,
    rx_underflows: u32,
    tx_words: Vec<u32>,
    tx_free: u32,
    tx_status: VecDeque<u32>,
    /// Every register write, in order.
    writes: Vec<(u32, u32)>,
}

struct Fake(RefCell<Model>);

impl Fake {
    fn new() -> Self {
        Fake(RefCell::new(Model {
            byte_test: BYTE_TEST_VALUE,
            stuck_in_reset: false,
            hw_cfg: 0x0005_0004,
            pmt_ctrl: PMT_CTRL_READY,
            irq_cfg: 0,
            int_sts: 0,
            int_en: 0,
            rx_cfg: 0,
            tx_cfg: 0,
            mac_cmd: 0,
            mac_data: 0,
            mac_cr: 1 << 18, // PRMS, as after reset
            hashh: 0xdead_beef,
            hashl: 0x1234_5678,
            mac: QEMU_MAC,
            mii_acc: 0,
            mii_data: 0,
            phy: [0; 32],
            rx_status: VecDeque::new(),
            rx_data: VecDeque::new(),
            rx_underflows: 0,
            tx_words: Vec::new(),
            tx_free: TX_FIFO_BYTES,
            tx_status: VecDeque::new(),
            writes: Vec::new(),
        }))
    }

    fn m(&self) -> std::cell::RefMut<'_, Model> {
        self.0.borrow_mut()
    }

    /// Queues a received frame the way the chip does: the bytes packed
    /// little-endian into words, then the 4-byte CRC, status length
    /// counting the CRC.
    fn push_rx(&self, frame: &[u8], status_flags: u32) {
        let mut bytes = frame.to_vec();
        bytes.extend_from_slice(&[0xc1, 0xc2, 0xc3, 0xc4]);
        let mut m = self.m();
        // RX_CFG's RXDOFF: that many bytes before the frame in the FIFO
        // (not counted in the status length), as the chip and QEMU do.
        let mut fifo = std::vec![0u8; ((m.rx_cfg >> 8) & 0x1f) as usize];
        fifo.extend_from_slice(&bytes);
        for chunk in fifo.chunks(4) {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            m.rx_data.push_back(u32::from_le_bytes(w));
        }
        m.rx_status
            .push_back(((bytes.len() as u32) << 16) | status_flags);
        m.int_sts |= INT_RSFL;
    }

    /// Queues a status with a given length whose data words are garbage.
    fn push_rx_raw(&self, len_with_crc: u32, status_flags: u32) {
        let mut m = self.m();
        let offset = (m.rx_cfg >> 8) & 0x1f;
        for i in 0..(len_with_crc + offset).div_ceil(4) {
            m.rx_data.push_back(0xdead_0000 | i);
        }
        m.rx_status.push_back((len_with_crc << 16) | status_flags);
    }

    /// The frames pushed into the TX FIFO, decoded from the command words.
    fn sent(&self) -> Vec<(u32, u32, Vec<u8>)> {
        let m = self.0.borrow();
        let mut out = Vec::new();
        let mut words = m.tx_words.iter().copied();
        while let Some(a) = words.next() {
            let b = words.next().expect("command B");
            assert_eq!(
                a & (TX_CMD_A_FIRST | TX_CMD_A_LAST),
                TX_CMD_A_FIRST | TX_CMD_A_LAST
            );
            let len = (a & 0x7ff) as usize;
            assert_eq!((b & 0x7ff) as usize, len, "command B length");
            let mut bytes = Vec::new();
            for _ in 0..len.div_ceil(4) {
                bytes.extend_from_slice(&words.next().expect("data word").to_le_bytes());
            }
            bytes.truncate(len);
            out.push((a, b, bytes));
        }
        out
    }

    fn last_write(&self, off: u32) -> Option<u32> {
        self.0
            .borrow()
            .writes
            .iter()
            .rev()
            .find(|(o, _)| *o == off)
            .map(|(_, v)| *v)
    }
}

impl Model {
    /// Whether the chip's address filter passes a frame to `dest` (the
    /// datasheet's rules as QEMU's `lan9118_filter` models them: exact
    /// unicast, broadcast, multicast by the hash filter when HPFILT is
    /// set). The hash here comes from zlib's reflected CRC, bit-reversed:
    /// not the driver's code.
    fn passes(&self, dest: [u8; 6]) -> bool {
        if dest == [0xff; 6] {
            return true;
        }
        if dest[0] & 1 == 0 || self.mac_cr & MAC_CR_HPFILT == 0 {
            return dest == self.mac;
        }
        let mut c: u32 = !0;
        for b in dest {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        let bit = c.reverse_bits() >> 26;
        let word = if bit >= 32 { self.hashh } else { self.hashl };
        (word >> (bit & 31)) & 1 == 1
    }

    fn mac_reg_read(&mut self, idx: u32) -> u32 {
        match idx {
            mac::MAC_CR => self.mac_cr,
            mac::HASHH => self.hashh,
            mac::HASHL => self.hashl,
            mac::ADDRH => u32::from_le_bytes([self.mac[4], self.mac[5], 0, 0]),
            mac::ADDRL => u32::from_le_bytes([self.mac[0], self.mac[1], self.mac[2], self.mac[3]]),
            mac::MII_ACC => self.mii_acc,
            mac::MII_DATA => self.mii_data,
            other => panic!("MAC register {other} read"),
        }
    }

    fn mac_reg_write(&mut self, idx: u32, v: u32) {
        match idx {
            mac::MAC_CR => self.mac_cr = v,
            mac::HASHH => self.hashh = v,
            mac::HASHL => self.hashl = v,
            mac::ADDRH => {
                self.mac[4] = v as u8;
                self.mac[5] = (v >> 8) as u8;
            }
            mac::ADDRL => self.mac[..4].copy_from_slice(&v.to_le_bytes()),
            mac::MII_ACC => {
                assert_eq!((v >> 11) & 0x1f, phy_reg::ADDRESS, "PHY address");
                let r = ((v >> 6) & 0x1f) as usize;
                if v & MII_WRITE != 0 {
                    // Reset completes at once, as in QEMU.
                    self.phy[r] = self.mii_data & !BCR_RESET;
                } else {
                    self.mii_data = self.phy[r];
                }
                self.mii_acc = v & !MII_BUSY;
            }
            mac::MII_DATA => self.mii_data = v & 0xffff,
            other => panic!("MAC register {other} written"),
        }
    }
}

impl Regs for Fake {
    fn read(&self, off: u32) -> u32 {
        let mut m = self.m();
        match off {
            0x00..=0x1c => m.rx_data.pop_front().unwrap_or_else(|| {
                m.rx_underflows += 1;
                0
            }),
            reg::RX_STATUS_FIFO => m.rx_status.pop_front().unwrap_or(0),
            reg::TX_STATUS_FIFO => m.tx_status.pop_front().unwrap_or(0),
            reg::ID_REV => 0x0118_0001,
            reg::IRQ_CFG => m.irq_cfg,
            reg::INT_STS => m.int_sts,
            reg::INT_EN => m.int_en,
            reg::BYTE_TEST => m.byte_test,
            reg::RX_CFG => m.rx_cfg,
            reg::TX_CFG => m.tx_cfg,
            reg::HW_CFG => m.hw_cfg,
            reg::RX_FIFO_INF => {
                ((m.rx_status.len() as u32) << 16) | ((m.rx_data.len() as u32 * 4) & 0xffff)
            }
            reg::TX_FIFO_INF => ((m.tx_status.len() as u32) << 16) | m.tx_free,
            reg::PMT_CTRL => m.pmt_ctrl,
            reg::FREE_RUN => 12345,
            reg::MAC_CSR_CMD => m.mac_cmd,
            reg::MAC_CSR_DATA => m.mac_data,
            other => panic!("read of unexpected register {other:#x}"),
        }
    }

    fn write(&mut self, off: u32, v: u32) {
        let mut m = self.m();
        m.writes.push((off, v));
        match off {
            0x20..=0x3c => m.tx_words.push(v),
            reg::IRQ_CFG => m.irq_cfg = v,
            reg::INT_STS => m.int_sts &= !v,
            reg::INT_EN => m.int_en = v,
            reg::RX_CFG => m.rx_cfg = v,
            reg::TX_CFG => m.tx_cfg = v,
            reg::HW_CFG => {
                if v & HW_CFG_SRST != 0 && m.stuck_in_reset {
                    m.hw_cfg |= HW_CFG_SRST;
                    m.pmt_ctrl &= !PMT_CTRL_READY;
                } else if v & HW_CFG_SRST != 0 {
                    m.mac_cr = 1 << 18;
                    m.int_sts = 0;
                    m.int_en = 0;
                }
            }
            reg::MAC_CSR_DATA => m.mac_data = v,
            reg::MAC_CSR_CMD => {
                let idx = v & 0xf;
                assert!(v & MAC_CSR_BUSY != 0, "MAC CSR command without BUSY");
                if v & MAC_CSR_READ != 0 {
                    m.mac_data = m.mac_reg_read(idx);
                } else {
                    let d = m.mac_data;
                    m.mac_reg_write(idx, d);
                }
                m.mac_cmd = v & !MAC_CSR_BUSY;
            }
            other => panic!("write of unexpected register {other:#x} = {v:#x}"),
        }
    }
}

fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn up(buffers: &mut Buffers) -> Lan9118<'_, Fake> {
    Lan9118::new(Fake::new(), buffers).expect("init")
}

#[test]
fn init_brings_the_chip_up() {
    let mut b = Buffers::new();
    let nic = up(&mut b);
    let f = nic.regs();
    assert_eq!(nic.mac_address(), QEMU_MAC);
    let m = f.0.borrow();
    // Soft reset requested, then MAC on: TX, RX, full duplex, not promiscuous.
    assert!(m.writes.contains(&(reg::HW_CFG, HW_CFG_SRST)));
    assert_eq!(
        m.mac_cr,
        MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_FDPX | MAC_CR_HPFILT
    );
    // The hash filter starts empty: no multicast group passes.
    assert_eq!((m.hashh, m.hashl), (0, 0));
    assert_eq!(m.tx_cfg, TX_CFG_TX_ON | TX_CFG_TXSAO);
    // The frame RX_ALIGN bytes into the first FIFO word: its IP header
    // lands word-aligned in the RX buffer.
    assert_eq!(m.rx_cfg, 2 << 8);
    // Interrupts masked, pin active-high push-pull but disabled.
    assert_eq!(m.int_en, 0);
    assert_eq!(m.irq_cfg, IRQ_CFG_POL | IRQ_CFG_TYPE);
    // PHY: 10/100 advertised, auto-negotiation enabled and restarted.
    assert_eq!(m.phy[phy_reg::ANAR as usize], ANAR_10_100_ALL);
    assert_eq!(m.phy[phy_reg::BCR as usize], BCR_AN_ENABLE | BCR_AN_RESTART);
    drop(m);
    // Nothing was read or written out of order: the reset came first.
    let writes = &f.0.borrow().writes;
    assert_eq!(writes.first(), Some(&(reg::HW_CFG, HW_CFG_SRST)));
}

#[test]
fn wrong_byte_test_is_no_chip() {
    let fake = Fake::new();
    fake.m().byte_test = 0x4321_8765;
    let mut b = Buffers::new();
    assert_eq!(
        Lan9118::new(fake, &mut b).err(),
        Some(Error::NotFound(0x4321_8765))
    );
}

#[test]
fn reset_that_never_completes_is_an_error_not_a_hang() {
    let fake = Fake::new();
    fake.m().stuck_in_reset = true;
    let mut b = Buffers::new();
    assert_eq!(Lan9118::new(fake, &mut b).err(), Some(Error::ResetTimeout));
}

#[test]
fn set_mac_address_programs_addrl_addrh() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let addr = [0x02, 0x00, 0xca, 0xfe, 0x00, 0x01];
    nic.set_mac_address(addr).unwrap();
    assert_eq!(nic.mac_address(), addr);
    assert_eq!(nic.regs().0.borrow().mac, addr);
}

#[test]
fn receives_every_length_alignment_without_crc() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    for len in [14, 60, 61, 62, 63, 64, 1513, 1514] {
        let f = frame(len, len as u8);
        nic.regs().push_rx(&f, 0);
        let got = nic.receive_frame().expect("a frame");
        assert_eq!(got, len);
        assert_eq!(nic.rx_frame(got).unwrap(), &f[..]);
        // RX_ALIGN: the IP header (after 14 bytes of Ethernet) is word-aligned.
        assert_eq!((nic.rx_frame(got).unwrap().as_ptr() as usize + 14) % 4, 0);
        // The FIFO is left exactly at the next frame's start.
        assert!(nic.regs().0.borrow().rx_data.is_empty(), "len {len}");
    }
    assert_eq!(nic.receive_frame(), None);
    assert_eq!(nic.stats().rx_frames, 8);
    assert_eq!(nic.regs().0.borrow().rx_underflows, 0);
}

#[test]
fn bad_frames_are_dropped_and_the_fifo_stays_in_step() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let good = frame(100, 3);
    nic.regs().push_rx(&frame(70, 1), RX_STS_ES); // CRC error etc.
    nic.regs().push_rx(&frame(70, 2), RX_STS_FILTER_FAIL);
    nic.regs().push_rx_raw(1600, 0); // longer than the buffer
    nic.regs().push_rx_raw(10, 0); // runt: shorter than a header + CRC
                                   // Fits the buffer but not the MTU (the `lan9118_rx` fuzz target's
                                   // find: it was handed up as a 1530-byte frame).
    nic.regs().push_rx(&frame(MTU + 1, 4), 0);
    nic.regs().push_rx(&good, 0);
    let len = nic.receive_frame().expect("the good frame");
    assert_eq!(nic.rx_frame(len).unwrap(), &good[..]);
    assert_eq!(nic.stats().rx_dropped, 5);
    assert_eq!(nic.stats().rx_frames, 1);
    let m = nic.regs().0.borrow();
    assert!(m.rx_data.is_empty() && m.rx_status.is_empty());
    assert_eq!(m.rx_underflows, 0);
}

#[test]
fn transmits_command_words_then_little_endian_data() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let f = frame(61, 9);
    assert!(nic.send_frame(&f));
    let words = nic.regs().0.borrow().tx_words.clone();
    assert_eq!(words.len(), 2 + 16);
    assert_eq!(words[0], TX_CMD_A_FIRST | TX_CMD_A_LAST | 61);
    assert_eq!(words[1] & 0xffff, 61);
    assert_eq!(words[2], u32::from_le_bytes([f[0], f[1], f[2], f[3]]));
    // The last word carries the 61st byte in its low byte, zero padded.
    assert_eq!(words[17], u32::from(f[60]));
    let sent = nic.regs().sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].2, f);
}

#[test]
fn tags_advance_and_tx_status_is_drained_with_errors_counted() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs()
        .m()
        .tx_status
        .extend([1 << 16, (2 << 16) | TX_STS_ES, 3 << 16]);
    assert!(nic.send_frame(&frame(60, 0)));
    assert!(nic.send_frame(&frame(60, 1)));
    assert!(nic.regs().0.borrow().tx_status.is_empty());
    assert_eq!(nic.stats().tx_errors, 1);
    assert_eq!(nic.stats().tx_frames, 2);
    let sent = nic.regs().sent();
    assert_ne!(sent[0].1 >> 16, sent[1].1 >> 16, "distinct tags");
}

#[test]
fn no_room_in_the_tx_fifo_drops_instead_of_hanging() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.regs().m().tx_free = 40;
    assert!(!nic.send_frame(&frame(60, 0)));
    assert_eq!(nic.stats().tx_dropped, 1);
    assert!(nic.regs().0.borrow().tx_words.is_empty());
    // smoltcp is told to wait instead.
    assert!(nic.transmit(Instant::ZERO).is_none());
}

#[test]
fn smoltcp_device_round_trip() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let caps = nic.capabilities();
    assert_eq!(caps.max_transmission_unit, MTU);
    assert_eq!(caps.medium, Medium::Ethernet);

    assert!(nic.receive(Instant::ZERO).is_none());
    let f = frame(42, 5);
    nic.regs().push_rx(&f, 0);
    let (rx, tx) = nic.receive(Instant::ZERO).expect("tokens");
    let echoed = rx.consume(|bytes| bytes.to_vec());
    assert_eq!(echoed, f);
    tx.consume(echoed.len(), |buf| buf.copy_from_slice(&echoed));
    let tx = nic.transmit(Instant::ZERO).expect("tx token");
    tx.consume(MTU, |buf| buf.fill(0xab));
    let sent = nic.regs().sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].2, f);
    assert_eq!(sent[1].2, std::vec![0xab; MTU]);
}

#[test]
fn oversized_tx_request_is_dropped_not_a_panic() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let tx = nic.transmit(Instant::ZERO).expect("tx token");
    let seen = tx.consume(FRAME_BUFFER + 1, |buf| buf.len());
    assert_eq!(seen, FRAME_BUFFER);
    assert_eq!(nic.stats().tx_dropped, 1);
    assert!(nic.regs().sent().is_empty());
}

#[test]
fn interrupts_enable_ack_disable() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    nic.enable_interrupts();
    assert_eq!(
        nic.regs().last_write(reg::IRQ_CFG),
        Some(IRQ_CFG_EN | IRQ_CFG_POL | IRQ_CFG_TYPE)
    );
    assert_eq!(nic.regs().0.borrow().int_en, INT_RSFL);
    nic.regs().push_rx(&frame(60, 0), 0);
    assert!(nic.rx_pending());
    assert_eq!(nic.ack_interrupts() & INT_RSFL, INT_RSFL);
    assert_eq!(nic.regs().0.borrow().int_sts, 0);
    // Acknowledging does not consume the frame.
    assert!(nic.rx_pending());
    assert_eq!(nic.receive_frame(), Some(60));
    assert!(!nic.rx_pending());
    nic.disable_interrupts();
    assert_eq!(nic.regs().0.borrow().int_en, 0);
    assert_eq!(
        nic.regs().last_write(reg::IRQ_CFG),
        Some(IRQ_CFG_POL | IRQ_CFG_TYPE)
    );
}

#[test]
fn misc_registers() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    assert_eq!(nic.chip_id() >> 16, 0x0118);
    assert_eq!(nic.free_running_counter(), 12345);
    nic.regs().m().phy[phy_reg::BSR as usize] = BSR_LINK;
    assert_eq!(nic.link_up(), Some(true));
}

#[test]
fn sends_aligned_and_unaligned_frames_of_every_tail_length() {
    // Word-aligned storage (a driver buffer); frames taken at offsets 0
    // (the bursts) and 1..3 (the byte-packing path), lengths with every
    // tail.
    let mut store = cuatro_driver_kit::Buffers::<1600>::new();
    for (i, b) in store.tx.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151) ^ (i >> 8) as u8;
    }
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let mut want = Vec::new();
    for offset in 0..4 {
        for len in [14, 60, 61, 62, 63, 64, 100, 1513, 1514] {
            let f = &store.tx[offset..offset + len];
            assert!(nic.send_frame(f));
            want.push(f.to_vec());
        }
    }
    let sent: Vec<Vec<u8>> = nic.regs().sent().into_iter().map(|(_, _, d)| d).collect();
    assert_eq!(sent, want);
}

/// mDNS's IPv4 group, 224.0.0.251, as a MAC address.
const MDNS_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

#[test]
fn multicast_hash_matches_the_chips_filter() {
    // Values from an independent implementation (zlib's reflected CRC-32,
    // bit-reversed): 224.0.0.251, 224.0.0.1 and IPv6's ff02::1.
    assert_eq!(multicast_hash(MDNS_MAC), 15);
    assert_eq!(multicast_hash([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]), 31);
    assert_eq!(multicast_hash([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]), 62);
}

#[test]
fn accept_multicast_lets_the_group_through_and_no_other() {
    let mut b = Buffers::new();
    let mut nic = up(&mut b);
    let other = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    assert!(!nic.regs().0.borrow().passes(MDNS_MAC), "before");
    assert!(Nic::accept_multicast(&mut nic, MDNS_MAC));
    let m = nic.regs().0.borrow();
    assert!(m.passes(MDNS_MAC), "after");
    assert!(!m.passes(other), "a group never accepted");
    // Our own address and broadcast still pass; another station's not.
    assert!(m.passes(QEMU_MAC));
    assert!(m.passes([0xff; 6]));
    assert!(!m.passes([0x52, 0x54, 0x00, 0x12, 0x34, 0x57]));
    // One bit set, in HASHL (bit 15).
    assert_eq!((m.hashh, m.hashl), (0, 1 << 15));
    drop(m);
    // A second group adds its bit and keeps the first.
    assert!(Nic::accept_multicast(&mut nic, other));
    let m = nic.regs().0.borrow();
    assert!(m.passes(MDNS_MAC) && m.passes(other));
    assert_eq!(m.hashl, (1 << 15) | (1 << 31));
}
