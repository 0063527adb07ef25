//! Deterministic network simulation: the board and many game clients on a
//! simulated Ethernet switch, in virtual time.
//!
//! - The *board* is the unchanged `cuatro-core` [`Server`] over a
//!   caller-chosen [`Budget`] (sessions, sockets and socket buffers as
//!   const generics), behind an [`Impaired`] NIC and an optional [`Pcap`]
//!   capture.
//! - *Hosts* are smoltcp interfaces, each with its own MAC and IP, plugged
//!   into the same switch; each carries some of the *clients*: one TCP
//!   socket apiece, speaking the real protocol through `cuatro_proto`
//!   (frame decoder of capacity `CAP`, classic or compact codecs) and
//!   checking every reply with the independent [`Referee`].
//! - Time is virtual: the loop runs everything due at the current instant
//!   until nothing moves, then jumps to the earliest deadline (smoltcp's
//!   `poll_at`s, the link's delayed frames, client back-offs). No wall
//!   clock, no threads, no hash maps: the same [`NetConfig`] gives the same
//!   packet trace, byte for byte.
//!
//! ```
//! use sim::netsim::{run_default, NetConfig};
//! let report = run_default(&NetConfig { clients: 2, ..Default::default() }).unwrap();
//! assert_eq!(report.completed, 2);
//! ```
//!
//! Attackers ([`crate::attack`]) share the switch with the clients: spoofed
//! SYN floods, connections that hold sessions, injected resets, garbage and
//! pings, each from a start time to an optional stop time
//! ([`NetConfig::attacks`]). The clients can think between actions
//! ([`NetConfig::think`]) and arrive late ([`NetConfig::start_times`]), so a
//! game spans an attack; [`Report`] carries each client's time to a game and
//! reply latencies.
//!
//! ```
//! use sim::attack::{Attack, AttackPlan};
//! use sim::netsim::{run_default, NetConfig};
//! use std::time::Duration;
//! let report = run_default(&NetConfig {
//!     clients: 2,
//!     think: Duration::from_millis(200),
//!     start_times: vec![Duration::ZERO, Duration::from_secs(1)],
//!     attacks: vec![AttackPlan::new(
//!         Attack::Garbage { rate_per_sec: 100 },
//!         Duration::from_millis(500),
//!         Some(Duration::from_secs(2)),
//!     )],
//!     ..Default::default()
//! })
//! .unwrap();
//! assert_eq!(report.completed, 2);
//! assert!(report.attack.garbage > 100);
//! ```

use crate::attack::{AttackPlan, AttackStats, Attackers};
use crate::impair::{Impaired, Impairments, LaneStats, SplitMix64};
use crate::link::{self, Port};
use crate::memory::{Budget, HostMemory};
use crate::pcap::Pcap;
use cuatro_core::{Server, Stats};
use cuatro_kit::link::Machine;
use cuatro_kit::Referee;
use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{Action, Codec, Error, Estado, MAX_FRAME};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::{self, Device};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, Icmpv4Message, Icmpv4Packet, IpAddress,
    IpCidr, IpProtocol, Ipv4Address, Ipv4Packet,
};
use std::collections::VecDeque;

/// The board's address on the simulated network.
pub const BOARD_IP: Ipv4Address = crate::board::NETSIM_IP.address();
/// The board's MAC address.
pub const BOARD_MAC: EthernetAddress = crate::board::BOARD_MAC;
/// Prefix length of the simulated network.
pub const PREFIX: u8 = crate::board::NETSIM_IP.prefix_len();
/// The board's classic game port (compact is the next one).
pub const GAME_PORT: u16 = crate::board::BOARD_PORTS[0];
/// Capture timestamps start here (2025-01-01T00:00:00Z), not in 1970.
pub const CAPTURE_EPOCH_MICROS: i64 = 1_735_689_600_000_000;
/// A client refused (no listening socket, or "server full") retries this
/// many times, backing off 100 ms more each time.
pub const MAX_RETRIES: u32 = 50;
/// A finished client's socket is dropped after this long even if its close
/// handshake has not completed.
const CLIENT_LINGER: Duration = Duration::from_secs(30);
/// A client established but not greeted gives up on the greeting after
/// this long, if the board has dropped a connection as half-open since it
/// connected (the board's reset may be lost too; `cuatro play` and `cuatro
/// bench` have read timeouts for the same reason), and connects again.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);
/// The local ports a client machine's connections take in turn.
const CLIENT_PORTS: std::ops::RangeInclusive<u16> = 49152..=65000;
/// Rounds at one instant before the loop declares a livelock.
const SETTLE_LIMIT: usize = 100_000;

