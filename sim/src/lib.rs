//! # cuatro-sim — the board on an in-memory Ethernet link
//!
//! The *board* is the unchanged `cuatro-core` [`Server`] on one end of an
//! in-memory Ethernet [`link`]; a [`gateway`] interface on the other end
//! relays TCP connections accepted on 127.0.0.1 to the board's ports, like
//! QEMU's `hostfwd`. One thread, event-driven: it sleeps in `mio` until a
//! kernel socket is ready or smoltcp's `poll_delay` expires, never spinning
//! when idle and never sleeping on the data path.

pub mod attack;
pub mod board;
pub mod gateway;
pub mod impair;
pub mod memory;
pub mod netsim;
pub mod pcap;
pub mod tap;

/// The in-memory Ethernet link the board, the gateway and the netsim's
/// switch are plugged into: `cuatro_kit::link`.
pub use cuatro_kit::link;

use gateway::Gateway;
pub use memory::{Budget, Buffers, HostMemory};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
use smoltcp::time::{Duration as NetDuration, Instant as NetInstant};
use smoltcp::wire::{EthernetAddress, IpCidr, Ipv4Address};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The board's address behind the relay (QEMU user-network style).
pub const BOARD_IP: Ipv4Address = board::RELAY_IP.address();
/// The gateway's address on the simulated link.
pub const GATEWAY_IP: Ipv4Address = board::RELAY_GATEWAY;
/// The gateway's MAC address.
pub const GATEWAY_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
pub use board::{BoardSettings, BOARD_MAC, BOARD_PORTS};

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// First 127.0.0.1 port (classic; +1 compact). 0 picks free ports.
    pub port_base: u16,
    /// Seed of the board's CPU players.
    pub seed: u64,
    /// The board's idle timeout.
    pub idle_timeout: Duration,
    /// The CPU level of a `\juego_nuevo` without `nivel` (`--cpu`).
    pub cpu_level: cuatro_proto::Level,
    /// The board's mDNS name (`<name>.local`; `--mdns-name`; answered on
    /// a TAP, where the link carries multicast).
    pub mdns_name: &'static str,
    /// Where uploads are stored.
    pub upload_dir: PathBuf,
    /// Largest upload accepted, in bytes.
    pub upload_max: u64,
    /// Impairments of the board's link (loss, delay, ...), both directions.
    pub impair: impair::Impairments,
    /// Capture the board's link traffic into this pcap file.
    pub pcap: Option<PathBuf>,
    /// The board's memory (sessions, sockets, buffers).
    pub memory: Budget,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port_base: 8080,
            seed: 1,
            idle_timeout: Duration::from_secs(60),
            cpu_level: cuatro_proto::Level::Aleatorio,
            mdns_name: "cuatro",
            upload_dir: PathBuf::from(cuatro_kit::storage::DEFAULT_DIR),
            upload_max: cuatro_kit::storage::DEFAULT_MAX,
            impair: impair::Impairments::default(),
            pcap: None,
            memory: Budget::MCU,
        }
    }
}

/// Addresses the simulator listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addrs {
    /// Classic JSON game port.
    pub classic: SocketAddr,
    /// Compact game port.
    pub compact: SocketAddr,
    /// File upload port.
    pub upload: SocketAddr,
    /// Player-vs-player classic port.
    pub pvp: SocketAddr,
    /// Player-vs-player compact port.
    pub pvp_compact: SocketAddr,
}

impl Addrs {
    /// The `ready` line printed once every port accepts connections.
    pub fn ready_line(&self) -> String {
        format!(
            "ready classic={} compact={} upload={} pvp={} pvp_compact={}",
            self.classic, self.compact, self.upload, self.pvp, self.pvp_compact
        )
    }
}

/// Link rounds run before the loop looks at the kernel sockets again.
const QUIET_ROUNDS: usize = 64;

/// The 127.0.0.1 listeners, one per board port ([`BOARD_PORTS`]).
const LISTENERS: usize = BOARD_PORTS.len();
const LISTENER_TOKENS: [Token; LISTENERS] = [Token(0), Token(1), Token(2), Token(3), Token(4)];
const WAKER: Token = Token(LISTENERS);
const FIRST_STREAM: usize = LISTENERS + 1;

