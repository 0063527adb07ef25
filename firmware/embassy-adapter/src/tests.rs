//! The adapter against a fake embassy driver that behaves like
//! embassy-stm32's Ethernet: `receive` hands out a pair of tokens only when
//! a frame waits *and* the transmit queue has room, a receive token pops
//! its frame when consumed, a transmit token takes one slot of the queue.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

extern crate std;

use super::*;
use cuatro_driver_kit::Nic;
use embassy_net_driver::{Capabilities, Checksum as ECheck};
use smoltcp::phy::{Checksum, Device, Medium, RxToken as _, TxToken as _};
use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

/// embassy-stm32's Ethernet MTU (an Ethernet frame, header included).
const MTU: usize = 1514;
/// Transmit slots of the fake's queue (embassy-stm32: `PacketQueue<TX, _>`).
const TX_SLOTS: usize = 4;
const MAC: [u8; 6] = [0x02, 0x00, 0x63, 0x75, 0x34, 0x03];

struct Fake {
    rx: VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
    /// Free transmit slots.
    tx_room: usize,
    caps: Capabilities,
    link: LinkState,
    /// The last waker the adapter passed (drivers register it).
    waker: Option<Waker>,
}

impl Fake {
    fn new() -> Self {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MTU;
        caps.max_burst_size = Some(TX_SLOTS);
        Fake {
            rx: VecDeque::new(),
            sent: Vec::new(),
            tx_room: TX_SLOTS,
            caps,
            link: LinkState::Up,
            waker: None,
        }
    }

    fn register(&mut self, cx: &Context<'_>) {
        self.waker = Some(cx.waker().clone());
    }
}

struct FakeRx<'a>(&'a mut VecDeque<Vec<u8>>);

impl embassy_net_driver::RxToken for FakeRx<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut frame = self.0.pop_front().unwrap();
        f(&mut frame)
    }
}

struct FakeTx<'a> {
    sent: &'a mut Vec<Vec<u8>>,
    room: &'a mut usize,
}

impl embassy_net_driver::TxToken for FakeTx<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        // A driver's buffer is its MTU; embassy-stm32 slices it to `len`.
        assert!(len <= MTU, "asked for {len} bytes, more than the MTU");
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.sent.push(buf);
        *self.room -= 1;
        r
    }
}

impl Driver for Fake {
    type RxToken<'a> = FakeRx<'a>;
    type TxToken<'a> = FakeTx<'a>;

    fn receive(&mut self, cx: &mut Context) -> Option<(FakeRx<'_>, FakeTx<'_>)> {
        self.register(cx);
        if self.rx.is_empty() || self.tx_room == 0 {
            return None;
        }
        Some((
            FakeRx(&mut self.rx),
            FakeTx {
                sent: &mut self.sent,
                room: &mut self.tx_room,
            },
        ))
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<FakeTx<'_>> {
        self.register(cx);
        (self.tx_room > 0).then_some(FakeTx {
            sent: &mut self.sent,
            room: &mut self.tx_room,
        })
    }

    fn link_state(&mut self, cx: &mut Context) -> LinkState {
        self.register(cx);
        cx.waker().wake_by_ref(); // what embassy-stm32's GenericPhy does
        self.link
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(MAC)
    }
}

fn now() -> Instant {
    Instant::from_millis(0)
}

#[test]
fn capabilities_carry_the_drivers_mtu_burst_and_medium() {
    let nic = Adapter::new(Fake::new());
    let caps = nic.capabilities();
    assert_eq!(caps.max_transmission_unit, MTU);
    assert_eq!(caps.max_burst_size, Some(TX_SLOTS));
    assert_eq!(caps.medium, Medium::Ethernet);
    // An Ethernet MTU of 1514 is an IP MTU of 1500, as smoltcp reckons it.
    assert_eq!(caps.ip_mtu(), 1500);
    // embassy's default (embassy-stm32 leaves it): checksums in software.
    assert!(matches!(caps.checksum.ipv4, Checksum::Both));
    assert!(matches!(caps.checksum.tcp, Checksum::Both));
}

#[test]
fn checksum_capabilities_map_field_for_field() {
    let mut fake = Fake::new();
    fake.caps.checksum.ipv4 = ECheck::None;
    fake.caps.checksum.udp = ECheck::Rx;
    fake.caps.checksum.tcp = ECheck::Tx;
    fake.caps.checksum.icmpv4 = ECheck::Both;
    fake.caps.max_burst_size = None;
    let caps = Adapter::new(fake).capabilities();
    assert!(matches!(caps.checksum.ipv4, Checksum::None));
    assert!(matches!(caps.checksum.udp, Checksum::Rx));
    assert!(matches!(caps.checksum.tcp, Checksum::Tx));
    assert!(matches!(caps.checksum.icmpv4, Checksum::Both));
    assert_eq!(caps.max_burst_size, None);
}