/// Which encoding the clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codecs {
    /// Every client speaks classic JSON (port 8080).
    Classic,
    /// Every client speaks compact (port 8081).
    Compact,
    /// Even clients classic, odd clients compact.
    Alternate,
}

/// A simulation: the network, the clients and what they play.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Seeds the board's CPU, the interfaces, the clients' moves (and, when
    /// `impair.seed` is left at its default, the link's fates).
    pub seed: u64,
    /// Impairments of the board's link, both directions.
    pub impair: Impairments,
    /// Clients in total; each connects, plays one game and leaves.
    pub clients: usize,
    /// At most this many clients connected at once (0: all of them).
    pub concurrency: usize,
    /// Client machines (smoltcp interfaces) on the switch; clients are
    /// spread over them round-robin. Keep it at most 8 (smoltcp's default
    /// neighbor cache) to avoid ARP churn on the board.
    pub hosts: usize,
    /// Encodings spoken.
    pub codecs: Codecs,
    /// Leave after this many moves even if the game is not over.
    pub max_moves: Option<usize>,
    /// Pipeline a refused move (column out of range) before about one move
    /// in four: two actions in one write, two replies in order.
    pub pipeline: bool,
    /// End with `\salir` (true) or by closing the connection after the game.
    pub quit: bool,
    /// Each client socket's receive buffer (its TCP window), bytes.
    pub client_rx_buffer: usize,
    /// Each client socket's transmit buffer, bytes.
    pub client_tx_buffer: usize,
    /// The board's session idle timeout.
    pub idle_timeout: std::time::Duration,
    /// Record the board's link traffic as a pcap (in [`Report::capture`]).
    pub capture: bool,
    /// Give up when virtual time passes this.
    pub time_limit: std::time::Duration,
    /// Give up after this many loop steps (instants).
    pub step_limit: u64,
    /// Each client waits this long after every reply before its next
    /// action (`\juego_nuevo`, a move, `\salir`), so a game can span an
    /// attack. Zero: at once.
    pub think: std::time::Duration,
    /// Client `i` makes its first connection attempt no earlier than
    /// `start_times[i]` (missing entries: at once). Clients still start in
    /// order (and at most [`NetConfig::concurrency`] at a time), so keep the
    /// times nondecreasing.
    pub start_times: Vec<std::time::Duration>,
    /// Attackers on the switch ([`crate::attack`]); none by default.
    pub attacks: Vec<AttackPlan>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            seed: 1,
            impair: Impairments::default(),
            clients: 1,
            concurrency: 0,
            hosts: 1,
            codecs: Codecs::Alternate,
            max_moves: None,
            pipeline: true,
            quit: true,
            client_rx_buffer: 4096,
            client_tx_buffer: 1024,
            idle_timeout: std::time::Duration::from_secs(600),
            capture: false,
            time_limit: std::time::Duration::from_secs(24 * 3600),
            step_limit: 50_000_000,
            think: std::time::Duration::ZERO,
            start_times: Vec::new(),
            attacks: Vec::new(),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Clients that finished their conversation, every reply checked.
    pub completed: usize,
    /// Each client's game result (`None`: left before the game ended).
    pub results: Vec<Option<Estado>>,
    /// Replies checked by the referees.
    pub replies: u64,
    /// Moves played (refused ones included).
    pub moves: u64,
    /// Connection attempts refused and retried (no listener, "server
    /// full", or reset before the greeting).
    pub retries: u64,
    /// Under attack ([`NetConfig::attacks`] not empty): connections reset
    /// after the handshake but before the greeting, retried like refused
    /// ones (counted in [`Report::retries`] too). Without attackers such a
    /// reset fails the simulation.
    pub reset_before_greeting: u64,
    /// Virtual time at the end.
    pub virtual_time: std::time::Duration,
    /// Wall time the simulation took.
    pub wall_time: std::time::Duration,
    /// Loop steps (distinct instants).
    pub steps: u64,
    /// Frames the switch forwarded.
    pub frames: u64,
    /// The board link, board → network.
    pub board_tx: LaneStats,
    /// The board link, network → board.
    pub board_rx: LaneStats,
    /// The server's counters.
    pub server: Stats,
    /// The pcap of the board's link, when [`NetConfig::capture`] is set.
    pub capture: Option<Vec<u8>>,
    /// Per client: from its first connection attempt to its first greeting
    /// that is not "server full" (`None`: not greeted yet).
    pub time_to_game: Vec<Option<std::time::Duration>>,
    /// Per client: each action's reply latency, from the action being
    /// queued to its reply being complete (every connection of the client).
    pub latencies: Vec<Vec<std::time::Duration>>,
    /// ICMP echo replies the board sent (seen at the switch).
    pub echo_replies: u64,
    /// What the attackers did and saw.
    pub attack: AttackStats,
}