/// A bound simulator, ready to [`run`](Sim::run).
pub struct Sim {
    config: SimConfig,
    poll: Poll,
    listeners: [TcpListener; LISTENERS],
    addrs: Addrs,
    stop: StopHandle,
    capture: Option<Box<dyn std::io::Write + Send>>,
}

/// Stops a running simulator from another thread.
#[derive(Clone)]
pub struct StopHandle {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl StopHandle {
    /// A handle whose [`stop`](StopHandle::stop) wakes `poll` through a
    /// waker registered as `token`.
    pub(crate) fn new(poll: &Poll, token: Token) -> std::io::Result<StopHandle> {
        Ok(StopHandle {
            stop: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(Waker::new(poll.registry(), token)?),
        })
    }

    /// Whether the loop was asked to stop.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the loop to stop; it returns promptly.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
    }
}

impl Sim {
    /// Binds the 127.0.0.1 ports.
    pub fn bind(config: SimConfig) -> std::io::Result<Sim> {
        config
            .impair
            .validate()
            .map_err(|e| std::io::Error::new(ErrorKind::InvalidInput, e))?;
        let capture = pcap::open_file(config.pcap.as_deref())?;
        let poll = Poll::new()?;
        let bind = |offset: u16| -> std::io::Result<TcpListener> {
            let port = if config.port_base == 0 {
                0
            } else {
                config.port_base.saturating_add(offset)
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            TcpListener::bind(addr)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
        };
        let mut listeners = [bind(0)?, bind(1)?, bind(2)?, bind(3)?, bind(4)?];
        for (l, t) in listeners.iter_mut().zip(LISTENER_TOKENS) {
            poll.registry().register(l, t, Interest::READABLE)?;
        }
        let addrs = Addrs {
            classic: listeners[0].local_addr()?,
            compact: listeners[1].local_addr()?,
            upload: listeners[2].local_addr()?,
            pvp: listeners[3].local_addr()?,
            pvp_compact: listeners[4].local_addr()?,
        };
        let stop = StopHandle::new(&poll, WAKER)?;
        Ok(Sim {
            config,
            poll,
            listeners,
            addrs,
            stop,
            capture,
        })
    }

    /// Where the simulator listens.
    pub fn addrs(&self) -> Addrs {
        self.addrs
    }

    /// A handle that stops [`run`](Sim::run).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Runs the board, the link and the gateway until stopped.
    pub fn run(mut self) -> std::io::Result<()> {
        let now = wall_clock();
        let (board_link, mut gw_port) = link::pair();
        let mut board_port = board_nic(board_link, &self.config, self.capture.take());

        let storage = cuatro_kit::DirStorage::new(&self.config.upload_dir, self.config.upload_max);
        let board = BoardSettings {
            mac: board::BOARD_MAC,
            ip: board::RELAY_IP,
            gateway: Some(board::RELAY_GATEWAY),
            port_base: BOARD_PORTS[0],
            seed: self.config.seed,
            idle_timeout: self.config.idle_timeout,
            cpu_level: self.config.cpu_level,
            mdns_name: self.config.mdns_name,
        };
        let mut memory = HostMemory::new(&self.config.memory);
        let mut board = board
            .build(&mut board_port, &mut memory, now(), storage)
            .map_err(|e| std::io::Error::other(format!("board memory: {e}")))?;
        let mut gateway = Gateway::new(
            &mut gw_port,
            GATEWAY_MAC,
            IpCidr::new(GATEWAY_IP.into(), 24),
            BOARD_IP,
            now(),
        );

        let mut events = Events::with_capacity(256);
        let mut next_token = FIRST_STREAM;
        let mut listener_ready = [true; LISTENERS];
        loop {
            if self.stop.stopped() {
                board_port.flush();
                return Ok(());
            }
            // Accept new kernel connections and start their relays (only on
            // listeners that reported readiness: no idle system calls).
            for (i, listener) in self.listeners.iter().enumerate() {
                if !listener_ready.get(i).copied().unwrap_or(true) {
                    continue;
                }
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            while gateway.has_token(Token(next_token)) || next_token < FIRST_STREAM
                            {
                                next_token = next_token.wrapping_add(1);
                            }
                            let token = Token(next_token);
                            next_token = next_token.wrapping_add(1);
                            self.poll.registry().register(
                                &mut stream,
                                token,
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            let board_port = BOARD_PORTS.get(i).copied().unwrap_or(BOARD_PORTS[0]);
                            if let Err(e) = gateway.connect(stream, token, board_port) {
                                eprintln!("cuatro-sim: {e}");
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            if let Some(ready) = listener_ready.get_mut(i) {
                                *ready = false;
                            }
                            break;
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => {
                            eprintln!("cuatro-sim: accept: {e}");
                            break;
                        }
                    }
                }
            }

            // Run the link until it is quiet: every frame delivered, every
            // byte relayed. Bounded so a pathological peer cannot wedge us.
            let mut board_delay = None;
            let mut quiet = false;
            for _ in 0..QUIET_ROUNDS {
                let t = now();
                let before = board_port.inner().activity();
                board_delay = board.poll(t, &mut board_port);
                let sent = board_port.inner_mut().flush(t);
                let moved = board_port.inner().activity() != before;
                let gw_changed = gateway.poll(t, &mut gw_port);
                let relayed = gateway.relay(self.poll.registry());
                let board_pending = board_port.inner().inner().has_pending();
                let due = board_port.inner().has_due(now());
                let gw_pending = gw_port.has_pending();
                if !sent
                    && !moved
                    && !gw_changed
                    && !relayed
                    && !board_pending
                    && !due
                    && !gw_pending
                {
                    quiet = true;
                    break;
                }
            }
            let t = now();
            let gw_delay = gateway.poll_delay(t);
            // Frames held back by the impaired link are due later.
            let link_delay =
                board_port
                    .inner()
                    .poll_at()
                    .map(|at| if at > t { at - t } else { NetDuration::ZERO });
            let delay = [board_delay, gw_delay, link_delay]
                .into_iter()
                .flatten()
                .min();
            // Still busy (a long transfer): look at the kernel sockets
            // without sleeping, so other connections are not starved.
            let timeout = if quiet {
                delay.map(|d| Duration::from_micros(d.total_micros()))
            } else {
                Some(Duration::ZERO)
            };
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                if let Some(i) = LISTENER_TOKENS.iter().position(|t| *t == event.token()) {
                    if let Some(ready) = listener_ready.get_mut(i) {
                        *ready = true;
                    }
                    continue;
                }
                gateway.ready(
                    event.token(),
                    event.is_readable() || event.is_error(),
                    event.is_writable() || event.is_write_closed() || event.is_error(),
                    event.is_read_closed() || event.is_error(),
                );
            }
        }
    }
}

