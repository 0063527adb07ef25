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

mod device;
#[cfg(test)]
mod tests;
mod track;
mod wire;

pub(crate) use device::Guarded;
pub use track::Track;
use wire::*;

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

/// A per-second budget.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    second: i64,
    used: u16,
}

impl Budget {
    pub(super) const fn new() -> Self {
        Budget {
            second: i64::MIN,
            used: 0,
        }
    }

    pub(super) fn take(&mut self, now: Instant, limit: u16) -> bool {
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
pub(super) enum Verdict {
    Pass,
    /// A new SYN goes to smoltcp.
    PassSyn,
    Drop,
}

/// A received frame's IPv4 and TCP headers, as far as the guard cares.
pub(super) struct Segment {
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

    /// Forgets the held SYN: no listener can take it yet, and answering it
    /// (RST) would refuse a client whose retransmitted SYN will find one.
    pub(crate) fn discard_held(&mut self) {
        self.held_len = 0;
    }

    /// Replays the held SYN on the next `receive`.
    pub(crate) fn arm_replay(&mut self) {
        self.replay = self.held_len > 0;
    }

    /// Decides about one received frame. `hold` lists the ports whose SYNs
    /// must wait for a listener; a replayed frame is never held again.
    pub(super) fn inspect_rx(
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
}