impl Report {
    /// The longest time to a game over every client; `None` if some
    /// client was never greeted.
    pub fn max_time_to_game(&self) -> Option<std::time::Duration> {
        self.time_to_game
            .iter()
            .try_fold(std::time::Duration::ZERO, |m, t| t.map(|t| m.max(t)))
    }

    /// The `p`-th percentile (0 < p <= 100, nearest rank) of every reply
    /// latency of every client; `None` if there was none.
    pub fn latency_percentile(&self, p: f64) -> Option<std::time::Duration> {
        let mut all: Vec<std::time::Duration> = self.latencies.iter().flatten().copied().collect();
        if all.is_empty() {
            return None;
        }
        all.sort_unstable();
        let rank = ((p / 100.0) * all.len() as f64).ceil() as usize;
        all.get(rank.clamp(1, all.len()) - 1).copied()
    }
}

/// Runs a simulation on a board with the firmware's memory
/// ([`Budget::MCU`]) and clients whose frame decoders hold `MAX_FRAME`
/// bytes.
pub fn run_default(cfg: &NetConfig) -> Result<Report, String> {
    Netsim::<MAX_FRAME>::run(cfg, &Budget::MCU)
}

/// Like [`run_default`], but the report comes back even when the
/// simulation fails (with what happened up to the failure).
pub fn run_default_with_report(cfg: &NetConfig) -> (Report, Result<(), String>) {
    Netsim::<MAX_FRAME>::run_with_report(cfg, &Budget::MCU)
}

/// The simulation, with clients whose frame decoders hold `CAP` payload
/// bytes (at least the largest reply: `cuatro_proto::classic::MAX_REPLY_PAYLOAD`
/// for classic clients).
pub struct Netsim<const CAP: usize = MAX_FRAME>;

impl<const CAP: usize> Netsim<CAP> {
    /// Runs a simulation on a board with `budget`'s memory (sessions,
    /// sockets, socket buffers). Errors describe the first violation (a
    /// referee's finding, a reset, a livelock, a time limit), or a budget
    /// the server cannot run on.
    ///
    /// ```
    /// use sim::netsim::{NetConfig, Netsim};
    /// use sim::Budget;
    /// // 1 session, 3 sockets, 64-byte receive and 604-byte transmit
    /// // buffers: the smallest that carries a classic reply.
    /// let budget = Budget { sessions: 1, sockets: 3, rx_buffer: 64, tx_buffer: 604, ..Budget::MCU };
    /// let cfg = NetConfig { clients: 2, concurrency: 1, ..Default::default() };
    /// let report = Netsim::<600>::run(&cfg, &budget).unwrap();
    /// assert_eq!(report.completed, 2);
    /// ```
    pub fn run(cfg: &NetConfig, budget: &Budget) -> Result<Report, String> {
        let (report, res) = Self::run_with_report(cfg, budget);
        res.map(|()| report)
    }

    /// Like [`Netsim::run`], but the report comes back even when the
    /// simulation fails (with what happened up to the failure).
    pub fn run_with_report(cfg: &NetConfig, budget: &Budget) -> (Report, Result<(), String>) {
        let wall = std::time::Instant::now();
        let mut net = Net::<CAP>::new(cfg);
        let settings = crate::BoardSettings {
            mac: crate::board::BOARD_MAC,
            ip: crate::board::NETSIM_IP,
            gateway: None,
            port_base: GAME_PORT,
            seed: cfg.seed,
            idle_timeout: cfg.idle_timeout,
            cpu_level: cuatro_proto::Level::Aleatorio,
            mdns_name: "cuatro",
        };
        let mut memory = HostMemory::new(budget);
        let storage = cuatro_core::upload::NoStorage;
        let mut board = match settings.build(&mut net.board_dev, &mut memory, net.now, storage) {
            Ok(board) => board,
            Err(e) => return (Report::default(), Err(format!("board memory: {e}"))),
        };
        let res = net.run(&mut board);
        let mut report = std::mem::take(&mut net.report);
        report.server = board.stats();
        report.wall_time = wall.elapsed();
        report.virtual_time = std::time::Duration::from_micros(net.now.total_micros() as u64);
        report.board_tx = net.board_dev.inner().tx_stats();
        report.board_rx = net.board_dev.inner().rx_stats();
        report.capture = net.board_dev.take_sink();
        report.attack = net.attackers.stats(net.now);
        let res = match res {
            Ok(()) => Ok(()),
            // Keep the evidence: the capture up to the failure.
            Err(e) => match &report.capture {
                Some(bytes) => {
                    let path = std::env::temp_dir().join(format!(
                        "cuatro-netsim-seed{}-{}.pcap",
                        cfg.seed,
                        std::process::id()
                    ));
                    match std::fs::write(&path, bytes) {
                        Ok(()) => Err(format!("{e}\n  capture: {}", path.display())),
                        Err(_) => Err(e),
                    }
                }
                None => Err(e),
            },
        };
        (report, res)
    }
}

