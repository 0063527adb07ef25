//! A `Device` wrapper that drops retransmitted SYNs of connections already
//! under way.
//!
//! smoltcp hands an incoming segment to the first socket that accepts it. A
//! client whose SYN-ACK was lost retransmits its SYN; if another socket is
//! listening on that port and comes first, it takes the duplicate SYN and
//! opens a second, ghost half-connection with a new sequence number, and the
//! client's ACK then draws a reset. The server keeps several listeners per
//! port (so simultaneous clients each find one), so it filters: a SYN whose
//! 4-tuple matches a socket already in a connection is dropped here (the
//! existing socket retransmits its SYN-ACK on its own timer).

use core::cell::Cell;
use smoltcp::phy::{self, Device, DeviceCapabilities};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, IpProtocol, Ipv4Address, Ipv4Packet, TcpPacket,
};

/// The remote address, remote port and local port of a connection.
pub(crate) type Peer = (Ipv4Address, u16, u16);

/// Wraps `inner`, dropping SYNs (without ACK) of open connections
/// (`is_open`), and noting in `saw_syn` when a new SYN goes through.
pub(crate) struct DupSynFilter<'a, D: Device + ?Sized, P: Fn(&Peer) -> bool> {
    pub(crate) inner: &'a mut D,
    pub(crate) is_open: P,
    pub(crate) saw_syn: &'a Cell<bool>,
}

/// Receive token of [`DupSynFilter`].
pub(crate) struct Rx<'p, T, P> {
    inner: T,
    is_open: &'p P,
    saw_syn: &'p Cell<bool>,
}

impl<T: phy::RxToken, P: Fn(&Peer) -> bool> phy::RxToken for Rx<'_, T, P> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        let (is_open, saw_syn) = (self.is_open, self.saw_syn);
        self.inner.consume(|frame| match syn_peer(frame) {
            // smoltcp ignores an empty frame.
            Some(peer) if is_open(&peer) => f(&[]),
            Some(_) => {
                saw_syn.set(true);
                f(frame)
            }
            None => f(frame),
        })
    }

    fn meta(&self) -> phy::PacketMeta {
        self.inner.meta()
    }
}

impl<D: Device + ?Sized, P: Fn(&Peer) -> bool> Device for DupSynFilter<'_, D, P> {
    type RxToken<'b>
        = Rx<'b, D::RxToken<'b>, P>
    where
        Self: 'b;
    type TxToken<'b>
        = D::TxToken<'b>
    where
        Self: 'b;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (is_open, saw_syn) = (&self.is_open, self.saw_syn);
        self.inner.receive(timestamp).map(|(inner, tx)| {
            let rx = Rx {
                inner,
                is_open,
                saw_syn,
            };
            (rx, tx)
        })
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        self.inner.transmit(timestamp)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// The peer of `frame` if it is an IPv4 TCP SYN without ACK.
fn syn_peer(frame: &[u8]) -> Option<Peer> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    (tcp.syn() && !tcp.ack()).then(|| (ip.src_addr(), tcp.src_port(), tcp.dst_port()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    extern crate std;
    use super::*;
    use smoltcp::phy::{Loopback, Medium, RxToken, TxToken};
    use smoltcp::wire::{
        EthernetAddress, EthernetRepr, IpAddress, Ipv4Repr, TcpControl, TcpRepr, TcpSeqNumber,
    };
    use std::vec;

    fn segment(control: TcpControl, ack: bool) -> std::vec::Vec<u8> {
        let tcp = TcpRepr {
            src_port: 40000,
            dst_port: 8080,
            control,
            seq_number: TcpSeqNumber(1),
            ack_number: ack.then_some(TcpSeqNumber(5)),
            window_len: 1000,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: None,
            payload: &[],
        };
        let src = Ipv4Address::new(10, 0, 2, 2);
        let dst = Ipv4Address::new(10, 0, 2, 15);
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: IpProtocol::Tcp,
            payload_len: tcp.buffer_len(),
            hop_limit: 64,
        };
        let eth = EthernetRepr {
            src_addr: EthernetAddress([2, 0, 0, 0, 0, 2]),
            dst_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
            ethertype: EthernetProtocol::Ipv4,
        };
        let mut buf = vec![0u8; eth.buffer_len() + ip.buffer_len() + tcp.buffer_len()];
        let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.emit(&mut frame);
        let mut packet = Ipv4Packet::new_unchecked(frame.payload_mut());
        ip.emit(&mut packet, &Default::default());
        let mut seg = TcpPacket::new_unchecked(packet.payload_mut());
        tcp.emit(
            &mut seg,
            &IpAddress::Ipv4(src),
            &IpAddress::Ipv4(dst),
            &Default::default(),
        );
        buf
    }

    fn through_filter(frame: &[u8], open: bool) -> usize {
        let mut lo = Loopback::new(Medium::Ethernet);
        let tx = lo.transmit(Instant::ZERO).unwrap();
        tx.consume(frame.len(), |b| b.copy_from_slice(frame));
        let saw_syn = Cell::new(false);
        let mut f = DupSynFilter {
            inner: &mut lo,
            is_open: |p: &Peer| open && *p == (Ipv4Address::new(10, 0, 2, 2), 40000, 8080),
            saw_syn: &saw_syn,
        };
        let (rx, _) = f.receive(Instant::ZERO).unwrap();
        let len = rx.consume(|b| b.len());
        // A SYN that goes through is noted (the server re-arms listeners).
        let is_syn = frame.len() > 47 && frame[47] & 0x12 == 0x02;
        assert_eq!(saw_syn.get(), is_syn && len > 0, "saw_syn");
        len
    }

    #[test]
    fn drops_only_syns_of_open_connections() {
        let syn = segment(TcpControl::Syn, false);
        assert_eq!(through_filter(&syn, true), 0, "duplicate SYN dropped");
        assert_eq!(through_filter(&syn, false), syn.len(), "new SYN passes");
        let ack = segment(TcpControl::None, true);
        assert_eq!(through_filter(&ack, true), ack.len(), "ACKs pass");
        assert_eq!(
            through_filter(&[1, 2, 3], true),
            3,
            "garbage passes to smoltcp"
        );
    }
}
