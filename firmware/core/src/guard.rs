//! The server's middleware between smoltcp and the NIC: a `phy::Device`
//! wrapper, like smoltcp's own `phy::fault_injector`, that defends what the
//! stack alone does not.
//!
//! - **Duplicate SYNs.** smoltcp hands a segment to the first socket that
//!   accepts it. A client whose SYN-ACK was lost retransmits its SYN; if
//!   another socket listens on that port it would take the duplicate and
//!   open a ghost half-connection. A SYN whose 4-tuple is already in a
//!   socket's connection is dropped (the socket retransmits its SYN-ACK on
//!   its own timer).
//! - **A listener for every SYN.** A SYN for a port with no idle listener
//!   is *held* (copied into [`HELD_FRAME_LEN`] bytes) and dropped; the
//!   server turns a socket into a listener for it (an idle listener of the
//!   other game port, the oldest half-open connection, the oldest closing
//!   socket) and the held SYN is replayed at once. A SYN flood therefore
//!   recycles half-open connections oldest first, and a legitimate client's
//!   SYN always finds a listener.
//! - **Blind resets (RFC 5961 §3).** From the board's own outgoing segments
//!   it records each connection's RCV.NXT, SND.NXT and window
//!   ([`TRACKED`] connections, [`TRACK_BYTES`] bytes each). An incoming RST
//!   must carry exactly RCV.NXT; one elsewhere in the window is dropped and
//!   answered with a *challenge ACK*, so a real peer that lost its state
//!   answers with an exact RST, and a blind attacker resets nothing.
//!   Out-of-window RSTs are dropped silently.
//! - **SYN on a synchronized connection (RFC 5961 §4)**: dropped, answered
//!   with a challenge ACK.
//! - **Ping floods.** ICMP echo requests beyond [`ECHO_PER_SECOND`] are
//!   dropped before smoltcp answers them; challenge ACKs are limited to
//!   [`CHALLENGE_ACKS_PER_SECOND`] (RFC 5961 §7).

use core::cell::{Cell, RefCell};
use smoltcp::phy::{self, Device, DeviceCapabilities};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpAddress, IpProtocol,
    Ipv4Address, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr, TcpSeqNumber,
};

/// The remote address, remote port and local port of a connection.
pub(crate) type Peer = (Ipv4Address, u16, u16);

/// Connections whose sequence state is tracked for challenge ACKs: one per
/// socket of the default server (6 game sockets, the upload socket) and a
/// spare. When full, the least recently updated entry is replaced.
pub const TRACKED: usize = 8;
/// Bytes of one tracked connection (see [`TRACKED`]).
pub const TRACK_BYTES: usize = core::mem::size_of::<Option<Track>>();
/// Largest SYN frame held while a listener is made for it: Ethernet (14) +
/// IPv4 with options (60) + TCP with options (60), rounded up. A larger
/// "SYN" is passed to smoltcp as it is.
pub const HELD_FRAME_LEN: usize = 136;
/// Challenge ACKs sent per second at most (RFC 5961 §7).
pub const CHALLENGE_ACKS_PER_SECOND: u16 = 10;
/// ICMP echo requests answered per second at most; the rest are dropped.
pub const ECHO_PER_SECOND: u16 = 50;
/// Resets queued for connections the server dropped while it had no
/// device at hand (expired handshakes); more are dropped unsent.
pub const RESET_QUEUE: usize = 2;

/// What the guard did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuardStats {
    /// Challenge ACKs sent.
    pub challenge_acks: u32,
    /// RSTs dropped because their sequence number was not exact.
    pub rst_dropped: u32,
    /// SYNs dropped: duplicates of connections under way, or SYNs on
    /// synchronized connections.
    pub syn_dropped: u32,
    /// SYNs held while a listener was made for them.
    pub syn_held: u32,
    /// ICMP echo requests dropped over the rate limit.
    pub echo_dropped: u32,
    /// RSTs sent to clients whose half-open connection was recycled.
    pub resets_sent: u32,
}