#[test]
fn a_received_frame_reaches_smoltcp_whole_and_once() {
    let mut fake = Fake::new();
    fake.rx.push_back(vec![1, 2, 3, 4, 5]);
    let mut nic = Adapter::new(fake);
    let (rx, _tx) = nic.receive(now()).unwrap();
    assert_eq!(rx.consume(|f| f.to_vec()), [1, 2, 3, 4, 5]);
    assert!(nic.receive(now()).is_none(), "the frame was taken");
    assert!(nic.driver().rx.is_empty());
}

#[test]
fn the_transmit_token_of_a_receive_pair_sends_a_reply() {
    let mut fake = Fake::new();
    fake.rx.push_back(vec![9; 60]);
    let mut nic = Adapter::new(fake);
    let (rx, tx) = nic.receive(now()).unwrap();
    let len = rx.consume(|f| f.len());
    tx.consume(len, |f| f.fill(0x42));
    assert_eq!(nic.driver().sent, [vec![0x42; 60]]);
}

#[test]
fn a_built_frame_leaves_with_its_length() {
    let mut nic = Adapter::new(Fake::new());
    let out = nic.transmit(now()).unwrap().consume(MTU, |f| {
        assert_eq!(f.len(), MTU);
        f.fill(0xab);
        7
    });
    assert_eq!(out, 7);
    assert_eq!(nic.driver().sent, [vec![0xab; MTU]]);
    assert_eq!(nic.driver().tx_room, TX_SLOTS - 1);
}

#[test]
fn an_empty_queue_gives_no_token() {
    let mut nic = Adapter::new(Fake::new());
    assert!(nic.receive(now()).is_none());
    assert!(nic.driver().sent.is_empty());
}

#[test]
fn a_full_transmit_queue_gives_no_token_and_sends_nothing() {
    let mut fake = Fake::new();
    fake.tx_room = 0;
    fake.rx.push_back(vec![1; 42]);
    let mut nic = Adapter::new(fake);
    assert!(nic.transmit(now()).is_none());
    // No reply room, no receive pair either (embassy-stm32's rule); the
    // frame stays for a later poll.
    assert!(nic.receive(now()).is_none());
    assert_eq!(nic.driver().rx.len(), 1);
    assert!(nic.driver().sent.is_empty());
}

#[test]
fn the_queue_fills_and_frees_slot_by_slot() {
    let mut nic = Adapter::new(Fake::new());
    for i in 0..TX_SLOTS {
        let tx = nic.transmit(now()).unwrap();
        tx.consume(64, |f| f.fill(i as u8));
    }
    assert!(nic.transmit(now()).is_none());
    nic.driver_mut().tx_room += 1; // the DMA sent one
    assert!(nic.transmit(now()).is_some());
    assert_eq!(nic.driver().sent.len(), TX_SLOTS);
}

#[test]
fn the_driver_is_given_a_waker_that_does_nothing() {
    let mut nic = Adapter::new(Fake::new());
    let _ = nic.transmit(now());
    let waker = nic.driver_mut().waker.take().unwrap();
    // Waking it, by reference or by value, is harmless (and does nothing).
    waker.wake_by_ref();
    waker.wake();
    assert!(nic.link_up()); // the fake wakes it inside link_state too
}

#[test]
fn hardware_address_and_link_come_from_the_driver() {
    let mut fake = Fake::new();
    fake.link = LinkState::Down;
    let mut nic = Adapter::new(fake);
    assert_eq!(nic.mac_address(), Some(MAC));
    assert_eq!(nic.hardware_address(), HardwareAddress::Ethernet(MAC));
    assert!(!nic.link_up());
    nic.driver_mut().link = LinkState::Up;
    assert!(nic.link_up());
}

#[test]
fn a_borrowed_driver_works_too() {
    let mut fake = Fake::new();
    fake.rx.push_back(vec![7; 3]);
    {
        let mut nic = Adapter::new(&mut fake);
        let (rx, _) = nic.receive(now()).unwrap();
        assert_eq!(rx.consume(|f| f.to_vec()), [7, 7, 7]);
    }
    assert!(fake.rx.is_empty());
    assert_eq!(Adapter::new(Fake::new()).into_inner().tx_room, TX_SLOTS);
}

#[test]
fn the_nic_side_is_inert() {
    let mut fake = Fake::new();
    fake.rx.push_back(vec![0; 60]);
    let mut nic = Adapter::new(fake);
    // Cannot be asked without taking a token: always false, documented.
    assert!(!nic.rx_pending());
    nic.ack_interrupts();
    nic.enable_interrupts();
    assert_eq!(nic.driver().rx.len(), 1, "nothing was taken");
    assert!(nic.driver().sent.is_empty(), "nothing was sent");
}

