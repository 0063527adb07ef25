//! Attackers for the deterministic network simulator ([`crate::netsim`]).
//!
//! Each [`AttackPlan`] runs one [`Attack`] from its start time to its stop
//! time (or the end of the simulation), from a machine of its own on the
//! switch: MAC `02:00:00:0a:00:k`, IP `10.0.100.k` (`k` = 1 + the plan's
//! index), a smoltcp interface that answers ARP. What it sends:
//!
//! - *Raw frames*, built with `smoltcp::wire` (correct checksums unless
//!   the attack is garbage): spoofed SYNs from [`SPOOF_FIRST`]`/22`
//!   (10.0.200.0–10.0.203.255) with random source MACs that no port of the
//!   switch owns, so the board's ARP requests for them go unanswered and
//!   its replies to them are dropped; resets and SYNs forged on a client's
//!   own connection (its MAC, IP and port, with a sequence number learnt by
//!   sniffing the switch); garbage; ICMP echo requests from the attacker's
//!   own address (the board can answer those).
//! - *Real TCP connections* (smoltcp sockets on the attacker's interface)
//!   that hold sessions: silent, trickling, one frame a minute, or with a
//!   zero receive window. When the board closes or resets one, it connects
//!   again [`RECONNECT_DELAY`] later: the attacker wants to keep the seats.
//!
//! Everything is driven by the simulation's clock and a generator seeded
//! from [`crate::netsim::NetConfig::seed`]: the same configuration gives
//! the same attack, frame for frame. Without plans nothing is added to the
//! switch and no random number is drawn.

use crate::impair::SplitMix64;
use crate::link::Port;
use crate::netsim::{Host, BOARD_IP, BOARD_MAC, GAME_PORT};
use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{Action, Codec, Error, MAX_FRAME};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::{self, ChecksumCapabilities, Device};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, Icmpv4Packet, Icmpv4Repr,
    IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, TcpControl, TcpPacket, TcpRepr,
    TcpSeqNumber,
};

/// What an attacker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attack {
    /// `rate_per_sec` SYNs a second to `port`, evenly spaced, each from a
    /// random spoofed address in 10.0.200.0/22 (random port, random
    /// sequence number, random source MAC) that never answers ARP.
    SynFlood {
        /// SYNs per second.
        rate_per_sec: u32,
        /// The board's port attacked.
        port: u16,
    },
    /// `count` SYNs to `port` at the start time, once, from distinct
    /// spoofed addresses (10.0.204.1, .2, ...) that never answer ARP.
    HalfOpenNoArp {
        /// SYNs sent.
        count: usize,
        /// The board's port attacked.
        port: u16,
    },
    /// `count` connections to `port` that never send a byte (they read and
    /// discard what the board sends).
    SilentHolders {
        /// Connections kept open.
        count: usize,
        /// The board's port attacked.
        port: u16,
    },
    /// `count` connections to `port` that send one byte of a valid
    /// `\juego_nuevo` frame (in the port's encoding) every `interval`,
    /// frame after frame, forever; they read and discard the replies.
    Tricklers {
        /// Connections kept open.
        count: usize,
        /// The board's port attacked.
        port: u16,
        /// Time between two bytes.
        interval: std::time::Duration,
    },
    /// `count` connections to `port` whose `\juego_nuevo` frames' bytes are
    /// spread evenly so that exactly one frame completes every 60 s.
    FramePerMinute {
        /// Connections kept open.
        count: usize,
        /// The board's port attacked.
        port: u16,
    },
    /// `count` connections to `port` with a 1-byte receive buffer that is
    /// never read (their window is 0 after the first byte), which pipeline
    /// [`ZERO_WINDOW_PIPELINE`] `\juego_nuevo` actions at once.
    ZeroWindow {
        /// Connections kept open.
        count: usize,
        /// The board's port attacked.
        port: u16,
    },
    /// Every [`INJECT_EVERY`], for every client connection to the board
    /// seen established at the switch: a forged RST from the client's own
    /// MAC, IP and port, sequence number the client's next one + 100 (in
    /// the board's window, not exact: RFC 5961 asks for a challenge ACK)
    /// or + 2^30 (out of the window: dropped).
    Rst {
        /// + 100 (true) or + 2^30 (false).
        in_window: bool,
    },
    /// Every [`INJECT_EVERY`], for every client connection seen
    /// established: a forged SYN on its 4-tuple, random sequence number
    /// (RFC 5961 §4: the board must not reset the connection).
    SynOnEstablished,
    /// `rate_per_sec` garbage frames a second to the board's MAC: random
    /// bytes, bad IPv4 and TCP checksums, truncated IPv4, TCP and ARP
    /// headers, bad header lengths, unknown protocols.
    Garbage {
        /// Frames per second.
        rate_per_sec: u32,
    },
    /// `rate_per_sec` ICMP echo requests a second to the board from the
    /// attacker's own address (which answers ARP, so the board can reply;
    /// replies are counted in [`crate::netsim::Report::echo_replies`]).
    PingFlood {
        /// Echo requests per second.
        rate_per_sec: u32,
    },
}