/// The sequence state of one of the board's connections, as its own
/// segments show it.
#[derive(Debug, Clone, Copy)]
pub struct Track {
    peer: Peer,
    local_ip: Ipv4Address,
    local_mac: EthernetAddress,
    remote_mac: EthernetAddress,
    /// The acknowledgement number of our last segment: RCV.NXT.
    rcv_nxt: TcpSeqNumber,
    /// The end of our last segment: SND.NXT.
    snd_nxt: TcpSeqNumber,
    /// Our last advertised window field. Unscaled: every buffer of the
    /// board is below 64 KiB, so smoltcp offers no window scale; with a
    /// larger buffer the check is only stricter (an RST beyond the field is
    /// dropped without a challenge).
    window: u16,
    /// Past the handshake (we have sent a segment without SYN).
    synchronized: bool,
    /// Last update, for replacement (milliseconds, wrapping).
    stamp: u32,
}

/// A per-second budget.
#[derive(Debug, Clone, Copy)]
struct Budget {
    second: i64,
    used: u16,
}

impl Budget {
    const fn new() -> Self {
        Budget {
            second: i64::MIN,
            used: 0,
        }
    }

    fn take(&mut self, now: Instant, limit: u16) -> bool {
        let second = now.total_millis() / 1000;
        if second != self.second {
            self.second = second;
            self.used = 0;
        }
        if self.used < limit {
            self.used += 1;
            true
        } else {
            false
        }
    }
}

/// The guard's state: tracked connections, the held SYN, the budgets.
#[derive(Debug)]
pub struct Guard {
    tracks: [Option<Track>; TRACKED],
    held: [u8; HELD_FRAME_LEN],
    held_len: usize,
    /// The held SYN is to be replayed by the next `receive`.
    replay: bool,
    /// A challenge ACK to send (index into `tracks`).
    challenge: Option<usize>,
    /// Connections to reset at the next flush.
    resets: [Option<Peer>; RESET_QUEUE],
    challenge_budget: Budget,
    echo_budget: Budget,
    stats: GuardStats,
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

/// What to do with a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// A new SYN goes to smoltcp.
    PassSyn,
    Drop,
}

/// A received frame's IPv4 and TCP headers, as far as the guard cares.
struct Segment {
    peer: Peer,
    syn: bool,
    ack: bool,
    rst: bool,
    seq: TcpSeqNumber,
}

impl Guard {
    /// No connection tracked, nothing held.
    pub const fn new() -> Self {
        Guard {
            tracks: [None; TRACKED],
            held: [0; HELD_FRAME_LEN],
            held_len: 0,
            replay: false,
            challenge: None,
            resets: [None; RESET_QUEUE],
            challenge_budget: Budget::new(),
            echo_budget: Budget::new(),
            stats: GuardStats {
                challenge_acks: 0,
                rst_dropped: 0,
                syn_dropped: 0,
                syn_held: 0,
                echo_dropped: 0,
                resets_sent: 0,
            },
        }
    }

    /// Counters since start.
    pub const fn stats(&self) -> GuardStats {
        self.stats
    }

    /// The destination port of the SYN held for want of a listener, if any
    /// (not yet replayed).
    pub(crate) fn held_port(&self) -> Option<u16> {
        if self.held_len == 0 || self.replay {
            return None;
        }
        let frame = self.held.get(..self.held_len)?;
        tcp_segment(frame).map(|s| s.peer.2)
    }

    /// Whether something waits to be sent or replayed: the driver must poll
    /// again at once.
    pub(crate) fn pending(&self) -> bool {
        self.replay || self.challenge.is_some() || self.resets.iter().any(|r| r.is_some())
    }

    /// Replays the held SYN on the next `receive`.
    /// Forgets the held SYN: no listener can take it yet, and answering it
    /// (RST) would refuse a client whose retransmitted SYN will find one.
    pub(crate) fn discard_held(&mut self) {
        self.held_len = 0;
    }

    pub(crate) fn arm_replay(&mut self) {
        self.replay = self.held_len > 0;
    }

