//! The tokens' contract: a built frame goes out whole and once; an
//! oversized request is built into the buffer and dropped.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

extern crate std;

use super::*;
use smoltcp::phy::{RxToken as _, TxToken as _};
use std::cell::RefCell;
use std::vec::Vec;

#[derive(Default)]
struct Wire {
    sent: Vec<Vec<u8>>,
    dropped: usize,
}

struct Port<'a>(&'a RefCell<Wire>);

impl Transmit for Port<'_> {
    fn send(self, frame: &[u8]) {
        self.0.borrow_mut().sent.push(frame.to_vec());
    }
    fn drop_oversized(self) {
        self.0.borrow_mut().dropped += 1;
    }
}

#[test]
fn a_built_frame_is_sent_once_with_its_length() {
    let wire = RefCell::new(Wire::default());
    let mut buf = [0u8; 64];
    let out = TxToken::new(&mut buf, Port(&wire)).consume(17, |f| {
        assert_eq!(f.len(), 17);
        f.fill(0xab);
        7
    });
    assert_eq!(out, 7);
    let w = wire.borrow();
    assert_eq!(w.sent, [std::vec![0xab; 17]]);
    assert_eq!(w.dropped, 0);
}

#[test]
fn an_oversized_frame_is_built_into_the_buffer_and_dropped() {
    let wire = RefCell::new(Wire::default());
    let mut buf = [0u8; 16];
    let seen = TxToken::new(&mut buf, Port(&wire)).consume(17, |f| f.len());
    assert_eq!(seen, 16);
    let w = wire.borrow();
    assert!(w.sent.is_empty());
    assert_eq!(w.dropped, 1);
}

#[test]
fn a_received_frame_is_lent_as_is() {
    let frame = [1u8, 2, 3];
    assert_eq!(RxToken::new(&frame).consume(|f| f.to_vec()), [1, 2, 3]);
}

#[test]
fn mmio_reads_and_writes_the_word_at_base_plus_offset() {
    let mut words = [0u32; 4];
    let base = words.as_mut_ptr() as usize;
    // SAFETY (test): the block is `words`, and only this value touches it.
    let mut regs = unsafe { Mmio::new(base) };
    regs.write(8, 0x1234_5678);
    assert_eq!(regs.read(8), 0x1234_5678);
    assert_eq!(regs.read(4), 0);
    assert_eq!(words[2], 0x1234_5678);
}

/// A FIFO port: every read pops the next word, every write pushes one,
/// whatever the offset (the aliasing the burst methods rely on).
struct FifoRegs {
    rx: RefCell<std::collections::VecDeque<u32>>,
    reads: RefCell<Vec<u32>>,
    tx: Vec<(u32, u32)>,
}

impl Regs for FifoRegs {
    fn read(&self, off: u32) -> u32 {
        self.reads.borrow_mut().push(off);
        self.rx.borrow_mut().pop_front().unwrap_or(0xdead_beef)
    }
    fn write(&mut self, off: u32, v: u32) {
        self.tx.push((off, v));
    }
}

