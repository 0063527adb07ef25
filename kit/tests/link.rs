//! The in-memory link (`cuatro_kit::link`): frames in order, bounded
//! lanes, local ports.

use cuatro_kit::link::{bounded, pair, Machine};
use smoltcp::phy::{self, Device};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpCidr, Ipv4Address};

#[test]
fn frames_cross_in_order_and_a_bounded_lane_drops_the_oldest() {
    let (a, b) = pair();
    for k in 0..3u8 {
        a.send(vec![k]);
    }
    assert_eq!(b.pending(), 3);
    assert_eq!(b.peek(2), vec![vec![0], vec![1]]);
    assert!(!a.has_pending());

    let (a, mut b) = bounded(2);
    for k in 0..3u8 {
        a.send(vec![k]);
    }
    let mut got = Vec::new();
    while let Some((rx, _)) = b.receive(Instant::ZERO) {
        got.push(phy::RxToken::consume(rx, |f: &[u8]| f.to_vec()));
    }
    assert_eq!(got, vec![vec![1], vec![2]]);
}

#[test]
fn local_ports_wrap_within_their_range() {
    let (mut a, _b) = pair();
    let mac = EthernetAddress([0x02, 0, 0, 0, 0, 9]);
    let ip = IpCidr::new(Ipv4Address::new(10, 0, 0, 9).into(), 24);
    let mut m = Machine::new(&mut a, mac, ip, 0, Instant::ZERO).with_ports(40_000..=40_001);
    let ports: Vec<u16> = (0..3).map(|_| m.take_port()).collect();
    assert_eq!(ports, vec![40_000, 40_001, 40_000]);
}