    /// Decides about one received frame. `hold` lists the ports whose SYNs
    /// must wait for a listener; a replayed frame is never held again.
    fn inspect_rx(
        &mut self,
        frame: &[u8],
        now: Instant,
        is_open: &dyn Fn(&Peer) -> bool,
        hold: &[u16],
        replayed: bool,
    ) -> Verdict {
        let Some(seg) = tcp_segment(frame) else {
            if is_echo_request(frame) && !self.echo_budget.take(now, ECHO_PER_SECOND) {
                self.stats.echo_dropped = self.stats.echo_dropped.wrapping_add(1);
                return Verdict::Drop;
            }
            return Verdict::Pass;
        };
        // Only SYNs and RSTs are looked at further: the data path pays for
        // the header parse alone.
        if seg.syn && !seg.ack {
            if is_open(&seg.peer) {
                // A duplicate of a handshake under way, or (RFC 5961 §4) a
                // SYN on a synchronized connection: challenge the latter.
                if let Some(i) = self.find(&seg.peer) {
                    if self
                        .tracks
                        .get(i)
                        .and_then(|t| t.as_ref())
                        .is_some_and(|t| t.synchronized)
                    {
                        self.queue_challenge(i, now);
                    }
                }
                self.stats.syn_dropped = self.stats.syn_dropped.wrapping_add(1);
                return Verdict::Drop;
            }
            if !replayed && hold.contains(&seg.peer.2) {
                if let Some(dst) = self.held.get_mut(..frame.len()) {
                    dst.copy_from_slice(frame);
                    self.held_len = frame.len();
                    self.stats.syn_held = self.stats.syn_held.wrapping_add(1);
                    return Verdict::Drop;
                }
            }
            return Verdict::PassSyn;
        }
        if seg.rst {
            if let Some(i) = self.find(&seg.peer) {
                let Some(t) = self.tracks.get(i).and_then(|t| *t) else {
                    return Verdict::Pass;
                };
                if seg.seq == t.rcv_nxt {
                    if let Some(entry) = self.tracks.get_mut(i) {
                        *entry = None;
                    }
                    return Verdict::Pass;
                }
                if !rst_checksums_ok(frame) {
                    return Verdict::Pass; // smoltcp drops it
                }
                let offset = seg.seq.0.wrapping_sub(t.rcv_nxt.0);
                let window = u32::from(t.window).max(1);
                if offset > 0 && (offset as u32) < window {
                    self.queue_challenge(i, now);
                }
                self.stats.rst_dropped = self.stats.rst_dropped.wrapping_add(1);
                return Verdict::Drop;
            }
        }
        Verdict::Pass
    }

    fn queue_challenge(&mut self, i: usize, now: Instant) {
        if self.challenge.is_none() && self.challenge_budget.take(now, CHALLENGE_ACKS_PER_SECOND) {
            self.challenge = Some(i);
        }
    }

    /// Whether the board has sent a segment of `peer`'s connection (for a
    /// half-open one: its SYN-ACK went out).
    pub(crate) fn tracks(&self, peer: &Peer) -> bool {
        self.find(peer).is_some()
    }

    fn find(&self, peer: &Peer) -> Option<usize> {
        self.tracks
            .iter()
            .position(|t| t.as_ref().is_some_and(|t| t.peer == *peer))
    }