/// One attack and when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackPlan {
    /// When it starts (virtual time).
    pub start: std::time::Duration,
    /// When it stops (`None`: it runs until the simulation ends); its
    /// connections are aborted then.
    pub stop: Option<std::time::Duration>,
    /// What it does.
    pub kind: Attack,
}

impl AttackPlan {
    /// `kind` from `start` to `stop`.
    pub fn new(
        kind: Attack,
        start: std::time::Duration,
        stop: Option<std::time::Duration>,
    ) -> Self {
        AttackPlan { start, stop, kind }
    }
}

/// What the attackers did and saw, summed over the plans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackStats {
    /// Raw frames injected (every kind).
    pub frames: u64,
    /// Spoofed SYNs (floods and half-open).
    pub syns: u64,
    /// Forged RSTs.
    pub rsts: u64,
    /// Forged SYNs on established connections.
    pub syns_on_established: u64,
    /// Garbage frames.
    pub garbage: u64,
    /// ICMP echo requests.
    pub echo_requests: u64,
    /// Connections the holders opened (attempts).
    pub connects: u64,
    /// Holder connections greeted with a session (not "server full").
    pub seated: u64,
    /// Holder connections answered "server full".
    pub refused: u64,
    /// Holder connections the board closed or reset.
    pub dropped: u64,
    /// The longest a holder connection kept its session (from its greeting
    /// to its close, or to the end of the attack or simulation).
    pub seat_time_max: std::time::Duration,
    /// Every holder connection's session time, summed.
    pub seat_time_total: std::time::Duration,
}

/// Holders reconnect this long after the board closed or refused them.
pub const RECONNECT_DELAY: Duration = Duration::from_millis(20);
/// Cadence of [`Attack::Rst`] and [`Attack::SynOnEstablished`].
pub const INJECT_EVERY: Duration = Duration::from_secs(2);
/// Actions a [`Attack::ZeroWindow`] connection pipelines.
pub const ZERO_WINDOW_PIPELINE: usize = 8;
/// First address of the SYN flood's spoofed /22.
pub const SPOOF_FIRST: Ipv4Address = Ipv4Address::new(10, 0, 200, 0);
/// [`Attack::FramePerMinute`]'s period.
const FRAME_PERIOD: Duration = Duration::from_secs(60);
/// Upper bound on raw frames one plan injects at one instant.
const BURST_MAX: usize = 100_000;

/// The attacker machine of plan `k`.
fn attacker_mac(k: usize) -> EthernetAddress {
    EthernetAddress([0x02, 0, 0, 0x0a, (k >> 8) as u8, (k + 1) as u8])
}

fn attacker_ip(k: usize) -> Ipv4Address {
    Ipv4Address::new(10, 0, 100, 1 + (k % 250) as u8)
}

fn instant(d: std::time::Duration) -> Instant {
    Instant::from_micros(d.as_micros() as i64)
}

fn std_duration(d: Duration) -> std::time::Duration {
    std::time::Duration::from_micros(d.total_micros())
}

/// The codec the board speaks on `port`.
fn codec_of(port: u16) -> Codec {
    if port == GAME_PORT + 1 {
        Codec::Compact
    } else {
        Codec::Classic
    }
}

/// One framed `\juego_nuevo` in `codec`.
fn new_game_frame(codec: Codec) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let n = encode_frame_with(&mut buf, |p| codec.encode_action(&Action::NewGame, p)).unwrap_or(0);
    buf.get(..n).unwrap_or_default().to_vec()
}

/// A client connection to the board seen at the switch.
#[derive(Debug, Clone, Copy)]
struct Flow {
    mac: EthernetAddress,
    ip: Ipv4Address,
    port: u16,
    board_port: u16,
    /// The client's next sequence number (highest seen + length).
    next: u32,
    /// An ACK from the client has been seen (the handshake is over).
    established: bool,
}

/// How a holder connection behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holding {
    Silent,
    Trickle(Duration),
    FramePerMinute,
    ZeroWindow,
}

/// One holder connection (reconnected forever).
struct Conn {
    handle: Option<SocketHandle>,
    /// Waiting to reconnect at this time.
    reconnect_at: Option<Instant>,
    established_at: Option<Instant>,
    /// When a session greeted it.
    greeted_at: Option<Instant>,
    /// Whether the first frame (greeting or "server full") has arrived.
    answered: bool,
    decoder: FrameDecoder<MAX_FRAME>,
    /// Bytes of the action stream written.
    sent: usize,
}