#[test]
fn multicast_is_what_the_board_vouches_for() {
    const MDNS_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
    let mut plain = Adapter::new(Fake::new());
    assert!(
        !plain.accept_multicast(MDNS_MAC),
        "unknown driver: not claimed"
    );
    let mut passing = Adapter::passing_multicast(Fake::new());
    assert!(passing.accept_multicast(MDNS_MAC));
    // Only an answer: the driver is not touched.
    assert!(passing.driver().sent.is_empty());
    assert_eq!(passing.driver().tx_room, TX_SLOTS);
}

mod through_smoltcp {
    //! A smoltcp `Interface` on the adapter: an ARP request in, the reply
    //! out; then a ping in, its echo out.
    use super::*;
    use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
        HardwareAddress as SmolHw, Icmpv4Packet, Icmpv4Repr, IpCidr, IpProtocol, Ipv4Address,
        Ipv4Packet, Ipv4Repr,
    };

    const BOARD_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
    const PEER_IP: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
    const PEER_MAC: EthernetAddress = EthernetAddress([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
    /// Ethernet header: two addresses and the EtherType.
    const ETH_HEADER: usize = 14;

    fn ethernet(dst: EthernetAddress, proto: EthernetProtocol, payload: usize) -> Vec<u8> {
        let mut buf = vec![0u8; ETH_HEADER + payload];
        let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.set_dst_addr(dst);
        eth.set_src_addr(PEER_MAC);
        eth.set_ethertype(proto);
        buf
    }

    #[test]
    fn arp_and_ping_are_answered() {
        let mut nic = Adapter::new(Fake::new());
        let mac = EthernetAddress(nic.mac_address().unwrap());
        let mut iface = Interface::new(Config::new(SmolHw::Ethernet(mac)), &mut nic, now());
        iface.update_ip_addrs(|a| a.push(IpCidr::new(BOARD_IP.into(), 24)).unwrap());
        let mut storage = [SocketStorage::EMPTY; 1];
        let mut sockets = SocketSet::new(&mut storage[..]);
        let caps = ChecksumCapabilities::default();

        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: PEER_MAC,
            source_protocol_addr: PEER_IP,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: BOARD_IP,
        };
        let mut frame = ethernet(
            EthernetAddress::BROADCAST,
            EthernetProtocol::Arp,
            arp.buffer_len(),
        );
        arp.emit(&mut ArpPacket::new_unchecked(&mut frame[ETH_HEADER..]));
        nic.driver_mut().rx.push_back(frame);
        iface.poll(Instant::from_millis(1), &mut nic, &mut sockets);

        let sent = core::mem::take(&mut nic.driver_mut().sent);
        assert_eq!(sent.len(), 1, "one ARP reply");
        let eth = EthernetFrame::new_checked(&sent[0][..]).unwrap();
        assert_eq!(eth.dst_addr(), PEER_MAC);
        assert_eq!(eth.ethertype(), EthernetProtocol::Arp);
        let reply = ArpRepr::parse(&ArpPacket::new_checked(eth.payload()).unwrap()).unwrap();
        assert_eq!(
            reply,
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: mac,
                source_protocol_addr: BOARD_IP,
                target_hardware_addr: PEER_MAC,
                target_protocol_addr: PEER_IP,
            }
        );

        let echo = Icmpv4Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 1,
            data: b"cuatro",
        };
        let ip = Ipv4Repr {
            src_addr: PEER_IP,
            dst_addr: BOARD_IP,
            next_header: IpProtocol::Icmp,
            payload_len: echo.buffer_len(),
            hop_limit: 64,
        };
        let mut frame = ethernet(
            mac,
            EthernetProtocol::Ipv4,
            ip.buffer_len() + echo.buffer_len(),
        );
        let mut packet = Ipv4Packet::new_unchecked(&mut frame[ETH_HEADER..]);
        ip.emit(&mut packet, &caps);
        echo.emit(
            &mut Icmpv4Packet::new_unchecked(packet.payload_mut()),
            &caps,
        );
        nic.driver_mut().rx.push_back(frame);
        iface.poll(Instant::from_millis(2), &mut nic, &mut sockets);

        let sent = &nic.driver().sent;
        assert_eq!(sent.len(), 1, "one echo reply");
        let eth = EthernetFrame::new_checked(&sent[0][..]).unwrap();
        assert_eq!(eth.dst_addr(), PEER_MAC);
        let packet = Ipv4Packet::new_checked(eth.payload()).unwrap();
        assert_eq!(packet.src_addr(), BOARD_IP);
        let icmp = Icmpv4Packet::new_checked(packet.payload()).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&icmp, &caps).unwrap(),
            Icmpv4Repr::EchoReply {
                ident: 0x1234,
                seq_no: 1,
                data: b"cuatro",
            }
        );
        assert!(nic.driver().rx.is_empty());
    }
}
