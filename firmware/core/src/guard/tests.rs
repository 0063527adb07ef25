#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

extern crate std;
use super::*;
use smoltcp::phy::{Loopback, Medium, RxToken, TxToken};
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr};
use std::vec::Vec;

const BOARD: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const CLIENT: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
const BOARD_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
const CLIENT_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
const PEER: Peer = (CLIENT, 40000, 8080);

/// A TCP frame; `outgoing` builds it as the board would send it.
fn segment(control: TcpControl, seq: i32, ack: Option<i32>, outgoing: bool) -> Vec<u8> {
    let (sp, dp) = if outgoing {
        (8080, 40000)
    } else {
        (40000, 8080)
    };
    let tcp = TcpRepr {
        src_port: sp,
        dst_port: dp,
        control,
        seq_number: TcpSeqNumber(seq),
        ack_number: ack.map(TcpSeqNumber),
        window_len: 1000,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    };
    let (src, dst, smac, dmac) = if outgoing {
        (BOARD, CLIENT, BOARD_MAC, CLIENT_MAC)
    } else {
        (CLIENT, BOARD, CLIENT_MAC, BOARD_MAC)
    };
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.buffer_len(),
        hop_limit: 64,
    };
    let eth = EthernetRepr {
        src_addr: smac,
        dst_addr: dmac,
        ethertype: EthernetProtocol::Ipv4,
    };
    let mut buf = std::vec![0u8; eth.buffer_len() + ip.buffer_len() + tcp.buffer_len()];
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    eth.emit(&mut frame);
    let mut packet = Ipv4Packet::new_unchecked(frame.payload_mut());
    ip.emit(&mut packet, &Default::default());
    let mut seg = TcpPacket::new_unchecked(packet.payload_mut());
    tcp.emit(&mut seg, &src.into(), &dst.into(), &Default::default());
    buf
}

fn echo_request() -> Vec<u8> {
    let icmp = Icmpv4Repr::EchoRequest {
        ident: 1,
        seq_no: 1,
        data: &[0; 8],
    };
    let ip = Ipv4Repr {
        src_addr: CLIENT,
        dst_addr: BOARD,
        next_header: IpProtocol::Icmp,
        payload_len: icmp.buffer_len(),
        hop_limit: 64,
    };
    let mut buf = std::vec![0u8; 14 + ip.buffer_len() + icmp.buffer_len()];
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: CLIENT_MAC,
        dst_addr: BOARD_MAC,
        ethertype: EthernetProtocol::Ipv4,
    }
    .emit(&mut frame);
    let mut packet = Ipv4Packet::new_unchecked(frame.payload_mut());
    ip.emit(&mut packet, &Default::default());
    icmp.emit(
        &mut Icmpv4Packet::new_unchecked(packet.payload_mut()),
        &Default::default(),
    );
    buf
}

/// Feeds `frame` through the guard; returns what smoltcp would see and
/// whether a new SYN was noted.
fn through(g: &mut Guard, frame: &[u8], open: bool, hold: &[u16], now: Instant) -> (usize, bool) {
    let mut lo = Loopback::new(Medium::Ethernet);
    lo.transmit(now)
        .unwrap()
        .consume(frame.len(), |b| b.copy_from_slice(frame));
    let saw_syn = Cell::new(false);
    let cell = RefCell::new(g);
    let is_open = |p: &Peer| open && *p == PEER;
    let mut dev = Guarded {
        inner: &mut lo,
        guard: &cell,
        is_open: &is_open,
        hold,
        saw_syn: &saw_syn,
    };
    let (rx, _) = dev.receive(now).unwrap();
    (rx.consume(|b| b.len()), saw_syn.get())
}

/// The board sends `frame` (the guard records it).
fn sent(g: &mut Guard, frame: &[u8]) {
    g.observe_tx(frame, Instant::ZERO);
}

/// Sends the queued challenge ACK, if any, and returns its TCP header.
fn challenge(g: &mut Guard) -> Option<(i32, i32)> {
    let mut lo = Loopback::new(Medium::Ethernet);
    g.flush(&mut lo, Instant::ZERO);
    let (rx, _) = lo.receive(Instant::ZERO)?;
    rx.consume(|b| {
        let seg = tcp_segment(b).unwrap();
        assert!(seg.ack && !seg.rst && !seg.syn);
        assert_eq!(seg.peer, (BOARD, 8080, 40000));
        let eth = EthernetFrame::new_checked(b).unwrap();
        assert_eq!(eth.dst_addr(), CLIENT_MAC);
        let ip = Ipv4Packet::new_checked(eth.payload()).unwrap();
        let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
        // (Loopback asks for no checksums; the server's NIC decides.)
        Some((tcp.seq_number().0, tcp.ack_number().0))
    })
}