/// A running plan.
struct Plan {
    kind: Attack,
    start: Instant,
    stop: Option<Instant>,
    host: Host,
    mac: EthernetAddress,
    ip: Ipv4Address,
    /// The next injection (floods: the next frame; forged segments: the
    /// next round).
    next_at: Instant,
    /// Once-only work done (half-open SYNs sent, connections opened).
    fired: bool,
    stopped: bool,
    conns: Vec<Conn>,
    /// The action stream's repeating frame (holders).
    frame: Vec<u8>,
    echo_seq: u16,
}

/// Every plan, and what they learnt.
pub(crate) struct Attackers {
    plans: Vec<Plan>,
    rng: SplitMix64,
    flows: Vec<Flow>,
    /// Whether some plan forges segments on the clients' connections.
    sniff: bool,
    stats: AttackStats,
}

impl Attackers {
    /// The plans' machines, plugged into `switch`.
    pub(crate) fn new(
        plans: &[AttackPlan],
        seed: u64,
        now: Instant,
        switch: &mut Vec<(EthernetAddress, Port)>,
    ) -> Self {
        let mut rng = SplitMix64::new(seed ^ 0x6174_7461_636b);
        let plans: Vec<Plan> = plans
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let mac = attacker_mac(k);
                let ip = attacker_ip(k);
                let (host, switch_end) = Host::new(mac, ip, rng.next_u64(), now);
                switch.push((mac, switch_end));
                let frame = match p.kind {
                    Attack::SilentHolders { port, .. }
                    | Attack::Tricklers { port, .. }
                    | Attack::FramePerMinute { port, .. }
                    | Attack::ZeroWindow { port, .. } => new_game_frame(codec_of(port)),
                    _ => Vec::new(),
                };
                Plan {
                    kind: p.kind.clone(),
                    start: instant(p.start),
                    stop: p.stop.map(instant),
                    host,
                    mac,
                    ip,
                    next_at: instant(p.start),
                    fired: false,
                    stopped: false,
                    conns: Vec::new(),
                    frame,
                    echo_seq: 0,
                }
            })
            .collect();
        let sniff = plans
            .iter()
            .any(|p| matches!(p.kind, Attack::Rst { .. } | Attack::SynOnEstablished));
        Attackers {
            plans,
            rng,
            flows: Vec::new(),
            sniff,
            stats: AttackStats::default(),
        }
    }

    /// The counters, with the sessions still held at `now` counted up to it.
    pub(crate) fn stats(&self, now: Instant) -> AttackStats {
        let mut s = self.stats.clone();
        for plan in &self.plans {
            for c in &plan.conns {
                if let Some(t) = c.greeted_at {
                    let held = std_duration(now - t);
                    s.seat_time_total += held;
                    s.seat_time_max = s.seat_time_max.max(held);
                }
            }
        }
        s
    }

    /// Sees one frame crossing the switch: learns the clients' connections
    /// to the board and their sequence numbers.
    pub(crate) fn observe(&mut self, frame: &[u8], from_board: bool, from_client: bool) {
        if !self.sniff || !(from_board || from_client) {
            return;
        }
        let Ok(eth) = EthernetFrame::new_checked(frame) else {
            return;
        };
        if eth.ethertype() != EthernetProtocol::Ipv4 {
            return;
        }
        let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
            return;
        };
        if ip.next_header() != IpProtocol::Tcp {
            return;
        }
        let Ok(tcp) = TcpPacket::new_checked(ip.payload()) else {
            return;
        };
        if from_board {
            // The board ended the connection: leave it alone.
            if tcp.rst() || tcp.fin() {
                let (ip_dst, port) = (ip.dst_addr(), tcp.dst_port());
                self.flows.retain(|f| {
                    !(f.ip == ip_dst && f.port == port && f.board_port == tcp.src_port())
                });
            }
            return;
        }
        if ip.dst_addr() != BOARD_IP {
            return;
        }
        let key = (ip.src_addr(), tcp.src_port(), tcp.dst_port());
        let pos = self
            .flows
            .iter()
            .position(|f| (f.ip, f.port, f.board_port) == key);
        if tcp.rst() || tcp.fin() {
            if let Some(i) = pos {
                self.flows.swap_remove(i);
            }
            return;
        }
        let seq = tcp.seq_number().0 as u32;
        if tcp.syn() {
            let flow = Flow {
                mac: eth.src_addr(),
                ip: key.0,
                port: key.1,
                board_port: key.2,
                next: seq.wrapping_add(1),
                established: false,
            };
            match pos.and_then(|i| self.flows.get_mut(i)) {
                Some(f) => *f = flow,
                None => self.flows.push(flow),
            }
            return;
        }
        let Some(f) = pos.and_then(|i| self.flows.get_mut(i)) else {
            return;
        };
        if tcp.ack() {
            f.established = true;
        }
        let end = seq.wrapping_add(tcp.payload().len() as u32);
        if (end.wrapping_sub(f.next) as i32) > 0 {
            f.next = end;
        }
    }

    /// Runs every plan's work due at `now`. Returns whether anything moved.
    pub(crate) fn step(&mut self, now: Instant) -> bool {
        let mut progress = false;
        for k in 0..self.plans.len() {
            progress |= self.step_plan(k, now);
        }
        progress
    }

    /// Polls the attackers' interfaces.
    pub(crate) fn poll(&mut self, now: Instant) -> bool {
        let mut progress = false;
        for plan in &mut self.plans {
            let host = &mut plan.host;
            progress |= host.machine.poll(now, &mut host.port);
        }
        progress
    }

    /// The earliest future time some attacker has something to do.
    pub(crate) fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut fold = |t: Option<Instant>| {
            if let Some(t) = t.filter(|&t| t > now) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for plan in &mut self.plans {
            if plan.stopped {
                fold(plan.host.machine.poll_at(now));
                continue;
            }
            fold(Some(plan.start));
            fold(plan.stop);
            if plan.kind.is_periodic() {
                fold(Some(plan.next_at));
            }
            fold(plan.host.machine.poll_at(now));
            fold(plan.host.zombies.iter().map(|z| z.1).min());
            let holding = plan.kind.holding();
            let len = plan.frame.len();
            for c in &plan.conns {
                fold(c.reconnect_at);
                if let (Some(h), Some(t0)) = (holding, c.established_at) {
                    fold(byte_due(h, t0, c.sent, len));
                }
            }
        }
        next
    }

    fn step_plan(&mut self, k: usize, now: Instant) -> bool {
        let Some(plan) = self.plans.get_mut(k) else {
            return false;
        };
        plan.host.reap(now);
        if plan.stopped || now < plan.start {
            return false;
        }
        if plan.stop.is_some_and(|s| now >= s) {
            plan.stopped = true;
            for c in &mut plan.conns {
                if let Some(t) = c.greeted_at.take() {
                    add_seat(&mut self.stats, now - t);
                }
                if let Some(h) = c.handle.take() {
                    plan.host.machine.sockets.get_mut::<tcp::Socket>(h).abort();
                    plan.host.zombies.push((h, now + Duration::from_secs(1)));
                }
                c.reconnect_at = None;
            }
            return true;
        }
        let rng = &mut self.rng;
        let stats = &mut self.stats;
        let mut progress = false;
        match plan.kind.clone() {
            Attack::SynFlood { rate_per_sec, port } => {
                let n = flood(plan, now, rate_per_sec, &mut stats.frames, |_| {
                    let h = 1 + rng.below(1022) as u32;
                    let [a, b, c, _] = SPOOF_FIRST.octets();
                    let ip = Ipv4Address::new(a, b, c + (h >> 8) as u8, h as u8);
                    syn_frame(random_mac(rng), ip, rng, port)
                });
                stats.syns += n;
                progress |= n > 0;
            }
            Attack::HalfOpenNoArp { count, port } => {
                if !plan.fired {
                    plan.fired = true;
                    for i in 0..count {
                        let ip =
                            Ipv4Address::new(10, 0, 204 + (i / 250) as u8, 1 + (i % 250) as u8);
                        let frame = syn_frame(random_mac(rng), ip, rng, port);
                        inject(&mut plan.host.port, now, &frame);
                        stats.frames += 1;
                        stats.syns += 1;
                    }
                    progress = true;
                }
            }
            Attack::Garbage { rate_per_sec } => {
                let n = flood(plan, now, rate_per_sec, &mut stats.frames, |p| {
                    garbage_frame(rng, p.mac, p.ip)
                });
                stats.garbage += n;
                progress |= n > 0;
            }
            Attack::PingFlood { rate_per_sec } => {
                let n = flood(plan, now, rate_per_sec, &mut stats.frames, |p| {
                    let frame = echo_frame(p.mac, p.ip, p.echo_seq);
                    p.echo_seq = p.echo_seq.wrapping_add(1);
                    frame
                });
                stats.echo_requests += n;
                progress |= n > 0;
            }
            Attack::Rst { in_window } => {
                if plan.next_at <= now {
                    while plan.next_at <= now {
                        plan.next_at += INJECT_EVERY;
                    }
                    let offset: u32 = if in_window { 100 } else { 1 << 30 };
                    for f in self.flows.iter().filter(|f| f.established) {
                        let frame = forged_frame(f, TcpControl::Rst, f.next.wrapping_add(offset));
                        inject(&mut plan.host.port, now, &frame);
                        stats.frames += 1;
                        stats.rsts += 1;
                    }
                    progress = true;
                }
            }
            Attack::SynOnEstablished => {
                if plan.next_at <= now {
                    while plan.next_at <= now {
                        plan.next_at += INJECT_EVERY;
                    }
                    for f in self.flows.iter().filter(|f| f.established) {
                        let seq = rng.next_u64() as u32;
                        let frame = forged_frame(f, TcpControl::Syn, seq);
                        inject(&mut plan.host.port, now, &frame);
                        stats.frames += 1;
                        stats.syns_on_established += 1;
                    }
                    progress = true;
                }
            }
            Attack::SilentHolders { count, port }
            | Attack::Tricklers { count, port, .. }
            | Attack::FramePerMinute { count, port }
            | Attack::ZeroWindow { count, port } => {
                if !plan.fired {
                    plan.fired = true;
                    plan.conns = (0..count)
                        .map(|_| Conn {
                            handle: None,
                            reconnect_at: Some(now),
                            established_at: None,
                            greeted_at: None,
                            answered: false,
                            decoder: FrameDecoder::new(),
                            sent: 0,
                        })
                        .collect();
                    progress = true;
                }
                let holding = plan.kind.holding().unwrap_or(Holding::Silent);
                for c in &mut plan.conns {
                    progress |=
                        step_conn(c, &mut plan.host, holding, port, &plan.frame, now, stats);
                }
            }
        }
        progress
    }
}

