//! Reading just enough of a received frame: TCP segment, RST checksums,
//! ICMP echo.

use super::*;

/// A received frame's TCP header fields, if it is IPv4 TCP.
pub(super) fn tcp_segment(frame: &[u8]) -> Option<Segment> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    Some(Segment {
        peer: (ip.src_addr(), tcp.src_port(), tcp.dst_port()),
        syn: tcp.syn(),
        ack: tcp.ack(),
        rst: tcp.rst(),
        seq: tcp.seq_number(),
    })
}

/// Whether an RST frame's IPv4 and TCP checksums are right (only then is
/// it worth a challenge).
pub(super) fn rst_checksums_ok(frame: &[u8]) -> bool {
    let Some(ip) = EthernetFrame::new_checked(frame)
        .ok()
        .and_then(|eth| Ipv4Packet::new_checked(eth.payload()).ok())
    else {
        return false;
    };
    if !ip.verify_checksum() {
        return false;
    }
    TcpPacket::new_checked(ip.payload()).is_ok_and(|tcp| {
        tcp.verify_checksum(
            &IpAddress::Ipv4(ip.src_addr()),
            &IpAddress::Ipv4(ip.dst_addr()),
        )
    })
}

pub(super) fn is_echo_request(frame: &[u8]) -> bool {
    EthernetFrame::new_checked(frame)
        .ok()
        .filter(|eth| eth.ethertype() == EthernetProtocol::Ipv4)
        .and_then(|eth| {
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            (ip.next_header() == IpProtocol::Icmp).then(|| ip.payload().first() == Some(&8))
        })
        .unwrap_or(false)
}
