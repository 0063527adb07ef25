//! Connection tracking from the board's own segments, and what it
//! answers with: challenge ACKs (RFC 5961) and resets.

use super::*;

/// The sequence state of one of the board's connections, as its own
/// segments show it.
#[derive(Debug, Clone, Copy)]
pub struct Track {
    pub(super) peer: Peer,
    pub(super) local_ip: Ipv4Address,
    pub(super) local_mac: EthernetAddress,
    pub(super) remote_mac: EthernetAddress,
    /// The acknowledgement number of our last segment: RCV.NXT.
    pub(super) rcv_nxt: TcpSeqNumber,
    /// The end of our last segment: SND.NXT.
    pub(super) snd_nxt: TcpSeqNumber,
    /// Our last advertised window field. Unscaled: every buffer of the
    /// board is below 64 KiB, so smoltcp offers no window scale; with a
    /// larger buffer the check is only stricter (an RST beyond the field is
    /// dropped without a challenge).
    pub(super) window: u16,
    /// Past the handshake (we have sent a segment without SYN).
    pub(super) synchronized: bool,
    /// Last update, for replacement (milliseconds, wrapping).
    pub(super) stamp: u32,
}

impl Guard {
    pub(super) fn queue_challenge(&mut self, i: usize, now: Instant) {
        if self.challenge.is_none() && self.challenge_budget.take(now, CHALLENGE_ACKS_PER_SECOND) {
            self.challenge = Some(i);
        }
    }

    /// Whether the board has sent a segment of `peer`'s connection (for a
    /// half-open one: its SYN-ACK went out).
    pub(crate) fn tracks(&self, peer: &Peer) -> bool {
        self.find(peer).is_some()
    }

    pub(super) fn find(&self, peer: &Peer) -> Option<usize> {
        self.tracks
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.peer == *peer))
    }

    /// Records one of the board's outgoing frames (checksums are not
    /// looked at: a NIC may fill them in).
    pub(super) fn observe_tx(&mut self, frame: &[u8], now: Instant) {
        let Some(eth) = EthernetFrame::new_checked(frame).ok() else {
            return;
        };
        let Some(ip) = Ipv4Packet::new_checked(eth.payload()).ok().filter(|ip| {
            eth.ethertype() == EthernetProtocol::Ipv4 && ip.next_header() == IpProtocol::Tcp
        }) else {
            return;
        };
        let Some(tcp) = TcpPacket::new_checked(ip.payload()).ok() else {
            return;
        };
        let peer = (ip.dst_addr(), tcp.dst_port(), tcp.src_port());
        let found = self.find(&peer);
        if tcp.rst() {
            if let Some(entry) = found.and_then(|i| self.tracks.get_mut(i)) {
                *entry = None;
            }
            return;
        }
        if !tcp.ack() {
            return;
        }
        let stamp = now.total_millis() as u32;
        let end = TcpSeqNumber(
            tcp.seq_number()
                .0
                .wrapping_add(tcp.payload().len() as i32)
                .wrapping_add(i32::from(tcp.syn()))
                .wrapping_add(i32::from(tcp.fin())),
        );
        let index = found.unwrap_or_else(|| self.free_or_oldest(stamp));
        let Some(entry) = self.tracks.get_mut(index) else {
            return;
        };
        let snd_nxt = match (found, *entry) {
            (Some(_), Some(old)) if end.0.wrapping_sub(old.snd_nxt.0) <= 0 => old.snd_nxt,
            _ => end,
        };
        *entry = Some(Track {
            peer,
            local_ip: ip.src_addr(),
            local_mac: eth.src_addr(),
            remote_mac: eth.dst_addr(),
            rcv_nxt: tcp.ack_number(),
            snd_nxt,
            window: tcp.window_len(),
            synchronized: !tcp.syn(),
            stamp,
        });
    }

    pub(super) fn free_or_oldest(&self, now: u32) -> usize {
        let mut best = (0usize, 0u32);
        for (i, t) in self.tracks.iter().enumerate() {
            match t {
                None => return i,
                Some(t) => {
                    let age = now.wrapping_sub(t.stamp);
                    if age >= best.1 {
                        best = (i, age);
                    }
                }
            }
        }
        best.0
    }

    /// Queues a reset of `peer`'s connection for the next flush (see
    /// [`Guard::reset`]).
    pub(crate) fn reset_later(&mut self, peer: Peer) {
        if let Some(slot) = self.resets.iter_mut().find(|r| r.is_none()) {
            *slot = Some(peer);
        }
    }

    /// Sends the queued challenge ACK and resets, if any, through `device`.
    pub(crate) fn flush<D: Device + ?Sized>(&mut self, device: &mut D, now: Instant) {
        for k in 0..RESET_QUEUE {
            if let Some(peer) = self.resets.get_mut(k).and_then(|r| r.take()) {
                self.reset(&peer, device, now);
            }
        }
        let Some(i) = self.challenge.take() else {
            return;
        };
        if let Some(t) = self.tracks.get(i).and_then(|t| *t) {
            if emit(&t, TcpControl::None, device, now) {
                self.stats.challenge_acks = self.stats.challenge_acks.wrapping_add(1);
            }
        }
    }

    /// Resets `peer`'s connection, which the server has just dropped
    /// without a packet (a half-open connection recycled into a listener):
    /// an RST|ACK at SND.NXT/RCV.NXT, so the client learns at once. Nothing
    /// is sent for a connection never answered (no SYN-ACK went out).
    pub(crate) fn reset<D: Device + ?Sized>(&mut self, peer: &Peer, device: &mut D, now: Instant) {
        let Some(i) = self.find(peer) else {
            return;
        };
        if let Some(t) = self.tracks.get_mut(i).and_then(|t| t.take()) {
            if emit(&t, TcpControl::Rst, device, now) {
                self.stats.resets_sent = self.stats.resets_sent.wrapping_add(1);
            }
        }
    }
}

/// Sends one segment of `t`'s connection with `control` and ACK set
/// (a challenge ACK, or an RST|ACK); returns whether it went out.
pub(super) fn emit<D: Device + ?Sized>(
    t: &Track,
    control: TcpControl,
    device: &mut D,
    now: Instant,
) -> bool {
    {
        let caps = device.capabilities().checksum;
        let Some(tx) = device.transmit(now) else {
            return false;
        };
        let tcp = TcpRepr {
            src_port: t.peer.2,
            dst_port: t.peer.1,
            control,
            seq_number: t.snd_nxt,
            ack_number: Some(t.rcv_nxt),
            window_len: t.window,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 3],
            timestamp: None,
            payload: &[],
        };
        let ip = Ipv4Repr {
            src_addr: t.local_ip,
            dst_addr: t.peer.0,
            next_header: IpProtocol::Tcp,
            payload_len: tcp.buffer_len(),
            hop_limit: 64,
        };
        let eth = EthernetRepr {
            src_addr: t.local_mac,
            dst_addr: t.remote_mac,
            ethertype: EthernetProtocol::Ipv4,
        };
        let len = eth.buffer_len() + ip.buffer_len() + tcp.buffer_len();
        phy::TxToken::consume(tx, len, |buf| {
            let mut frame = EthernetFrame::new_unchecked(buf);
            eth.emit(&mut frame);
            let mut packet = Ipv4Packet::new_unchecked(frame.payload_mut());
            ip.emit(&mut packet, &caps);
            let mut segment = TcpPacket::new_unchecked(packet.payload_mut());
            tcp.emit(
                &mut segment,
                &IpAddress::Ipv4(t.local_ip),
                &IpAddress::Ipv4(t.peer.0),
                &caps,
            );
        });
        true
    }
}