impl Attack {
    /// Whether the plan injects on a schedule.
    fn is_periodic(&self) -> bool {
        matches!(
            self,
            Attack::SynFlood { .. }
                | Attack::Garbage { .. }
                | Attack::PingFlood { .. }
                | Attack::Rst { .. }
                | Attack::SynOnEstablished
        )
    }

    fn holding(&self) -> Option<Holding> {
        match *self {
            Attack::SilentHolders { .. } => Some(Holding::Silent),
            Attack::Tricklers { interval, .. } => Some(Holding::Trickle(Duration::from_micros(
                (interval.as_micros() as u64).max(1),
            ))),
            Attack::FramePerMinute { .. } => Some(Holding::FramePerMinute),
            Attack::ZeroWindow { .. } => Some(Holding::ZeroWindow),
            _ => None,
        }
    }
}

fn add_seat(stats: &mut AttackStats, held: Duration) {
    let held = std_duration(held);
    stats.seat_time_total += held;
    stats.seat_time_max = stats.seat_time_max.max(held);
}

/// When byte `k` of a holder's action stream (frames of `len` bytes) is
/// due, counting from the connection's establishment at `t0`.
fn byte_due(holding: Holding, t0: Instant, k: usize, len: usize) -> Option<Instant> {
    let k = k as u64;
    match holding {
        Holding::Silent => None,
        Holding::Trickle(every) => Some(t0 + Duration::from_micros(every.total_micros() * k)),
        Holding::FramePerMinute => {
            let len = len.max(1) as u64;
            Some(t0 + Duration::from_micros((k + 1) * FRAME_PERIOD.total_micros() / len))
        }
        Holding::ZeroWindow => (k < (ZERO_WINDOW_PIPELINE * len) as u64).then_some(t0),
    }
}