#[test]
fn fifo_defaults_move_every_word_in_order_through_the_port() {
    for n in [0usize, 1, 7, 8, 9, 16, 17, 379] {
        let mut regs = FifoRegs {
            rx: RefCell::new((0..n as u32).map(|i| i * 3 + 1).collect()),
            reads: RefCell::new(Vec::new()),
            tx: Vec::new(),
        };
        let mut buf = std::vec![0u32; n + 1];
        regs.read_fifo(0x10, &mut buf[..n]);
        assert_eq!(
            &buf[..n],
            &(0..n as u32).map(|i| i * 3 + 1).collect::<Vec<_>>()[..]
        );
        assert_eq!(buf[n], 0, "nothing past the slice");
        assert!(regs.reads.borrow().iter().all(|&o| o == 0x10));
        regs.rx = RefCell::new((0..n as u32).collect());
        regs.read_port(0x04, &mut buf[..n]);
        assert_eq!(&buf[..n], &(0..n as u32).collect::<Vec<_>>()[..]);
        let words: Vec<u32> = (0..n as u32).map(|i| !i).collect();
        regs.write_fifo(0x20, &words);
        assert_eq!(
            regs.tx,
            words.iter().map(|&w| (0x20, w)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn word_views_of_byte_buffers() {
    let mut b = Buffers::<16>::new();
    b.rx[4] = 0x78;
    b.rx[5] = 0x56;
    b.rx[6] = 0x34;
    b.rx[7] = 0x12;
    assert_eq!(words_mut(&mut b.rx).len(), 4);
    assert_eq!(
        words(&b.rx)[1],
        u32::from_le_bytes([0x78, 0x56, 0x34, 0x12])
    );
    // A slice that does not start on a word boundary has no word view.
    assert!(words(&b.rx[1..]).is_empty());
    assert!(words_mut(&mut b.tx[2..]).is_empty());
    // One that does: its whole words (the tail bytes are not a word).
    assert_eq!(words(&b.rx[4..15]).len(), 2);
}

/// An Ethernet + IPv4 + TCP frame with `payload`, checksums by smoltcp.
fn tcp_frame(payload: &[u8]) -> Vec<u8> {
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        EthernetAddress, EthernetFrame, EthernetProtocol, IpProtocol, Ipv4Address, Ipv4Packet,
        Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
    };
    let src = Ipv4Address::new(10, 0, 2, 2);
    let dst = Ipv4Address::new(10, 0, 2, 15);
    let tcp = TcpRepr {
        src_port: 40000,
        dst_port: 8082,
        control: TcpControl::Psh,
        seq_number: TcpSeqNumber(0x1234_5678),
        ack_number: Some(TcpSeqNumber(0x0abc_def0)),
        window_len: 4096,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload,
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = std::vec![0u8; 14 + ip.buffer_len() + tcp.buffer_len()];
    let caps = ChecksumCapabilities::default();
    let mut eth = EthernetFrame::new_unchecked(&mut buf);
    eth.set_src_addr(EthernetAddress([2, 0, 0, 0, 0, 1]));
    eth.set_dst_addr(EthernetAddress([2, 0, 0, 0, 0, 2]));
    eth.set_ethertype(EthernetProtocol::Ipv4);
    let mut ipp = Ipv4Packet::new_unchecked(eth.payload_mut());
    ip.emit(&mut ipp, &caps);
    let mut tcpp = TcpPacket::new_unchecked(ipp.payload_mut());
    tcp.emit(&mut tcpp, &src.into(), &dst.into(), &caps);
    buf
}

#[test]
fn tcp_checksums_are_judged_like_smoltcp_at_every_length_and_alignment() {
    let payload: Vec<u8> = (0..1500u32).map(|i| (i * 37 + (i >> 5)) as u8).collect();
    for len in (0..70).chain([255, 256, 1459, 1460]) {
        let frame = tcp_frame(&payload[..len]);
        // Word-aligned (as the drivers' RX_ALIGN leaves it) and not.
        for shift in 0..4 {
            let mut store = Buffers::<1600>::new();
            store.rx[2 + shift..2 + shift + frame.len()].copy_from_slice(&frame);
            let f = &mut store.rx[2 + shift..2 + shift + frame.len()];
            assert!(tcp_checksum_ok(f), "len {len} shift {shift}");
            // Any byte of the segment or the addresses changed: refused.
            for at in [26, 33, 34, 50, 53, f.len() - 1] {
                f[at] ^= 0x10;
                assert!(!tcp_checksum_ok(f), "len {len} shift {shift} byte {at}");
                f[at] ^= 0x10;
            }
        }
    }
    // What it cannot judge goes through (smoltcp's parsing decides).
    let mut f = tcp_frame(b"hello");
    let last = f.len() - 1;
    f[last] ^= 1;
    assert!(!tcp_checksum_ok(&f));
    let mut udp = f.clone();
    udp[23] = 17; // not TCP
    assert!(tcp_checksum_ok(&udp));
    let mut frag = f.clone();
    frag[20] = 0x20; // more fragments
    assert!(tcp_checksum_ok(&frag));
    let mut arp = f.clone();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert!(tcp_checksum_ok(&arp));
    let mut long = f.clone();
    long[16..18].copy_from_slice(&2000u16.to_be_bytes()); // longer than the frame
    assert!(tcp_checksum_ok(&long));
    assert!(tcp_checksum_ok(&f[..20]));
    assert!(tcp_checksum_ok(&[]));
}

#[test]
fn sum_words_carries_end_around() {
    assert_eq!(sum_words(&[]), 0);
    assert_eq!(sum_words(&[0xffff_ffff, 0xffff_ffff, 1]), 1);
    assert_eq!(sum_words(&[0x8000_0000, 0x8000_0000]), 1);
    let w: Vec<u32> = (0..37u32).map(|i| i.wrapping_mul(0x9e37_79b9)).collect();
    let wide: u64 = w.iter().map(|&x| u64::from(x)).sum();
    let mut folded = wide;
    while folded >> 32 != 0 {
        folded = (folded & 0xffff_ffff) + (folded >> 32);
    }
    assert_eq!(sum_words(&w), folded as u32);
}