/// Wall-clock time since this call, as smoltcp counts it.
pub(crate) fn wall_clock() -> impl Fn() -> NetInstant {
    let start = Instant::now();
    move || NetInstant::from_micros(start.elapsed().as_micros() as i64)
}

/// The board's NIC on `dev`: `config`'s impairments (if any), then the
/// capture (if any), flushed after each frame.
pub(crate) fn board_nic<D: smoltcp::phy::Device>(
    dev: D,
    config: &SimConfig,
    capture: Option<Box<dyn std::io::Write + Send>>,
) -> pcap::Pcap<impair::Impaired<D>> {
    pcap::Pcap::new(
        impair::Impaired::new(dev, config.impair.clone()),
        capture,
        pcap::epoch_micros_now(),
        true,
    )
}

/// A simulator running on its own thread (used by `cuatro play` and tests).
pub struct Running {
    addrs: Addrs,
    stop: StopHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Binds and starts a simulator thread.
    pub fn spawn(config: SimConfig) -> std::io::Result<Running> {
        let sim = Sim::bind(config)?;
        let addrs = sim.addrs();
        let stop = sim.stop_handle();
        let thread = std::thread::Builder::new()
            .name("cuatro-sim".into())
            .spawn(move || sim.run())?;
        Ok(Running {
            addrs,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addrs(&self) -> Addrs {
        self.addrs
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