/// One pass of a holder connection.
fn step_conn(
    c: &mut Conn,
    host: &mut Host,
    holding: Holding,
    port: u16,
    frame: &[u8],
    now: Instant,
    stats: &mut AttackStats,
) -> bool {
    let Some(h) = c.handle else {
        if c.reconnect_at.is_some_and(|t| now >= t) {
            let rx = if holding == Holding::ZeroWindow {
                1
            } else {
                4096
            };
            if let Ok(handle) = host
                .machine
                .connect((IpAddress::Ipv4(BOARD_IP), port), rx, 1024)
            {
                c.handle = Some(handle);
                c.reconnect_at = None;
                c.established_at = None;
                c.greeted_at = None;
                c.answered = false;
                c.decoder = FrameDecoder::new();
                c.sent = 0;
                stats.connects += 1;
            } else {
                c.reconnect_at = Some(now + RECONNECT_DELAY);
            }
            return true;
        }
        return false;
    };
    let mut progress = false;
    let socket = host.machine.sockets.get_mut::<tcp::Socket>(h);
    let state = socket.state();
    let mut ended = matches!(state, tcp::State::Closed | tcp::State::TimeWait);
    if !ended && !matches!(state, tcp::State::SynSent | tcp::State::SynReceived) {
        if c.established_at.is_none() {
            c.established_at = Some(now);
            progress = true;
        }
        if holding != Holding::ZeroWindow {
            let mut buf = [0u8; 1024];
            while socket.can_recv() {
                let n = socket.recv_slice(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                progress = true;
                let mut rest = buf.get(..n).unwrap_or_default();
                while !rest.is_empty() {
                    let (used, got) = c.decoder.feed(rest);
                    rest = rest.get(used..).unwrap_or_default();
                    if let Ok(Some(payload)) = got {
                        if !c.answered {
                            c.answered = true;
                            let full = cuatro_kit::reply::decode_shown(codec_of(port), payload)
                                .is_ok_and(|s| s.error == Some(Error::ServerFull));
                            if full {
                                stats.refused += 1;
                            } else {
                                stats.seated += 1;
                                c.greeted_at = Some(now);
                            }
                        }
                    }
                    if used == 0 {
                        break;
                    }
                }
            }
            // The board closed its half and everything is read.
            ended |= !socket.may_recv() && socket.recv_queue() == 0;
        } else {
            ended |= !matches!(state, tcp::State::Established);
        }
        if let Some(t0) = c.established_at {
            while !ended && socket.can_send() {
                let Some(due) = byte_due(holding, t0, c.sent, frame.len()) else {
                    break;
                };
                if due > now {
                    break;
                }
                let Some(&byte) = frame.get(c.sent % frame.len().max(1)) else {
                    break;
                };
                if socket.send_slice(&[byte]).unwrap_or(0) == 0 {
                    break;
                }
                c.sent += 1;
                progress = true;
            }
        }
    }
    if ended {
        socket.abort();
        host.zombies.push((h, now + Duration::from_secs(1)));
        c.handle = None;
        if c.established_at.is_some() {
            stats.dropped += 1;
        }
        if let Some(t) = c.greeted_at.take() {
            add_seat(stats, now - t);
        }
        c.reconnect_at = Some(now + RECONNECT_DELAY);
        progress = true;
    }
    progress
}

/// Sends the frames of `plan`'s flood at `rate_per_sec` that are due by
/// `now` (at most [`BURST_MAX`] a pass), each made by `make`, moving its
/// `next_at` on and counting them in `frames`; returns how many went.
fn flood(
    plan: &mut Plan,
    now: Instant,
    rate_per_sec: u32,
    frames: &mut u64,
    mut make: impl FnMut(&mut Plan) -> Vec<u8>,
) -> u64 {
    let every = interval(rate_per_sec);
    let mut n = 0;
    while plan.next_at <= now && n < BURST_MAX as u64 {
        let frame = make(plan);
        inject(&mut plan.host.port, now, &frame);
        plan.next_at += every;
        n += 1;
    }
    *frames += n;
    n
}

fn interval(rate_per_sec: u32) -> Duration {
    Duration::from_micros((1_000_000 / u64::from(rate_per_sec.max(1))).max(1))
}

/// A random unicast, locally administered MAC.
fn random_mac(rng: &mut SplitMix64) -> EthernetAddress {
    let r = rng.next_u64().to_le_bytes();
    EthernetAddress([(r[0] & 0xfc) | 0x02, r[1], r[2], r[3], r[4], r[5]])
}

/// Puts `frame` on the attacker's cable.
fn inject(port: &mut Port, now: Instant, frame: &[u8]) {
    if let Some(tx) = port.transmit(now) {
        phy::TxToken::consume(tx, frame.len(), |b| b.copy_from_slice(frame));
    }
}

/// An Ethernet/IPv4 frame to the board from `src_mac` / `src_ip`, carrying
/// `payload_len` bytes of `protocol` that `emit` writes (checksums correct).
fn ipv4_frame(
    src_mac: EthernetAddress,
    src_ip: Ipv4Address,
    protocol: IpProtocol,
    payload_len: usize,
    emit: impl FnOnce(&mut [u8], &ChecksumCapabilities),
) -> Vec<u8> {
    let ip_repr = Ipv4Repr {
        src_addr: src_ip,
        dst_addr: BOARD_IP,
        next_header: protocol,
        payload_len,
        hop_limit: 64,
    };
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; 14 + ip_repr.buffer_len() + payload_len];
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
    EthernetRepr {
        src_addr: src_mac,
        dst_addr: BOARD_MAC,
        ethertype: EthernetProtocol::Ipv4,
    }
    .emit(&mut eth);
    let mut ip = Ipv4Packet::new_unchecked(eth.payload_mut());
    ip_repr.emit(&mut ip, &caps);
    emit(ip.payload_mut(), &caps);
    buf
}