#[test]
fn drops_only_syns_of_open_connections() {
    let mut g = Guard::new();
    let syn = segment(TcpControl::Syn, 1, None, false);
    let t = Instant::ZERO;
    assert_eq!(through(&mut g, &syn, true, &[], t), (0, false), "duplicate");
    assert_eq!(
        through(&mut g, &syn, false, &[], t),
        (syn.len(), true),
        "new"
    );
    let ack = segment(TcpControl::None, 2, Some(5), false);
    assert_eq!(through(&mut g, &ack, true, &[], t), (ack.len(), false));
    assert_eq!(
        through(&mut g, &[1, 2, 3], true, &[], t),
        (3, false),
        "garbage"
    );
    // A duplicate during the handshake is not challenged.
    sent(&mut g, &segment(TcpControl::Syn, 500, Some(2), true));
    through(&mut g, &syn, true, &[], t);
    assert_eq!(challenge(&mut g), None);
}

#[test]
fn an_inexact_rst_in_the_window_draws_a_challenge_ack() {
    let mut g = Guard::new();
    sent(&mut g, &segment(TcpControl::Syn, 500, Some(1000), true));
    sent(&mut g, &segment(TcpControl::None, 501, Some(1000), true));
    let t = Instant::ZERO;
    // In the window, not exact: dropped, challenged with SND.NXT/RCV.NXT.
    let rst = segment(TcpControl::Rst, 1100, None, false);
    assert_eq!(through(&mut g, &rst, true, &[], t).0, 0);
    assert_eq!(challenge(&mut g), Some((501, 1000)));
    // Out of the window: dropped silently.
    let far = segment(TcpControl::Rst, 1000 + (1 << 30), None, false);
    assert_eq!(through(&mut g, &far, true, &[], t).0, 0);
    assert_eq!(challenge(&mut g), None);
    // A SYN on the synchronized connection: challenged (RFC 5961 §4).
    let syn = segment(TcpControl::Syn, 7, None, false);
    assert_eq!(through(&mut g, &syn, true, &[], t).0, 0);
    assert_eq!(challenge(&mut g), Some((501, 1000)));
    // Exact: passes, and the connection is forgotten.
    let exact = segment(TcpControl::Rst, 1000, None, false);
    assert_eq!(through(&mut g, &exact, true, &[], t).0, exact.len());
    assert_eq!(through(&mut g, &rst, true, &[], t).0, rst.len());
    let s = g.stats();
    assert_eq!((s.challenge_acks, s.rst_dropped), (2, 2));
}

#[test]
fn challenge_acks_are_rate_limited() {
    let mut g = Guard::new();
    sent(&mut g, &segment(TcpControl::None, 501, Some(1000), true));
    let rst = segment(TcpControl::Rst, 1100, None, false);
    let mut sent_acks = 0;
    for _ in 0..100 {
        through(&mut g, &rst, true, &[], Instant::from_millis(10));
        sent_acks += usize::from(challenge(&mut g).is_some());
    }
    assert_eq!(sent_acks, usize::from(CHALLENGE_ACKS_PER_SECOND));
}

#[test]
fn pings_beyond_the_budget_are_dropped() {
    let mut g = Guard::new();
    let ping = echo_request();
    let passed = (0..200)
        .filter(|_| through(&mut g, &ping, false, &[], Instant::from_millis(1500)).0 > 0)
        .count();
    assert_eq!(passed, usize::from(ECHO_PER_SECOND));
    // A new second, a new budget.
    assert!(through(&mut g, &ping, false, &[], Instant::from_millis(2000)).0 > 0);
}

#[test]
fn a_syn_for_a_held_port_waits_and_is_replayed() {
    let mut g = Guard::new();
    let syn = segment(TcpControl::Syn, 1, None, false);
    let t = Instant::ZERO;
    assert_eq!(through(&mut g, &syn, false, &[8080], t), (0, false));
    assert_eq!(g.held_port(), Some(8080));
    g.arm_replay();
    assert_eq!(g.held_port(), None);
    // The next receive hands smoltcp the held SYN, even with the port
    // still listed (a replay is never held again).
    let mut lo = Loopback::new(Medium::Ethernet);
    let saw_syn = Cell::new(false);
    let cell = RefCell::new(&mut g);
    let is_open = |_: &Peer| false;
    let mut dev = Guarded {
        inner: &mut lo,
        guard: &cell,
        is_open: &is_open,
        hold: &[8080],
        saw_syn: &saw_syn,
    };
    let (rx, _) = dev.receive(t).unwrap();
    assert_eq!(rx.consume(|b| b.to_vec()), syn);
    assert!(saw_syn.get());
    assert!(dev.receive(t).is_none(), "replayed once");
}