/// One client machine (clients' or an attacker's).
pub(crate) struct Host {
    /// Its interface and sockets.
    pub(crate) machine: Machine,
    /// Its end of the cable to the switch.
    pub(crate) port: Port,
    /// Finished clients' sockets, dropped once closed or at the deadline.
    pub(crate) zombies: Vec<(SocketHandle, Instant)>,
}

impl Host {
    /// A machine with address `ip` (in the simulated /16) and `mac`, and
    /// the switch end of its cable.
    pub(crate) fn new(
        mac: EthernetAddress,
        ip: Ipv4Address,
        seed: u64,
        now: Instant,
    ) -> (Host, Port) {
        let (mut host_end, switch_end) = link::pair();
        let machine = Machine::new(
            &mut host_end,
            mac,
            IpCidr::new(ip.into(), PREFIX),
            seed,
            now,
        )
        .with_ports(CLIENT_PORTS);
        let host = Host {
            machine,
            port: host_end,
            zombies: Vec::new(),
        };
        (host, switch_end)
    }

    /// Drops the finished sockets that are closed or past their deadline.
    pub(crate) fn reap(&mut self, now: Instant) {
        let sockets = &mut self.machine.sockets;
        self.zombies.retain(|&(h, deadline)| {
            let s = sockets.get_mut::<tcp::Socket>(h);
            let gone = matches!(s.state(), tcp::State::Closed | tcp::State::TimeWait);
            if gone || now >= deadline {
                sockets.remove(h);
                false
            } else {
                true
            }
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Playing,
    /// Refused: reconnect at this time.
    Backoff(Instant),
    /// The conversation is over; waiting for the board's close until the
    /// deadline (a lost FIN and a lost reset must not hang the simulation).
    Closing(Instant),
    Done,
}

struct Client<const CAP: usize> {
    id: usize,
    host: usize,
    codec: Codec,
    handle: Option<SocketHandle>,
    decoder: FrameDecoder<CAP>,
    referee: Referee,
    rng: SplitMix64,
    outbox: Vec<u8>,
    moves: usize,
    phase: Phase,
    retries: u32,
    /// When the client first tried to connect.
    first_attempt: Option<Instant>,
    /// The board's `half_open_dropped` when this connection was opened.
    half_open_at_connect: u32,
    /// When the greeting is given up on ([`GREETING_TIMEOUT`]).
    greeting_by: Instant,
    /// The next action waits until then ([`NetConfig::think`]).
    ready_at: Instant,
    /// When each action awaiting its reply was queued.
    sent_at: VecDeque<Instant>,
}

struct Net<const CAP: usize> {
    cfg: NetConfig,
    now: Instant,
    board_dev: Pcap<Impaired<Port>, Vec<u8>>,
    /// Switch ports: index 0 faces the board, `1 + h` host `h`.
    switch: Vec<(EthernetAddress, Port)>,
    hosts: Vec<Host>,
    clients: Vec<Client<CAP>>,
    active: Vec<usize>,
    report: Report,
    attackers: Attackers,
}

fn host_mac(h: usize) -> EthernetAddress {
    let h = h as u32 + 1;
    EthernetAddress([0x02, 0, 0, 1, (h >> 8) as u8, h as u8])
}

fn host_ip(h: usize) -> Ipv4Address {
    Ipv4Address::new(10, 0, 1 + (h / 250) as u8, 1 + (h % 250) as u8)
}

impl<const CAP: usize> Net<CAP> {
    fn new(cfg: &NetConfig) -> Self {
        let cfg = cfg.clone();
        let mut impair = cfg.impair.clone();
        if impair.seed == Impairments::default().seed {
            impair.seed = cfg.seed;
        }
        let now = Instant::ZERO;
        let mut seeds = SplitMix64::new(cfg.seed ^ 0x6e65_7473_696d);
        let (board_end, switch_end) = link::pair();
        let capture = cfg.capture.then(Vec::new);
        let board_dev = Pcap::new(
            Impaired::new(board_end, impair),
            capture,
            CAPTURE_EPOCH_MICROS,
            false,
        );
        let mut switch = vec![(BOARD_MAC, switch_end)];
        let mut hosts = Vec::new();
        for h in 0..cfg.hosts.max(1) {
            let mac = host_mac(h);
            let (host, switch_end) = Host::new(mac, host_ip(h), seeds.next_u64(), now);
            switch.push((mac, switch_end));
            hosts.push(host);
        }
        let clients = (0..cfg.clients)
            .map(|id| {
                let codec = match cfg.codecs {
                    Codecs::Classic => Codec::Classic,
                    Codecs::Compact => Codec::Compact,
                    Codecs::Alternate if id % 2 == 0 => Codec::Classic,
                    Codecs::Alternate => Codec::Compact,
                };
                Client {
                    id,
                    host: id % hosts.len(),
                    codec,
                    handle: None,
                    decoder: FrameDecoder::new(),
                    referee: Referee::new(codec),
                    rng: SplitMix64::new(seeds.next_u64()),
                    outbox: Vec::new(),
                    moves: 0,
                    phase: Phase::Connecting,
                    retries: 0,
                    first_attempt: None,
                    half_open_at_connect: 0,
                    greeting_by: Instant::ZERO,
                    ready_at: now,
                    sent_at: VecDeque::new(),
                }
            })
            .collect();
        let report = Report {
            results: vec![None; cfg.clients],
            time_to_game: vec![None; cfg.clients],
            latencies: vec![Vec::new(); cfg.clients],
            ..Default::default()
        };
        // Their own generator: without attacks, nothing above changes.
        let attackers = Attackers::new(&cfg.attacks, cfg.seed, now, &mut switch);
        Net {
            cfg,
            now,
            board_dev,
            switch,
            hosts,
            clients,
            active: Vec::new(),
            report,
            attackers,
        }
    }

    /// When client `i` may first connect.
    fn start_time(&self, i: usize) -> Instant {
        self.cfg.start_times.get(i).map_or(Instant::ZERO, |t| {
            Instant::from_micros(t.as_micros() as i64)
        })
    }

    fn run(&mut self, board: &mut Server<'_>) -> Result<(), String> {
        let concurrency = if self.cfg.concurrency == 0 {
            self.cfg.clients
        } else {
            self.cfg.concurrency
        };
        let mut next_client = 0;
        let time_limit = Instant::from_micros(self.cfg.time_limit.as_micros() as i64);
        loop {
            self.report.steps += 1;
            // Settle: run everything due now until nothing moves.
            let mut board_delay = None;
            let mut settled = false;
            for _ in 0..SETTLE_LIMIT {
                let mut progress = false;
                while self.active.len() < concurrency
                    && next_client < self.clients.len()
                    && self.now >= self.start_time(next_client)
                {
                    self.connect(next_client)?;
                    self.active.push(next_client);
                    next_client += 1;
                    progress = true;
                }
                progress |= self.step_clients()?;
                progress |= self.attackers.step(self.now);
                for host in &mut self.hosts {
                    progress |= host.machine.poll(self.now, &mut host.port);
                }
                progress |= self.attackers.poll(self.now);
                progress |= self.forward();
                board_delay = board.poll(self.now, &mut self.board_dev);
                // What a client may learn of the board (its counters); a
                // change is progress (a client may act on it, even when the
                // reset the board sent with it was lost).
                let dropped = board.stats().half_open_dropped;
                progress |= dropped != self.report.server.half_open_dropped;
                self.report.server.half_open_dropped = dropped;
                progress |= self.board_dev.inner_mut().flush(self.now);
                progress |= self.forward();
                if !progress {
                    settled = true;
                    break;
                }
            }
            if !settled {
                return Err(format!("livelock at {}", self.now));
            }
            if self.active.is_empty() && next_client >= self.clients.len() {
                return Ok(());
            }
            if self.report.steps >= self.cfg.step_limit || self.now >= time_limit {
                return Err(format!(
                    "gave up at {} after {} steps: {}",
                    self.now,
                    self.report.steps,
                    self.stuck()
                ));
            }
            // Jump to the earliest deadline.
            let mut next: Option<Instant> = None;
            let mut fold = |t: Option<Instant>| {
                if let Some(t) = t {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            };
            fold(board_delay.map(|d| self.now + d));
            fold(self.board_dev.inner().poll_at());
            for host in &mut self.hosts {
                fold(host.machine.poll_at(self.now));
                fold(host.zombies.iter().map(|z| z.1).min());
            }
            for &i in &self.active {
                let c = &self.clients[i];
                if let Phase::Backoff(t) | Phase::Closing(t) = c.phase {
                    fold(Some(t));
                }
                if c.phase == Phase::Playing && c.ready_at > self.now {
                    fold(Some(c.ready_at));
                }
                if c.phase == Phase::Playing && c.referee.replies() == 0 && c.greeting_by > self.now
                {
                    fold(Some(c.greeting_by));
                }
            }
            if self.active.len() < concurrency && next_client < self.clients.len() {
                let t = self.start_time(next_client);
                if t > self.now {
                    fold(Some(t));
                }
            }
            fold(self.attackers.poll_at(self.now));
            let Some(next) = next else {
                return Err(format!("deadlock at {}: {}", self.now, self.stuck()));
            };
            // Always advance, if only by a microsecond.
            self.now = next.max(self.now + Duration::from_micros(1));
        }
    }

    /// A description of the clients still playing.
    fn stuck(&self) -> String {
        let list: Vec<String> = self
            .active
            .iter()
            .take(8)
            .map(|&i| {
                let c = &self.clients[i];
                let state = c
                    .handle
                    .map(|h| {
                        format!(
                            "{}",
                            self.hosts[c.host]
                                .machine
                                .sockets
                                .get::<tcp::Socket>(h)
                                .state()
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "client {} {:?} tcp={state} replies={} owed={}",
                    c.id,
                    c.phase,
                    c.referee.replies(),
                    c.referee.outstanding()
                )
            })
            .collect();
        format!("{} clients active [{}]", self.active.len(), list.join("; "))
    }

    /// Opens client `i`'s connection.
    fn connect(&mut self, i: usize) -> Result<(), String> {
        let c = &mut self.clients[i];
        let host = &mut self.hosts[c.host];
        c.first_attempt.get_or_insert(self.now);
        c.half_open_at_connect = self.report.server.half_open_dropped;
        let port = match c.codec {
            Codec::Classic => GAME_PORT,
            Codec::Compact => GAME_PORT + 1,
        };
        let handle = host
            .machine
            .connect(
                (IpAddress::Ipv4(BOARD_IP), port),
                self.cfg.client_rx_buffer,
                self.cfg.client_tx_buffer,
            )
            .map_err(|e| format!("client {}: connect: {e}", c.id))?;
        c.handle = Some(handle);
        c.phase = Phase::Connecting;
        c.decoder = FrameDecoder::new();
        c.referee = Referee::new(c.codec);
        c.outbox.clear();
        c.moves = 0;
        c.sent_at.clear();
        c.ready_at = self.now;
        Ok(())
    }

    /// Runs every active client's application once.
    fn step_clients(&mut self) -> Result<bool, String> {
        let mut progress = false;
        let now = self.now;
        for host in &mut self.hosts {
            host.reap(now);
        }
        let mut k = 0;
        while k < self.active.len() {
            let i = self.active[k];
            if let Phase::Backoff(t) = self.clients[i].phase {
                if now >= t {
                    self.connect(i)?;
                    progress = true;
                }
                k += 1;
                continue;
            }
            let c = &mut self.clients[i];
            let host = &mut self.hosts[c.host];
            progress |= c.step(host, now, &self.cfg, &mut self.report)?;
            if c.phase == Phase::Done {
                self.report.results[i] = c.referee.results().last().copied();
                self.report.completed += 1;
                self.report.replies += c.referee.replies();
                self.active.swap_remove(k);
                progress = true;
            } else {
                k += 1;
            }
        }
        Ok(progress)
    }

    /// Moves every frame waiting at a switch port to its destination
    /// port(s): a unicast frame to the port of its destination MAC (none:
    /// dropped), a broadcast or multicast one to every other port. The
    /// attackers see every frame (to learn the clients' sequence numbers).
    fn forward(&mut self) -> bool {
        let mut frames = Vec::new();
        for (i, (_, port)) in self.switch.iter_mut().enumerate() {
            while let Some((rx, _)) = port.receive(self.now) {
                frames.push((i, phy::RxToken::consume(rx, |f| f.to_vec())));
            }
        }
        let moved = !frames.is_empty();
        for (from, frame) in frames {
            self.report.frames += 1;
            if from == 0 && is_echo_reply(&frame) {
                self.report.echo_replies += 1;
            }
            let from_client = (1..=self.hosts.len()).contains(&from);
            self.attackers.observe(&frame, from == 0, from_client);
            let dst = frame.get(..6).map(EthernetAddress::from_bytes);
            let unicast = dst.filter(|d| d.is_unicast());
            for (j, (mac, port)) in self.switch.iter_mut().enumerate() {
                let deliver = match unicast {
                    Some(d) => *mac == d,
                    None => j != from,
                };
                if deliver {
                    if let Some(tx) = port.transmit(self.now) {
                        phy::TxToken::consume(tx, frame.len(), |b| b.copy_from_slice(&frame));
                    }
                }
            }
        }
        moved
    }
}

fn std_duration(d: Duration) -> std::time::Duration {
    std::time::Duration::from_micros(d.total_micros())
}

impl NetConfig {
    /// [`NetConfig::think`] in smoltcp's units.
    fn think_time(&self) -> Duration {
        Duration::from_micros(self.think.as_micros() as u64)
    }
}

/// Whether `frame` is an ICMP echo reply (Ethernet, IPv4).
fn is_echo_reply(frame: &[u8]) -> bool {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return false;
    };
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return false;
    }
    let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
        return false;
    };
    if ip.next_header() != IpProtocol::Icmp {
        return false;
    }
    Icmpv4Packet::new_checked(ip.payload())
        .is_ok_and(|icmp| icmp.msg_type() == Icmpv4Message::EchoReply)
}

impl<const CAP: usize> Client<CAP> {
    fn fail(&self, msg: impl std::fmt::Display) -> String {
        format!(
            "client {} ({:?}, after {} replies): {msg}",
            self.id,
            self.codec,
            self.referee.replies()
        )
    }

    /// Queues one action (framed) and tells the referee.
    fn send(&mut self, action: Action, now: Instant) -> Result<(), String> {
        let mut buf = [0u8; 64];
        let codec = self.codec;
        let n = encode_frame_with(&mut buf, |p| codec.encode_action(&action, p))
            .map_err(|e| self.fail(format!("encode {action:?}: {e:?}")))?;
        self.outbox.extend_from_slice(&buf[..n]);
        self.referee.sent(action);
        self.sent_at.push_back(now);
        if matches!(action, Action::Move(_)) {
            self.moves += 1;
        }
        Ok(())
    }

    /// Goes back to connecting later (refused, or "server full").
    fn back_off(
        &mut self,
        host: &mut Host,
        now: Instant,
        report: &mut Report,
    ) -> Result<(), String> {
        self.retries += 1;
        report.retries += 1;
        if self.retries > MAX_RETRIES {
            return Err(self.fail("refused too many times"));
        }
        if let Some(h) = self.handle.take() {
            host.machine.sockets.get_mut::<tcp::Socket>(h).abort();
            host.zombies.push((h, now + CLIENT_LINGER));
        }
        self.phase = Phase::Backoff(now + Duration::from_millis(100 * u64::from(self.retries)));
        Ok(())
    }

    /// One pass of the client's application. Returns whether it did anything.
    fn step(
        &mut self,
        host: &mut Host,
        now: Instant,
        cfg: &NetConfig,
        report: &mut Report,
    ) -> Result<bool, String> {
        let Some(h) = self.handle else {
            return Ok(false);
        };
        let mut progress = false;
        let state = host.machine.sockets.get::<tcp::Socket>(h).state();
        if self.phase == Phase::Connecting {
            match state {
                tcp::State::Closed => {
                    // Refused (RST): nobody listening yet.
                    self.back_off(host, now, report)?;
                    return Ok(true);
                }
                tcp::State::SynSent | tcp::State::SynReceived => return Ok(false),
                _ => {
                    self.phase = Phase::Playing;
                    self.greeting_by = now + GREETING_TIMEOUT;
                    progress = true;
                }
            }
        }

        // Receive and referee.
        let mut buf = [0u8; 1024];
        loop {
            let socket = host.machine.sockets.get_mut::<tcp::Socket>(h);
            if !socket.can_recv() {
                break;
            }
            let n = socket
                .recv_slice(&mut buf)
                .map_err(|e| self.fail(format!("recv: {e}")))?;
            if n == 0 {
                break;
            }
            progress = true;
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                let (used, got) = self.decoder.feed(rest);
                rest = rest.get(used..).unwrap_or(&[]);
                match got {
                    Ok(None) => {}
                    Ok(Some(payload)) => {
                        let seen = cuatro_kit::reply::decode_shown(self.codec, payload)
                            .map_err(|e| self.fail(e))?;
                        let greeting = self.referee.replies() == 0;
                        if seen.error == Some(Error::ServerFull) && greeting {
                            self.back_off(host, now, report)?;
                            return Ok(true);
                        }
                        self.referee.check(&seen).map_err(|e| self.fail(e))?;
                        self.ready_at = now + cfg.think_time();
                        if greeting {
                            if let (Some(slot), Some(t0)) =
                                (report.time_to_game.get_mut(self.id), self.first_attempt)
                            {
                                slot.get_or_insert(std_duration(now - t0));
                            }
                        } else if let Some(t) = self.sent_at.pop_front() {
                            if let Some(list) = report.latencies.get_mut(self.id) {
                                list.push(std_duration(now - t));
                            }
                        }
                    }
                    Err(e) => return Err(self.fail(format!("framing error {e:?}"))),
                }
                if used == 0 {
                    break;
                }
            }
        }

        let socket = host.machine.sockets.get_mut::<tcp::Socket>(h);
        let state = socket.state();
        let closing = matches!(self.phase, Phase::Closing(_));
        // The board dropped this connection as half-open: it never saw the
        // handshake end. On a lossy link that is a lost (or corrupted)
        // final ACK which smoltcp's client never sends again: in
        // ESTABLISHED it does not answer the board's retransmitted SYN-ACK,
        // and it sends nothing before the greeting (seen with seed 219 of
        // `salir_under_loss_close_linger`; a Linux client re-ACKs). The
        // board's half-open policy then resets it, as it should.
        let dropped_half_open = report.server.half_open_dropped > self.half_open_at_connect;
        let reset = matches!(state, tcp::State::Closed | tcp::State::Listen);
        let greeting_lost = self.phase == Phase::Playing && now >= self.greeting_by;
        if (reset || (greeting_lost && dropped_half_open))
            && !closing
            && self.referee.replies() == 0
            && (!cfg.attacks.is_empty() || dropped_half_open)
        {
            // Under attack, or after such a lost final ACK, a reset before
            // the greeting is a refused connection (the board recycled a
            // half-open socket), not a disturbed game: the client never had
            // a session; it tries again. So is an established connection
            // still ungreeted at `greeting_by` after such a drop (the reset
            // was lost as well). Otherwise it stays an error (a ghost
            // connection's reset).
            report.reset_before_greeting += 1;
            self.back_off(host, now, report)?;
            return Ok(true);
        }
        if matches!(state, tcp::State::Closed | tcp::State::Listen) && !closing {
            return Err(self.fail(format!(
                "connection reset with {} replies owed",
                self.referee.outstanding()
            )));
        }
        // Send what is queued.
        if !self.outbox.is_empty() && socket.can_send() {
            let n = socket
                .send_slice(&self.outbox)
                .map_err(|e| self.fail(format!("send: {e}")))?;
            if n > 0 {
                self.outbox.drain(..n);
                progress = true;
            }
        }
        let eof = !socket.may_recv() && socket.recv_queue() == 0;

        if self.phase == Phase::Playing
            && self.referee.outstanding() == 0
            && self.outbox.is_empty()
            && (self.referee.closed() || now >= self.ready_at)
        {
            progress = true;
            if self.referee.closed() {
                self.phase = Phase::Closing(now + CLIENT_LINGER);
            } else if self.referee.replies() == 1 {
                self.send(Action::NewGame, now)?;
            } else if !self.referee.in_game() || cfg.max_moves.is_some_and(|m| self.moves >= m) {
                if cfg.quit {
                    self.send(Action::Quit, now)?;
                } else {
                    host.machine.sockets.get_mut::<tcp::Socket>(h).close();
                    self.phase = Phase::Closing(now + CLIENT_LINGER);
                }
            } else {
                let legal = self.referee.legal_columns();
                let col = legal[self.rng.below(legal.len() as u64) as usize];
                if cfg.pipeline && self.rng.below(4) == 0 {
                    let bad = [7, -1, 9][self.rng.below(3) as usize];
                    self.send(Action::Move(bad), now)?;
                }
                self.send(Action::Move(i64::from(col)), now)?;
                report.moves += 1;
            }
        }
        if eof && !matches!(self.phase, Phase::Closing(_)) && self.referee.outstanding() > 0 {
            return Err(self.fail(format!(
                "the board closed with {} replies owed",
                self.referee.outstanding()
            )));
        }
        if let Phase::Closing(deadline) = self.phase {
            let socket = host.machine.sockets.get_mut::<tcp::Socket>(h);
            // Done once the board closed, or once it acknowledged our FIN
            // (every reply is in), or at the deadline.
            let finished = matches!(
                socket.state(),
                tcp::State::Closed | tcp::State::TimeWait | tcp::State::FinWait2
            );
            if eof || finished || now >= deadline {
                socket.close();
                host.zombies.push((h, now + CLIENT_LINGER));
                self.handle = None;
                self.phase = Phase::Done;
                progress = true;
            }
        }
        Ok(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_clean_game_each_codec() {
        let report = run_default(&NetConfig {
            clients: 2,
            ..Default::default()
        });
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.completed, 2);
        assert!(report.results.iter().all(|r| r.is_some()));
        assert_eq!(report.server.accepted, 2);
    }
}