/// An Ethernet/IPv4/TCP frame to the board, checksums correct.
fn tcp_frame(src_mac: EthernetAddress, src_ip: Ipv4Address, repr: &TcpRepr<'_>) -> Vec<u8> {
    ipv4_frame(
        src_mac,
        src_ip,
        IpProtocol::Tcp,
        repr.buffer_len(),
        |payload, caps| {
            repr.emit(
                &mut TcpPacket::new_unchecked(payload),
                &IpAddress::Ipv4(src_ip),
                &IpAddress::Ipv4(BOARD_IP),
                caps,
            );
        },
    )
}

fn tcp_repr(src_port: u16, dst_port: u16, control: TcpControl, seq: u32) -> TcpRepr<'static> {
    TcpRepr {
        src_port,
        dst_port,
        control,
        seq_number: TcpSeqNumber(seq as i32),
        ack_number: None,
        window_len: if control == TcpControl::Syn { 64240 } else { 0 },
        window_scale: None,
        max_seg_size: (control == TcpControl::Syn).then_some(1460),
        sack_permitted: false,
        sack_ranges: [None; 3],
        timestamp: None,
        payload: &[],
    }
}

/// A spoofed SYN to `port`.
fn syn_frame(mac: EthernetAddress, ip: Ipv4Address, rng: &mut SplitMix64, port: u16) -> Vec<u8> {
    let src_port = 1024 + rng.below(60_000) as u16;
    let seq = rng.next_u64() as u32;
    tcp_frame(mac, ip, &tcp_repr(src_port, port, TcpControl::Syn, seq))
}