    /// Records one of the board's outgoing frames (checksums are not
    /// looked at: a NIC may fill them in).
    fn observe_tx(&mut self, frame: &[u8], now: Instant) {
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

    fn free_or_oldest(&self, now: u32) -> usize {
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
fn emit<D: Device + ?Sized>(t: &Track, control: TcpControl, device: &mut D, now: Instant) -> bool {
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

/// A received frame's TCP header fields, if it is IPv4 TCP.
fn tcp_segment(frame: &[u8]) -> Option<Segment> {
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
fn rst_checksums_ok(frame: &[u8]) -> bool {
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

fn is_echo_request(frame: &[u8]) -> bool {
    EthernetFrame::new_checked(frame)
        .ok()
        .filter(|eth| eth.ethertype() == EthernetProtocol::Ipv4)
        .and_then(|eth| {
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            (ip.next_header() == IpProtocol::Icmp).then(|| ip.payload().first() == Some(&8))
        })
        .unwrap_or(false)
}

/// `inner` behind the guard. `is_open` tells whether a 4-tuple is in a
/// socket's connection; `hold` lists the ports whose SYNs wait for a
/// listener; `saw_syn` is set when a new SYN reaches smoltcp.
pub(crate) struct Guarded<'a, 'g, D: Device + ?Sized> {
    pub(crate) inner: &'a mut D,
    pub(crate) guard: &'a RefCell<&'g mut Guard>,
    pub(crate) is_open: &'a dyn Fn(&Peer) -> bool,
    pub(crate) hold: &'a [u16],
    pub(crate) saw_syn: &'a Cell<bool>,
}

/// Receive token of [`Guarded`]: a frame from the NIC, or the held SYN.
pub(crate) struct Rx<'p, 'g, T> {
    inner: Option<T>,
    guard: &'p RefCell<&'g mut Guard>,
    is_open: &'p dyn Fn(&Peer) -> bool,
    hold: &'p [u16],
    saw_syn: &'p Cell<bool>,
    now: Instant,
}

impl<T: phy::RxToken> Rx<'_, '_, T> {
    /// Hands `frame` (or, dropped, an empty frame, which smoltcp ignores)
    /// to smoltcp's `f`. One call site of `f` and never inlined: `f` is the
    /// whole ingress path of the stack, and each copy costs kilobytes of
    /// flash.
    #[inline(never)]
    fn deliver<R, F: FnOnce(&[u8]) -> R>(&self, frame: &[u8], replayed: bool, f: F) -> R {
        let verdict = match self.guard.try_borrow_mut() {
            Ok(mut g) => g.inspect_rx(frame, self.now, self.is_open, self.hold, replayed),
            Err(_) => Verdict::Pass,
        };
        if verdict == Verdict::PassSyn {
            self.saw_syn.set(true);
        }
        f(if verdict == Verdict::Drop { &[] } else { frame })
    }
}

impl<T: phy::RxToken> phy::RxToken for Rx<'_, '_, T> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(mut self, f: F) -> R {
        match self.inner.take() {
            Some(inner) => inner.consume(|frame| self.deliver(frame, false, f)),
            None => {
                let mut copy = [0u8; HELD_FRAME_LEN];
                let len = match self.guard.try_borrow_mut() {
                    Ok(mut g) => {
                        let len = g.held_len;
                        g.held_len = 0;
                        g.replay = false;
                        if let (Some(dst), Some(src)) = (copy.get_mut(..len), g.held.get(..len)) {
                            dst.copy_from_slice(src);
                        }
                        len
                    }
                    Err(_) => 0,
                };
                let frame = copy.get(..len).unwrap_or(&[]);
                self.deliver(frame, true, f)
            }
        }
    }

    fn meta(&self) -> phy::PacketMeta {
        self.inner.as_ref().map(|t| t.meta()).unwrap_or_default()
    }
}

/// Transmit token of [`Guarded`]: records each outgoing frame.
pub(crate) struct Tx<'p, 'g, T> {
    inner: T,
    guard: &'p RefCell<&'g mut Guard>,
    now: Instant,
}

impl<T: phy::TxToken> phy::TxToken for Tx<'_, '_, T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let (guard, now) = (self.guard, self.now);
        self.inner.consume(len, |buf| {
            let r = f(buf);
            if let Ok(mut g) = guard.try_borrow_mut() {
                g.observe_tx(buf, now);
            }
            r
        })
    }

    fn set_meta(&mut self, meta: phy::PacketMeta) {
        self.inner.set_meta(meta)
    }
}

impl<'g, D: Device + ?Sized> Device for Guarded<'_, 'g, D> {
    type RxToken<'b>
        = Rx<'b, 'g, D::RxToken<'b>>
    where
        Self: 'b;
    type TxToken<'b>
        = Tx<'b, 'g, D::TxToken<'b>>
    where
        Self: 'b;

    fn receive(&mut self, timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let replay = self.guard.try_borrow().is_ok_and(|g| g.replay);
        let guard = self.guard;
        let (is_open, hold, saw_syn) = (self.is_open, self.hold, self.saw_syn);
        if replay {
            let tx = self.inner.transmit(timestamp)?;
            let rx = Rx {
                inner: None,
                guard,
                is_open,
                hold,
                saw_syn,
                now: timestamp,
            };
            return Some((
                rx,
                Tx {
                    inner: tx,
                    guard,
                    now: timestamp,
                },
            ));
        }
        self.inner.receive(timestamp).map(|(inner, tx)| {
            let rx = Rx {
                inner: Some(inner),
                guard,
                is_open,
                hold,
                saw_syn,
                now: timestamp,
            };
            (
                rx,
                Tx {
                    inner: tx,
                    guard,
                    now: timestamp,
                },
            )
        })
    }

    fn transmit(&mut self, timestamp: Instant) -> Option<Self::TxToken<'_>> {
        let guard = self.guard;
        self.inner.transmit(timestamp).map(|inner| Tx {
            inner,
            guard,
            now: timestamp,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
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
    fn through(
        g: &mut Guard,
        frame: &[u8],
        open: bool,
        hold: &[u16],
        now: Instant,
    ) -> (usize, bool) {
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
}