/// A segment forged on a client's connection.
fn forged_frame(f: &Flow, control: TcpControl, seq: u32) -> Vec<u8> {
    tcp_frame(f.mac, f.ip, &tcp_repr(f.port, f.board_port, control, seq))
}

/// An ICMP echo request to the board.
fn echo_frame(mac: EthernetAddress, ip: Ipv4Address, seq_no: u16) -> Vec<u8> {
    let data = [0x61u8; 32];
    let icmp = Icmpv4Repr::EchoRequest {
        ident: 0x6375,
        seq_no,
        data: &data,
    };
    ipv4_frame(
        mac,
        ip,
        IpProtocol::Icmp,
        icmp.buffer_len(),
        |payload, caps| {
            icmp.emit(&mut Icmpv4Packet::new_unchecked(payload), caps);
        },
    )
}

/// One garbage frame to the board's MAC from `mac`/`ip`.
fn garbage_frame(rng: &mut SplitMix64, mac: EthernetAddress, ip: Ipv4Address) -> Vec<u8> {
    let random = |n: usize, rng: &mut SplitMix64| -> Vec<u8> {
        (0..n).map(|_| rng.next_u64() as u8).collect()
    };
    let header = |ethertype: u16| {
        let mut f = Vec::with_capacity(64);
        f.extend_from_slice(&BOARD_MAC.0);
        f.extend_from_slice(&mac.0);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f
    };
    // A valid segment to a game port (the base of the checksum errors).
    let valid = |rng: &mut SplitMix64| {
        let port = GAME_PORT + rng.below(2) as u16;
        let src_port = 1024 + rng.below(60_000) as u16;
        let control = [TcpControl::Syn, TcpControl::None, TcpControl::Rst][rng.below(3) as usize];
        let mut repr = tcp_repr(src_port, port, control, rng.next_u64() as u32);
        if control == TcpControl::None {
            repr.ack_number = Some(TcpSeqNumber(rng.next_u64() as i32));
        }
        tcp_frame(mac, ip, &repr)
    };
    match rng.below(8) {
        // Random bytes, random EtherType (IPv4, ARP, IPv6, anything).
        0 => {
            let ethertype = [0x0800, 0x0806, 0x86dd, rng.next_u64() as u16][rng.below(4) as usize];
            let n = rng.below(200) as usize;
            let mut f = header(ethertype);
            f.extend(random(n, rng));
            f
        }
        // Bad IPv4 header checksum.
        1 => {
            let mut f = valid(rng);
            if let Some(b) = f.get_mut(14 + 10) {
                *b ^= 0x5a;
            }
            f
        }
        // Bad TCP checksum.
        2 => {
            let mut f = valid(rng);
            if let Some(b) = f.get_mut(14 + 20 + 16) {
                *b ^= 0xa5;
            }
            f
        }
        // Truncated IPv4 header.
        3 => {
            let n = 1 + rng.below(19) as usize;
            let mut f = valid(rng);
            f.truncate(14 + n);
            f
        }
        // Truncated TCP header (the IPv4 length says more).
        4 => {
            let n = rng.below(20) as usize;
            let mut f = valid(rng);
            f.truncate(14 + 20 + n);
            f
        }
        // Truncated or random ARP.
        5 => {
            let n = rng.below(28) as usize;
            let mut f = header(0x0806);
            f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
            f.extend(random(20, rng));
            f.truncate(14 + n);
            f
        }
        // IPv4 with a bad header length or version (checksum recomputed).
        6 => {
            let mut f = valid(rng);
            if let Some(b) = f.get_mut(14) {
                *b = [0x41, 0x44, 0x4f, 0x65, 0x6f][rng.below(5) as usize];
            }
            if let Some(ipb) = f.get_mut(14..) {
                let len = ipb.len();
                let mut p = Ipv4Packet::new_unchecked(ipb);
                p.set_checksum(0);
                // fill_checksum reads header_len bytes: keep it in bounds.
                if (20..=len).contains(&usize::from(p.header_len())) {
                    p.fill_checksum();
                }
            }
            f
        }
        // A valid IPv4 header, an unknown protocol, random payload.
        _ => {
            let n = rng.below(100) as usize;
            let payload = random(n, rng);
            let ip_repr = Ipv4Repr {
                src_addr: ip,
                dst_addr: BOARD_IP,
                next_header: IpProtocol::Unknown(143 + rng.below(100) as u8),
                payload_len: payload.len(),
                hop_limit: 64,
            };
            let mut f = header(0x0800);
            f.resize(14 + 20, 0);
            if let Some(ipb) = f.get_mut(14..) {
                let mut p = Ipv4Packet::new_unchecked(ipb);
                ip_repr.emit(&mut p, &ChecksumCapabilities::default());
            }
            f.extend(payload);
            f
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoltcp::wire::Ipv4Repr;

    /// Parses an Ethernet/IPv4/TCP frame to the board, checksums verified.
    fn parse_tcp(frame: &[u8]) -> Option<(Ipv4Address, u16, u16, TcpControl, u32)> {
        let caps = ChecksumCapabilities::default();
        let eth = EthernetFrame::new_checked(frame).ok()?;
        let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
        let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
        let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
        let repr = TcpRepr::parse(
            &tcp,
            &IpAddress::Ipv4(ip_repr.src_addr),
            &IpAddress::Ipv4(ip_repr.dst_addr),
            &caps,
        )
        .ok()?;
        Some((
            ip_repr.src_addr,
            repr.src_port,
            repr.dst_port,
            repr.control,
            repr.seq_number.0 as u32,
        ))
    }

    #[test]
    fn spoofed_syns_have_valid_checksums_and_spoofed_sources() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..100 {
            let mac = random_mac(&mut rng);
            assert!(mac.is_unicast());
            let ip = Ipv4Address::new(10, 0, 201, 7);
            let f = syn_frame(mac, ip, &mut rng, GAME_PORT);
            let (src, _, dst_port, control, _) = parse_tcp(&f).unwrap_or_else(|| panic!("bad"));
            assert_eq!((src, dst_port, control), (ip, GAME_PORT, TcpControl::Syn));
            assert_eq!(f.get(..6), Some(&BOARD_MAC.0[..]));
        }
    }

    #[test]
    fn forged_rst_carries_the_flow_and_sequence_number() {
        let flow = Flow {
            mac: EthernetAddress([0x02, 0, 0, 1, 0, 1]),
            ip: Ipv4Address::new(10, 0, 1, 1),
            port: 49152,
            board_port: GAME_PORT,
            next: u32::MAX - 10,
            established: true,
        };
        let f = forged_frame(&flow, TcpControl::Rst, flow.next.wrapping_add(100));
        let parsed = parse_tcp(&f).unwrap_or_else(|| panic!("bad"));
        assert_eq!(parsed, (flow.ip, 49152, GAME_PORT, TcpControl::Rst, 89));
        assert_eq!(f.get(6..12), Some(&flow.mac.0[..]));
    }

    #[test]
    fn echo_requests_parse() {
        let f = echo_frame(attacker_mac(0), attacker_ip(0), 5);
        let caps = ChecksumCapabilities::default();
        let eth = EthernetFrame::new_checked(&f[..]).unwrap_or_else(|e| panic!("{e}"));
        let ip = Ipv4Packet::new_checked(eth.payload()).unwrap_or_else(|e| panic!("{e}"));
        let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap_or_else(|e| panic!("{e}"));
        let repr = Icmpv4Repr::parse(&icmp, &caps).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(repr, Icmpv4Repr::EchoRequest { seq_no: 5, .. }));
    }

    /// Garbage never makes a valid TCP segment, and building it never
    /// panics.
    #[test]
    fn garbage_is_never_a_valid_segment() {
        let mut rng = SplitMix64::new(9);
        for _ in 0..20_000 {
            let f = garbage_frame(&mut rng, attacker_mac(0), attacker_ip(0));
            assert!(f.len() >= 14);
            assert!(parse_tcp(&f).is_none(), "valid garbage: {f:02x?}");
        }
    }

    #[test]
    fn holder_schedules() {
        let t0 = Instant::from_secs(10);
        let trickle = Holding::Trickle(Duration::from_secs(5));
        assert_eq!(byte_due(trickle, t0, 0, 29), Some(t0));
        assert_eq!(
            byte_due(trickle, t0, 3, 29),
            Some(t0 + Duration::from_secs(15))
        );
        // One frame a minute: the last byte of frame j lands at (j+1) min.
        let fpm = Holding::FramePerMinute;
        assert_eq!(
            byte_due(fpm, t0, 28, 29),
            Some(t0 + Duration::from_secs(60))
        );
        assert_eq!(
            byte_due(fpm, t0, 57, 29),
            Some(t0 + Duration::from_secs(120))
        );
        assert_eq!(byte_due(Holding::Silent, t0, 0, 29), None);
        let zw = Holding::ZeroWindow;
        assert_eq!(byte_due(zw, t0, 8 * 29 - 1, 29), Some(t0));
        assert_eq!(byte_due(zw, t0, 8 * 29, 29), None);
        assert_eq!(new_game_frame(Codec::Classic).len(), 29);
    }
}
