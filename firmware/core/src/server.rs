//! The smoltcp driver: a fixed pool of TCP sockets serving both game ports.
//!
//! [`Server`] is a thin driver around [`Session`]s. It owns a smoltcp
//! [`Interface`] and a [`SocketSet`] built over a caller-provided
//! [`ServerMemory`] (a `static` on a board), and is generic over any
//! [`smoltcp::phy::Device`]; the caller passes the time in.
//!
//! Socket pool: every free socket listens, balanced between the two game
//! ports, so simultaneous connections each find a listener. A connection
//! that arrives gets a [`Session`] if one is free, otherwise a "server full"
//! reply and a close; with every socket busy, a SYN is refused. Sockets come back to
//! the pool when the connection closes, resets or idles out, without waiting
//! in TIME-WAIT.

use crate::admission::Admission;
use crate::guard::{Guard, GuardStats, Guarded, Peer};
use crate::session::{self, reply_bound, Output, Session, REPLY_CAPACITY};
use crate::upload::{self, NoStorage, Outcome, Storage, Upload, UploadOutput};
use core::cell::{Cell, RefCell};
use core::mem::MaybeUninit;
use cuatro_proto::Codec;
use smoltcp::iface::{
    Config as IfaceConfig, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
    SocketStorage,
};
use smoltcp::phy::Device;
use smoltcp::socket::tcp::{self, State};
pub use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};

/// Default number of simultaneous game sessions.
pub const SESSIONS: usize = 4;
/// Sockets beyond the sessions: while every session is busy, one listener
/// per game port remains, so one more client still hears "server full".
pub const LISTENERS: usize = 2;
/// Default number of TCP sockets: every session plus the listeners.
pub const SOCKETS: usize = SESSIONS + LISTENERS;
/// Default receive buffer per socket (bytes). Also the TCP window: a full
/// request frame fits, and any frame streams through in pieces.
pub const RX_BUFFER: usize = 1024;
/// Default transmit buffer per socket (bytes): at least one largest reply,
/// so a reply is never truncated (see [`session::reply_bound`]).
pub const TX_BUFFER: usize = 1024;
/// Sockets of the upload service (port base + 2): one upload at a time.
pub const UPLOAD_SOCKETS: usize = 1;
/// Sockets of the DHCP client: one with the `dhcp` feature, else none.
pub const DHCP_SOCKETS: usize = if cfg!(feature = "dhcp") { 1 } else { 0 };
/// Default socket-set capacity: game sockets, the upload socket and (with
/// the `dhcp` feature) the DHCP client.
pub const SOCKET_STORAGE: usize = SOCKETS + UPLOAD_SOCKETS + DHCP_SOCKETS;
/// Default receive buffer of the upload socket (bytes): the TCP window of
/// an upload, and the one buffer the file streams through into storage.
pub const UPLOAD_RX_BUFFER: usize = 4096;
/// Transmit buffer of the upload socket: room for its one raw reply.
pub const UPLOAD_TX_BUFFER: usize = 128;
const _: () = assert!(UPLOAD_TX_BUFFER >= upload::REPLY_CAPACITY);

/// A closing connection is reset when it makes no progress (the client
/// acknowledging data, or closing) for this long. Longer than TCP's first
/// four retransmissions (1 + 2 + 4 + 8 s), so a last reply lost on a lossy
/// link is still delivered; a client that reads its last reply and closes
/// frees the socket at once.
pub const CLOSE_LINGER: Duration = Duration::from_secs(30);
/// How long a client that has every byte and our FIN may take to close
/// before its socket is reset and reused.
pub const FIN_WAIT_2_GRACE: Duration = Duration::from_secs(2);
/// Default idle timeout of a session (the SPEC's 60 s).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const _: () = assert!(TX_BUFFER >= reply_bound(Codec::Classic));
const _: () = assert!(TX_BUFFER >= reply_bound(Codec::Compact));

/// A source of time for drivers that poll in a loop.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
}

/// Network and service settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The interface's MAC address.
    pub hardware_addr: EthernetAddress,
    /// The interface's static IPv4 address and prefix.
    pub ip: Ipv4Cidr,
    /// Default gateway, if any.
    pub gateway: Option<Ipv4Address>,
    /// Classic game port; compact is `port_base + 1`.
    pub port_base: u16,
    /// A session with no input for this long loses its socket.
    pub idle_timeout: Duration,
    /// Seed of the CPU players (each session derives its own).
    pub seed: u64,
    /// Who keeps a session when every one is taken, and how long a
    /// half-open connection may hold a socket (see [`crate::admission`]).
    pub admission: Admission,
    /// Ask a DHCP server for the address (and gateway) instead of using
    /// `ip`/`gateway`, which serve until a lease arrives.
    #[cfg(feature = "dhcp")]
    pub dhcp: bool,
}

impl Config {
    /// Settings with the SPEC's defaults: ports 8080/8081, 60 s idle timeout.
    pub const fn new(hardware_addr: EthernetAddress, ip: Ipv4Cidr) -> Self {
        Config {
            hardware_addr,
            ip,
            gateway: None,
            port_base: 8080,
            idle_timeout: IDLE_TIMEOUT,
            seed: 0x6375_6174_726f,
            admission: Admission::DEFAULT,
            #[cfg(feature = "dhcp")]
            dhcp: false,
        }
    }

    fn codec_for(&self, port: u16) -> Option<Codec> {
        if port == self.port_base {
            Some(Codec::Classic)
        } else if port == self.port_base.wrapping_add(1) {
            Some(Codec::Compact)
        } else {
            None
        }
    }
}

/// What a socket of the pool is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Free: not listening, no connection.
    Free,
    /// Listening on a game port.
    Listening(u16),
    /// Serving the session at this index.
    Serving(usize),
    /// Final data sent and FIN queued; reclaimed once closed, or reset when
    /// the deadline passes with no progress. Carries the bytes still unacked
    /// when the deadline was last set: any progress moves the deadline.
    Closing(Instant, usize),
    /// Aborted: the next interface poll sends the RST, then the socket is free.
    Resetting,
}

/// One socket of the pool.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    handle: Option<SocketHandle>,
    role: Role,
    /// The connection the socket is in, if any (for the [`Guard`]).
    peer: Option<Peer>,
    /// When a listener's handshake began (SYN received), if one is under way.
    half_open_since: Option<Instant>,
    /// Since when a session's replies wait for a client that does not read
    /// them (its input waits too: backpressure).
    stalled_since: Option<Instant>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        handle: None,
        role: Role::Free,
        peer: None,
        half_open_since: None,
        stalled_since: None,
    };
}

/// Every byte the server needs beyond its own struct, with capacities as
/// const generics. Put it in a `static` on a board.
///
/// - `SESSIONS_N` game sessions (default [`SESSIONS`]);
/// - `SOCKETS_N` game sockets (default [`SOCKETS`]), each with `RX` and `TX`
///   bytes of buffers (defaults [`RX_BUFFER`], [`TX_BUFFER`]);
/// - `STORAGE_N` socket-set slots: must be `SOCKETS_N + 1` (the upload
///   socket; default [`SOCKET_STORAGE`]);
/// - `UPLOAD_RX` bytes of upload receive buffer (default [`UPLOAD_RX_BUFFER`]).
pub struct ServerMemory<
    'a,
    const SESSIONS_N: usize = SESSIONS,
    const SOCKETS_N: usize = SOCKETS,
    const RX: usize = RX_BUFFER,
    const TX: usize = TX_BUFFER,
    const STORAGE_N: usize = SOCKET_STORAGE,
    const UPLOAD_RX: usize = UPLOAD_RX_BUFFER,
> {
    storage: [SocketStorage<'a>; STORAGE_N],
    rx: [[u8; RX]; SOCKETS_N],
    tx: [[u8; TX]; SOCKETS_N],
    slots: [Slot; SOCKETS_N],
    sessions: [Option<Session>; SESSIONS_N],
    scratch: [u8; REPLY_CAPACITY],
    upload_rx: [u8; UPLOAD_RX],
    upload_tx: [u8; UPLOAD_TX_BUFFER],
    guard: Guard,
}

impl<
        'a,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    > Default for ServerMemory<'a, SE, SO, RX, TX, ST, URX>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<
        'a,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    > ServerMemory<'a, SE, SO, RX, TX, ST, URX>
{
    /// Initializes the memory in place and returns it, ready for
    /// [`Server::new`].
    ///
    /// For a board: a `static` built by [`ServerMemory::new`] carries its
    /// whole initial image in flash (`.data`), because a few of its bytes
    /// (empty-socket and no-session markers) are not zero. A
    /// `static mut M: MaybeUninit<ServerMemory> = MaybeUninit::uninit()`
    /// lives in `.bss` instead, costing no flash, and this fills it at boot
    /// without building the value on the stack.
    pub fn init(slot: &'a mut MaybeUninit<Self>) -> &'a mut Self {
        let p = slot.as_mut_ptr();
        // SAFETY: `p` comes from a `&mut MaybeUninit<Self>`, so it is valid
        // and aligned for writes of one `Self`. After `write_bytes`, every
        // byte array (buffers, scratch) holds zeros, a valid value; every
        // other field (socket storage, slots, sessions) is then written with
        // a valid value through raw pointers to its elements, which stay
        // inside their arrays (`i` < the array's length). So `slot` is fully
        // initialised before `assume_init_mut`.
        unsafe {
            core::ptr::write_bytes(p, 0, 1);
            let storage = core::ptr::addr_of_mut!((*p).storage).cast::<SocketStorage<'a>>();
            for i in 0..ST {
                storage.add(i).write(SocketStorage::EMPTY);
            }
            let slots = core::ptr::addr_of_mut!((*p).slots).cast::<Slot>();
            for i in 0..SO {
                slots.add(i).write(Slot::EMPTY);
            }
            let sessions = core::ptr::addr_of_mut!((*p).sessions).cast::<Option<Session>>();
            for i in 0..SE {
                sessions.add(i).write(None);
            }
            core::ptr::addr_of_mut!((*p).guard).write(Guard::new());
            slot.assume_init_mut()
        }
    }

    /// Zeroed memory (usable in a `static`, but see [`ServerMemory::init`]).
    pub const fn new() -> Self {
        const NO_SESSION: Option<Session> = None;
        const {
            assert!(
                ST == SO + UPLOAD_SOCKETS + DHCP_SOCKETS,
                "STORAGE_N must be SOCKETS_N + 1 (+ 1 with the dhcp feature)"
            )
        };
        const {
            assert!(
                TX >= reply_bound(Codec::Classic) && TX >= reply_bound(Codec::Compact),
                "TX must hold the largest reply frame (session::reply_bound)"
            )
        };
        ServerMemory {
            storage: [SocketStorage::EMPTY; ST],
            rx: [[0; RX]; SO],
            tx: [[0; TX]; SO],
            slots: [Slot::EMPTY; SO],
            sessions: [NO_SESSION; SE],
            scratch: [0; REPLY_CAPACITY],
            upload_rx: [0; URX],
            upload_tx: [0; UPLOAD_TX_BUFFER],
            guard: Guard::new(),
        }
    }
}

/// The upload socket's state.
#[derive(Debug, Clone, Copy)]
enum UploadRole {
    /// Not listening (no storage, or between connections).
    Free,
    /// Listening on the upload port.
    Listening,
    /// Receiving a file.
    Active(Upload),
    /// Reply sent, FIN queued.
    Closing(Instant),
    /// Aborted; freed after the next interface poll.
    Resetting,
}

/// Counters, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections given a session.
    pub accepted: u32,
    /// Connections answered "server full".
    pub rejected: u32,
    /// Sessions ended by the idle timeout.
    pub timed_out: u32,
    /// Sessions currently open.
    pub active: u32,
    /// Uploads stored completely.
    pub uploads: u32,
    /// Uploads that ended early (closed, reset, stalled) or whose storage
    /// failed part way.
    pub uploads_failed: u32,
    /// Uploads refused before any byte was taken (too large, storage
    /// could not start).
    pub uploads_refused: u32,
    /// Sessions given to a newcomer under the admission policy.
    pub evicted: u32,
    /// Half-open connections dropped: expired, or recycled into a listener
    /// for a newer SYN.
    pub half_open_dropped: u32,
    /// Closing sockets reset early to listen for a SYN.
    pub closing_reclaimed: u32,
    /// Idle listeners moved to the other game port for a SYN.
    pub listeners_moved: u32,
    /// What the middleware dropped and answered.
    pub guard: GuardStats,
}

/// The game server on smoltcp, with an upload service into `S`.
pub struct Server<'a, S: Storage = NoStorage> {
    iface: Interface,
    sockets: SocketSet<'a>,
    slots: &'a mut [Slot],
    sessions: &'a mut [Option<Session>],
    scratch: &'a mut [u8],
    upload_handle: SocketHandle,
    upload_role: UploadRole,
    #[cfg(feature = "dhcp")]
    dhcp_handle: Option<SocketHandle>,
    storage: S,
    guard: &'a mut Guard,
    /// The time of the poll under way.
    now: Instant,
    config: Config,
    next_seed: u64,
    stats: Stats,
    /// Set when a pass over the sockets queued data to send.
    sent: bool,
    /// The current DHCP lease.
    #[cfg(feature = "dhcp")]
    lease: Option<Ipv4Cidr>,
}

impl<'a> Server<'a, NoStorage> {
    /// Builds the interface and the socket pool over `memory`; no upload
    /// service (see [`Server::with_storage`]).
    pub fn new<
        D,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    >(
        config: Config,
        device: &mut D,
        memory: &'a mut ServerMemory<'a, SE, SO, RX, TX, ST, URX>,
        now: Instant,
    ) -> Self
    where
        D: Device + ?Sized,
    {
        Server::with_storage(config, device, memory, now, NoStorage)
    }
}

impl<'a, S: Storage> Server<'a, S> {
    /// Builds the interface and the socket pool over `memory`, with uploads
    /// (port base + 2) streamed into `storage`.
    pub fn with_storage<
        D,
        const SE: usize,
        const SO: usize,
        const RX: usize,
        const TX: usize,
        const ST: usize,
        const URX: usize,
    >(
        config: Config,
        device: &mut D,
        memory: &'a mut ServerMemory<'a, SE, SO, RX, TX, ST, URX>,
        now: Instant,
        storage: S,
    ) -> Self
    where
        D: Device + ?Sized,
    {
        let mut iface_config = IfaceConfig::new(HardwareAddress::Ethernet(config.hardware_addr));
        iface_config.random_seed = config.seed;
        let mut iface = Interface::new(iface_config, device, now);
        iface.update_ip_addrs(|addrs| {
            // The list has room for at least one address.
            let _ = addrs.push(IpCidr::Ipv4(config.ip));
        });
        if let Some(gw) = config.gateway {
            let _ = iface.routes_mut().add_default_ipv4_route(gw);
        }

        let ServerMemory {
            storage: socket_storage,
            rx,
            tx,
            slots,
            sessions,
            scratch,
            upload_rx,
            upload_tx,
            guard,
        } = memory;
        let mut sockets = SocketSet::new(&mut socket_storage[..]);
        for ((rx, tx), slot) in rx.iter_mut().zip(tx.iter_mut()).zip(slots.iter_mut()) {
            let mut socket = tcp::Socket::new(
                tcp::SocketBuffer::new(&mut rx[..]),
                tcp::SocketBuffer::new(&mut tx[..]),
            );
            // Request/response: never hold a reply back waiting for an ACK.
            socket.set_nagle_enabled(false);
            *slot = Slot {
                handle: Some(sockets.add(socket)),
                ..Slot::EMPTY
            };
        }
        let mut upload_socket = tcp::Socket::new(
            tcp::SocketBuffer::new(&mut upload_rx[..]),
            tcp::SocketBuffer::new(&mut upload_tx[..]),
        );
        upload_socket.set_nagle_enabled(false);
        let upload_handle = sockets.add(upload_socket);
        #[cfg(feature = "dhcp")]
        let dhcp_handle = config
            .dhcp
            .then(|| sockets.add(smoltcp::socket::dhcpv4::Socket::new()));
        let mut server = Server {
            iface,
            sockets,
            slots: &mut slots[..],
            sessions: &mut sessions[..],
            scratch: &mut scratch[..],
            upload_handle,
            upload_role: UploadRole::Free,
            #[cfg(feature = "dhcp")]
            dhcp_handle,
            storage,
            guard,
            now,
            next_seed: config.seed,
            config,
            stats: Stats::default(),
            sent: false,
            #[cfg(feature = "dhcp")]
            lease: None,
        };
        server.listen();
        server
    }

    /// The smoltcp interface (addresses, routes).
    pub fn interface(&mut self) -> &mut Interface {
        &mut self.iface
    }

    /// The upload storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The upload storage, mutably.
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// The settings the server runs with.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.active = self.sessions.iter().filter(|s| s.is_some()).count() as u32;
        s.guard = self.guard.stats();
        s
    }

    /// Sockets holding a connection: every TCP state but LISTEN and
    /// CLOSED, game and upload sockets alike. Zero once every peer is gone
    /// and every timeout has passed; a leak shows here.
    pub fn connections(&self) -> usize {
        self.sockets
            .iter()
            .filter(|(_, socket)| match socket {
                smoltcp::socket::Socket::Tcp(tcp) => {
                    !matches!(tcp.state(), State::Listen | State::Closed)
                }
                #[allow(unreachable_patterns)]
                _ => false,
            })
            .count()
    }

    /// Processes everything pending: received packets, sessions, timers and
    /// transmissions. Returns how long the caller may wait before polling
    /// again if no packet arrives (`None`: only when one does).
    pub fn poll<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> Option<Duration> {
        self.iface.poll_maintenance(now);
        // Alternate the stack and the sessions until neither has anything
        // left to do: a connection the stack just completed is greeted, a
        // reply just queued is transmitted. Bounded; if the bound is hit,
        // ask to be polled again at once.
        let mut settled = false;
        for _ in 0..MAX_ROUNDS {
            let mut busy = self.ingress(now, device);
            busy |= self.service(now);
            self.guard.flush(device, now);
            {
                let guard = RefCell::new(&mut *self.guard);
                let saw_syn = Cell::new(false);
                let mut guarded = Guarded {
                    inner: &mut *device,
                    guard: &guard,
                    is_open: &|_: &Peer| false,
                    hold: &[],
                    saw_syn: &saw_syn,
                };
                for _ in 0..MAX_EGRESS_PER_ROUND {
                    match self.iface.poll_egress(now, &mut guarded, &mut self.sockets) {
                        PollResult::None => break,
                        PollResult::SocketStateChanged => busy = true,
                    }
                }
            }
            if !busy {
                settled = true;
                break;
            }
        }
        if !settled || self.guard.pending() {
            return Some(Duration::ZERO);
        }
        let stack = self.iface.poll_delay(now, &self.sockets);
        let ours = self
            .next_deadline()
            .map(|t| if t > now { t - now } else { Duration::ZERO });
        match (stack, ours) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes received packets one at a time through the [`Guard`]: after
    /// each SYN that went through, listeners are re-armed so several SYNs
    /// for one port arriving together each find one; a SYN for a port with
    /// no idle listener is held while a socket is made a listener for it
    /// ([`Server::make_listener`]), then replayed. Returns whether a packet
    /// was processed.
    fn ingress<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> bool {
        let mut any = false;
        self.refresh_peers();
        self.now = now;
        let mut hold = self.hold_ports();
        for _ in 0..MAX_INGRESS_PER_POLL {
            let saw_syn = Cell::new(false);
            let result = {
                let slots: &[Slot] = self.slots;
                let is_open = |p: &Peer| slots.iter().any(|s| s.peer == Some(*p));
                let guard = RefCell::new(&mut *self.guard);
                let (ports, n) = hold;
                let mut guarded = Guarded {
                    inner: &mut *device,
                    guard: &guard,
                    is_open: &is_open,
                    hold: ports.get(..n).unwrap_or(&[]),
                    saw_syn: &saw_syn,
                };
                self.iface
                    .poll_ingress_single(now, &mut guarded, &mut self.sockets)
            };
            self.guard.flush(device, now);
            match result {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed
                | PollIngressSingleResult::SocketStateChanged => any = true,
            }
            if let Some(port) = self.guard.held_port() {
                // A recycled handshake's client is told at once (RST), so
                // a real client retries instead of waiting for a timeout.
                if let Some(peer) = self.make_listener(port, now) {
                    self.guard.reset(&peer, device, now);
                }
                self.guard.arm_replay();
            }
            // Only a SYN takes a listener or opens a connection.
            if saw_syn.get() {
                self.listen();
                self.refresh_peers();
                hold = self.hold_ports();
            }
        }
        any
    }

    /// The ports whose SYNs must wait for a listener: no idle listener
    /// there, but a socket that [`Server::make_listener`] can turn into one.
    fn hold_ports(&self) -> ([u16; SERVICE_PORTS], usize) {
        let base = self.config.port_base;
        let game = [base, base.wrapping_add(1)];
        let mut out = ([0u16; SERVICE_PORTS], 0usize);
        let mut push = |port: u16| {
            if let Some(p) = out.0.get_mut(out.1) {
                *p = port;
                out.1 += 1;
            }
        };
        let idle_on = |port: u16| {
            self.slots.iter().any(|s| {
                s.role == Role::Listening(port)
                    && s.handle.is_some_and(|h| {
                        self.sockets.get::<tcp::Socket>(h).state() == State::Listen
                    })
            })
        };
        let now = self.now;
        let convertible = |port: u16| {
            self.slots.iter().any(|s| match s.role {
                Role::Free | Role::Closing(..) | Role::Resetting => true,
                Role::Listening(p) => p != port || self.recyclable(s, now).is_some(),
                Role::Serving(_) => false,
            })
        };
        for port in game {
            if !idle_on(port) && convertible(port) {
                push(port);
            }
        }
        // The upload port's one socket: held unless it is idle in LISTEN or
        // busy with an upload (one at a time: the newcomer is refused).
        let upload_state = self.sockets.get::<tcp::Socket>(self.upload_handle).state();
        let upload_waits = match self.upload_role {
            UploadRole::Listening => upload_state == State::SynReceived,
            UploadRole::Active(_) => false,
            UploadRole::Free | UploadRole::Resetting | UploadRole::Closing(_) => true,
        };
        if upload_waits {
            push(base.wrapping_add(2));
        }
        out
    }

    /// The upload port's one socket made a listener for a held SYN: its
    /// half-open connection is dropped; a socket done with its last upload
    /// (free, resetting, or closing with the reply delivered: our FIN
    /// acknowledged) listens at once. While the last reply is still
    /// unacknowledged the SYN is discarded instead: the client's
    /// retransmission finds the listener, and the last client keeps its
    /// `Gracias`. Returns the connection dropped, if one was.
    fn make_upload_listener(&mut self, port: u16) -> Option<Peer> {
        let socket = self.sockets.get::<tcp::Socket>(self.upload_handle);
        let state = socket.state();
        let dropped = peer(socket);
        let reclaim = match self.upload_role {
            UploadRole::Listening => state != State::Listen,
            UploadRole::Free | UploadRole::Resetting => true,
            UploadRole::Closing(_) => {
                matches!(state, State::FinWait2 | State::TimeWait | State::Closed)
            }
            UploadRole::Active(_) => false,
        };
        if !reclaim {
            self.guard.discard_held();
            return None;
        }
        if matches!(self.upload_role, UploadRole::Listening) {
            self.stats.half_open_dropped = self.stats.half_open_dropped.wrapping_add(1);
        }
        let (handle, listening) = relisten(&mut self.sockets, self.upload_handle, port);
        self.upload_handle = handle;
        self.upload_role = if listening {
            UploadRole::Listening
        } else {
            UploadRole::Free
        };
        dropped
    }

    /// When a listener's handshake began, if it may be recycled for a newer
    /// SYN: only a handshake under way (a completed connection not yet
    /// accepted is a client), and only once its SYN-ACK went out or since an
    /// earlier instant, so a burst of real clients arriving together is
    /// answered (the excess refused at once) rather than recycled unseen.
    fn recyclable(&self, slot: &Slot, now: Instant) -> Option<Instant> {
        let socket = self.sockets.get::<tcp::Socket>(slot.handle?);
        if socket.state() != State::SynReceived {
            return None;
        }
        let since = slot.half_open_since.unwrap_or(now);
        (answered(self.guard, socket) || since < now).then_some(since)
    }

    /// Turns a socket into an idle listener on `port` for a held SYN: a
    /// free socket, else an idle listener of the other game port, else the
    /// oldest half-open connection, else the oldest closing socket. On the
    /// upload port, see [`Server::make_upload_listener`].
    /// Returns the connection dropped, if one was.
    fn make_listener(&mut self, port: u16, now: Instant) -> Option<Peer> {
        if port == self.config.port_base.wrapping_add(2) {
            return self.make_upload_listener(port);
        }
        let state = |s: &Slot| s.handle.map(|h| self.sockets.get::<tcp::Socket>(h).state());
        let mut free = None;
        let mut idle_other = None;
        let mut half_open: Option<(usize, Instant)> = None;
        let mut closing: Option<(usize, Instant)> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            match slot.role {
                Role::Free | Role::Resetting => free = free.or(Some(i)),
                Role::Listening(p) if state(slot) == Some(State::Listen) => {
                    if p == port {
                        return None; // already there
                    }
                    idle_other = idle_other.or(Some(i));
                }
                Role::Listening(_) => {
                    if let Some(since) = self.recyclable(slot, now) {
                        if half_open.is_none_or(|(_, t)| since < t) {
                            half_open = Some((i, since));
                        }
                    }
                }
                Role::Closing(deadline, _) => {
                    if closing.is_none_or(|(_, t)| deadline < t) {
                        closing = Some((i, deadline));
                    }
                }
                Role::Serving(_) => {}
            }
        }
        let pick = if let Some(i) = free {
            Some(i)
        } else if let Some(i) = idle_other {
            self.stats.listeners_moved = self.stats.listeners_moved.wrapping_add(1);
            Some(i)
        } else if let Some((i, _)) = half_open {
            self.stats.half_open_dropped = self.stats.half_open_dropped.wrapping_add(1);
            Some(i)
        } else if let Some((i, _)) = closing {
            self.stats.closing_reclaimed = self.stats.closing_reclaimed.wrapping_add(1);
            Some(i)
        } else {
            None
        };
        let (i, handle) = pick.and_then(|i| Some((i, self.slots.get(i)?.handle?)))?;
        let dropped = peer(self.sockets.get::<tcp::Socket>(handle));
        self.listen_on(i, handle, port);
        dropped
    }

    /// Records which connection each socket is in (for the [`Guard`]).
    fn refresh_peers(&mut self) {
        for slot in self.slots.iter_mut() {
            slot.peer = slot
                .handle
                .and_then(|h| peer(self.sockets.get::<tcp::Socket>(h)));
        }
    }

    /// The earliest time a session idles out, a half-open connection
    /// expires or a closing socket expires.
    fn next_deadline(&self) -> Option<Instant> {
        let idle = self.config.idle_timeout;
        let half_open = self.config.admission.half_open;
        let half_open_answered = self.config.admission.half_open_answered;
        let upload = match self.upload_role {
            UploadRole::Active(up) => {
                Some(Instant::from_millis(up.last_activity_ms() as i64) + idle)
            }
            UploadRole::Closing(deadline) => Some(deadline),
            UploadRole::Resetting => Some(Instant::ZERO),
            UploadRole::Free | UploadRole::Listening => None,
        };
        self.slots
            .iter()
            .filter_map(|slot| match slot.role {
                Role::Serving(k) => self
                    .sessions
                    .get(k)
                    .and_then(|s| s.as_ref())
                    .map(|s| Instant::from_millis(s.idle_deadline_ms(idle) as i64)),
                Role::Closing(deadline, _) => Some(deadline),
                // Due at once: the RST is sent, the socket freed.
                Role::Resetting => Some(Instant::ZERO),
                Role::Listening(_) => slot.half_open_since.map(|t| {
                    let answered = slot.peer.is_some_and(|p| self.guard.tracks(&p));
                    t + if answered {
                        half_open_answered
                    } else {
                        half_open
                    }
                }),
                Role::Free => None,
            })
            .chain(upload)
            .min()
    }

    /// Runs every socket's state machine once. Returns whether anything was
    /// queued for transmission or a socket changed role.
    fn service(&mut self, now: Instant) -> bool {
        self.sent = false;
        let mut changed = false;
        #[cfg(feature = "dhcp")]
        {
            changed |= self.service_dhcp();
        }
        for i in 0..self.slots.len() {
            changed |= self.service_slot(i, now);
        }
        changed |= self.service_upload(now);
        changed |= self.listen();
        changed || self.sent
    }

    /// Applies a DHCP lease (or its loss) to the interface.
    #[cfg(feature = "dhcp")]
    fn service_dhcp(&mut self) -> bool {
        use smoltcp::socket::dhcpv4::{Event, Socket};
        let Some(handle) = self.dhcp_handle else {
            return false;
        };
        let lease = match self.sockets.get_mut::<Socket>(handle).poll() {
            None => return false,
            Some(Event::Configured(config)) => Some((config.address, config.router)),
            Some(Event::Deconfigured) => None,
        };
        let (address, router) = match lease {
            Some((address, router)) => (address, router),
            // Lost the lease: fall back to the static settings.
            None => (self.config.ip, self.config.gateway),
        };
        self.iface.update_ip_addrs(|addrs| {
            addrs.clear();
            let _ = addrs.push(IpCidr::Ipv4(address));
        });
        self.iface.routes_mut().remove_default_ipv4_route();
        if let Some(router) = router {
            let _ = self.iface.routes_mut().add_default_ipv4_route(router);
        }
        self.lease = lease.map(|(address, _)| address);
        true
    }

    /// The address leased by DHCP, if any (`dhcp` feature).
    #[cfg(feature = "dhcp")]
    pub fn lease(&self) -> Option<Ipv4Cidr> {
        self.lease
    }

    /// Runs the upload socket's state machine once; returns whether its role
    /// changed.
    fn service_upload(&mut self, now: Instant) -> bool {
        let before = self.upload_role;
        let socket = self.sockets.get_mut::<tcp::Socket>(self.upload_handle);
        let storage = &mut self.storage;
        let port = self.config.port_base.wrapping_add(2);
        let idle = self.config.idle_timeout;
        self.upload_role = match self.upload_role {
            UploadRole::Free => {
                if socket.state() != State::Closed {
                    socket.abort();
                }
                match socket.listen(port) {
                    Ok(()) => UploadRole::Listening,
                    Err(_) => UploadRole::Free,
                }
            }
            UploadRole::Resetting => UploadRole::Free,
            UploadRole::Listening => match socket.state() {
                State::Listen | State::SynReceived => UploadRole::Listening,
                State::Established | State::CloseWait => {
                    UploadRole::Active(Upload::new(now.total_millis() as u64))
                }
                _ => {
                    socket.abort();
                    UploadRole::Resetting
                }
            },
            UploadRole::Active(mut up) => {
                let mut out = [0u8; upload::REPLY_CAPACITY];
                let now_ms = now.total_millis() as u64;
                let mut reply = None;
                // Bounded: each round consumes bytes or stops.
                for _ in 0..RX_BUFFER_ROUNDS_MAX {
                    if !socket.can_recv() {
                        break;
                    }
                    let step = socket.recv(|buf| {
                        let (n, o) = up.handle(buf, now_ms, storage, &mut out);
                        (n, (n, o))
                    });
                    match step {
                        Ok((_, UploadOutput::Reply { len, outcome })) => {
                            reply = Some((len, outcome));
                            break;
                        }
                        Ok((0, UploadOutput::Nothing)) | Err(_) => break,
                        Ok((_, UploadOutput::Nothing)) => {}
                    }
                }
                let gone = matches!(socket.state(), State::Closed | State::TimeWait);
                let idle_deadline = Instant::from_millis(up.last_activity_ms() as i64) + idle;
                if let Some((len, outcome)) = reply {
                    if let Some(text) = out.get(..len) {
                        let _ = socket.send_slice(text);
                    }
                    socket.close();
                    let counter = match outcome {
                        Outcome::Stored => &mut self.stats.uploads,
                        Outcome::Refused => &mut self.stats.uploads_refused,
                        Outcome::Failed => &mut self.stats.uploads_failed,
                    };
                    *counter = counter.wrapping_add(1);
                    UploadRole::Closing(now + CLOSE_LINGER)
                } else if gone || now >= idle_deadline || !socket.may_recv() {
                    // Closed early, reset or stalled: only a failure record.
                    up.fail(storage);
                    self.stats.uploads_failed = self.stats.uploads_failed.wrapping_add(1);
                    socket.abort();
                    UploadRole::Resetting
                } else {
                    UploadRole::Active(up)
                }
            }
            UploadRole::Closing(deadline) => {
                // Our reply is delivered once our FIN is acknowledged; a
                // client still sending (a refused file) is reset then.
                while socket.can_recv() {
                    if socket.recv(|b| (b.len(), ())).is_err() {
                        break;
                    }
                }
                match socket.state() {
                    State::Closed | State::TimeWait | State::FinWait2 => {
                        socket.abort();
                        UploadRole::Resetting
                    }
                    _ if now >= deadline => {
                        socket.abort();
                        UploadRole::Resetting
                    }
                    _ => UploadRole::Closing(deadline),
                }
            }
        };
        !matches!(
            (before, self.upload_role),
            (UploadRole::Listening, UploadRole::Listening)
                | (UploadRole::Active(_), UploadRole::Active(_))
                | (UploadRole::Closing(_), UploadRole::Closing(_))
                | (UploadRole::Free, UploadRole::Free)
        )
    }

    fn service_slot(&mut self, i: usize, now: Instant) -> bool {
        let Some(Slot {
            handle: Some(handle),
            role,
            ..
        }) = self.slots.get(i).copied()
        else {
            return false;
        };
        let new_role = match role {
            Role::Free => return false,
            Role::Resetting => Role::Free,
            Role::Listening(port) => self.accept(i, handle, port, now),
            Role::Serving(k) => self.serve(i, handle, k, now),
            Role::Closing(deadline, queued) => self.finish_close(handle, deadline, queued, now),
        };
        if new_role == role {
            // Data may still have been sent: serve() reports that by
            // returning Serving with a changed queue, which the next
            // interface poll transmits anyway.
            return false;
        }
        if let Some(slot) = self.slots.get_mut(i) {
            slot.role = new_role;
        }
        true
    }

    /// A listening socket: has a client arrived? A handshake left
    /// incomplete for [`Admission::half_open`] is dropped (the socket
    /// listens again); a client that finds every session taken may take an
    /// evictable one's place ([`crate::admission`]).
    fn accept(&mut self, i: usize, handle: SocketHandle, port: u16, now: Instant) -> Role {
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        let since = self.slots.get(i).and_then(|s| s.half_open_since);
        let newcomer = peer(socket).map(|p| p.0);
        match socket.state() {
            State::Listen => {
                self.set_half_open(i, None);
                return Role::Listening(port);
            }
            State::SynReceived => {
                let since = since.unwrap_or(now);
                let limit = if answered(self.guard, socket) {
                    self.config.admission.half_open_answered
                } else {
                    self.config.admission.half_open
                };
                if now >= since + limit {
                    // listen() resets the socket without a packet; the
                    // guard tells the client, if it was ever answered.
                    if let Some(p) = peer(socket) {
                        self.guard.reset_later(p);
                    }
                    self.listen_on(i, handle, port);
                    self.stats.half_open_dropped = self.stats.half_open_dropped.wrapping_add(1);
                } else {
                    self.set_half_open(i, Some(since));
                }
                return Role::Listening(port);
            }
            State::Established | State::CloseWait => self.set_half_open(i, None),
            _ => {
                socket.abort();
                self.set_half_open(i, None);
                return Role::Resetting;
            }
        }
        let codec = self.config.codec_for(port).unwrap_or(Codec::Classic);
        let free = self
            .sessions
            .iter()
            .position(|s| s.is_none())
            .or_else(|| self.evict(newcomer, now));
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        match free.and_then(|k| self.sessions.get_mut(k).map(|s| (k, s))) {
            Some((k, entry)) => {
                self.next_seed = self.next_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut session = Session::new(codec, self.next_seed, now.total_millis() as u64);
                let sent = session
                    .greet(self.scratch)
                    .ok()
                    .and_then(|n| self.scratch.get(..n))
                    .map(|frame| socket.send_slice(frame).ok() == Some(frame.len()));
                if sent != Some(true) {
                    socket.abort();
                    return Role::Resetting;
                }
                *entry = Some(session);
                self.stats.accepted = self.stats.accepted.wrapping_add(1);
                log_debug(format_args!("session {k} opened on port {port}"));
                Role::Serving(k)
            }
            None => {
                self.stats.rejected = self.stats.rejected.wrapping_add(1);
                if let Some(frame) = session::server_full(codec, self.scratch)
                    .ok()
                    .and_then(|n| self.scratch.get(..n))
                {
                    let _ = socket.send_slice(frame);
                }
                socket.close();
                Role::Closing(now + CLOSE_LINGER, socket.send_queue())
            }
        }
    }

    fn set_half_open(&mut self, i: usize, since: Option<Instant>) {
        if let Some(slot) = self.slots.get_mut(i) {
            slot.half_open_since = since;
        }
    }

    /// Frees the session of the evictable connection idle longest, for a
    /// newcomer from address `newcomer` (see [`crate::admission`]): it is
    /// told `evicted` if its transmit buffer has room, else reset. Returns
    /// the freed session.
    ///
    /// Fair by address: a newcomer may take the place of a connection only
    /// from an address holding more sessions than its own, so holders that
    /// reconnect the moment they lose a seat cannot take the seats back
    /// from each other faster than a player arriving from elsewhere can
    /// claim one. Behind one address (a NAT, QEMU's user networking, the
    /// simulator's relay) every newcomer is alike and may take any.
    fn evict(&mut self, newcomer: Option<Ipv4Address>, now: Instant) -> Option<usize> {
        let now_ms = now.total_millis() as u64;
        let policy = self.config.admission;
        let seats = |addr: Option<Ipv4Address>| {
            self.slots
                .iter()
                .filter(|s| matches!(s.role, Role::Serving(_)) && s.peer.map(|p| p.0) == addr)
                .count()
        };
        let own = seats(newcomer);
        let all_own = self
            .slots
            .iter()
            .filter(|s| matches!(s.role, Role::Serving(_)))
            .all(|s| s.peer.map(|p| p.0) == newcomer);
        let mut victim: Option<(usize, usize, u64)> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            let Role::Serving(k) = slot.role else {
                continue;
            };
            let Some(Some(session)) = self.sessions.get(k) else {
                continue;
            };
            let stalled = slot
                .stalled_since
                .is_some_and(|t| now >= t + policy.frame_deadline);
            let fair = all_own || seats(slot.peer.map(|p| p.0)) > own;
            if (session.evictable(now_ms, &policy) || stalled)
                && fair
                && victim.is_none_or(|(_, _, t)| session.last_action_ms() < t)
            {
                victim = Some((i, k, session.last_action_ms()));
            }
        }
        let (i, k, _) = victim?;
        let handle = self.slots.get(i)?.handle?;
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        let session = self.sessions.get_mut(k)?.as_mut()?;
        let room = socket.send_capacity().saturating_sub(socket.send_queue());
        let told = room >= reply_bound(session.codec())
            && session
                .evict(self.scratch)
                .ok()
                .and_then(|n| self.scratch.get(..n))
                .is_some_and(|frame| socket.send_slice(frame).ok() == Some(frame.len()));
        let role = if told {
            socket.close();
            Role::Closing(now + CLOSE_LINGER, socket.send_queue())
        } else {
            socket.abort();
            Role::Resetting
        };
        if let Some(slot) = self.slots.get_mut(i) {
            slot.role = role;
        }
        release(self.sessions, k);
        self.stats.evicted = self.stats.evicted.wrapping_add(1);
        log_debug(format_args!("session {k} evicted for a newcomer"));
        Some(k)
    }

    /// A connected session: feed it what arrived, send what it answers.
    fn serve(&mut self, i: usize, handle: SocketHandle, k: usize, now: Instant) -> Role {
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        let Some(Some(session)) = self.sessions.get_mut(k) else {
            socket.abort();
            return Role::Resetting;
        };
        let gone = matches!(
            socket.state(),
            State::Closed | State::TimeWait | State::Listen | State::SynSent | State::SynReceived
        );
        let idle_deadline =
            Instant::from_millis(session.idle_deadline_ms(self.config.idle_timeout) as i64);
        if gone || now >= idle_deadline {
            if !gone {
                self.stats.timed_out = self.stats.timed_out.wrapping_add(1);
                log_debug(format_args!("session {k} idle, reset"));
            }
            socket.abort();
            release(self.sessions, k);
            return Role::Resetting;
        }

        let room = reply_bound(session.codec());
        let now_ms = now.total_millis() as u64;
        let mut stalled = false;
        // Bounded: every round consumes input or ends the loop.
        for _ in 0..(RX_BUFFER_ROUNDS_MAX) {
            if socket.send_capacity().saturating_sub(socket.send_queue()) < room {
                // Backpressure: wait for the client to read.
                stalled = socket.can_recv();
                break;
            }
            if !socket.can_recv() {
                break;
            }
            let scratch = &mut *self.scratch;
            let step = socket.recv(|buf| {
                let (n, out) = session.handle(buf, now_ms, scratch);
                (n, (n, out))
            });
            let (consumed, output) = match step {
                Ok(step) => step,
                Err(_) => break,
            };
            match output {
                Output::Nothing if consumed == 0 => break,
                Output::Nothing => {}
                Output::Reply { len, close } => {
                    if let Some(frame) = self.scratch.get(..len) {
                        // Room was checked above: this never truncates.
                        let _ = socket.send_slice(frame);
                        self.sent = true;
                    }
                    if close {
                        socket.close();
                        release(self.sessions, k);
                        return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
                    }
                }
                Output::Close => {
                    socket.close();
                    release(self.sessions, k);
                    return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
                }
            }
        }
        // The client closed its half and everything it sent is answered.
        if !socket.may_recv() && socket.recv_queue() == 0 {
            socket.close();
            release(self.sessions, k);
            return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
        }
        if let Some(slot) = self.slots.get_mut(i) {
            slot.stalled_since = if stalled {
                slot.stalled_since.or(Some(now))
            } else {
                None
            };
        }
        Role::Serving(k)
    }

    /// A closing socket: reclaim it once the close completes, or once it
    /// makes no progress for [`CLOSE_LINGER`] (the client vanished).
    /// TIME-WAIT is cut short so the socket serves the next client.
    fn finish_close(
        &mut self,
        handle: SocketHandle,
        deadline: Instant,
        queued: usize,
        now: Instant,
    ) -> Role {
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        // Discard anything the client still sends: the session is over.
        while socket.can_recv() {
            if socket.recv(|b| (b.len(), ())).is_err() {
                break;
            }
        }
        let still_queued = socket.send_queue();
        let state = socket.state();
        // Closed: nothing left to send. TIME-WAIT: the client closed too;
        // cut the wait short so the socket serves the next client.
        if matches!(state, State::Closed | State::TimeWait) {
            socket.abort();
            return Role::Resetting;
        }
        // The client acknowledged more of the reply: it is still there.
        let mut deadline = if still_queued != queued {
            now + CLOSE_LINGER
        } else {
            deadline
        };
        // Everything, FIN included, is acknowledged: the client has all it
        // needs; give it a moment to close, then reclaim the socket.
        if state == State::FinWait2 && still_queued == 0 {
            deadline = deadline.min(now + FIN_WAIT_2_GRACE);
        }
        if now >= deadline {
            socket.abort();
            return Role::Resetting;
        }
        Role::Closing(deadline, still_queued)
    }

    /// Puts every free socket to listen, balanced between the two game
    /// ports, so clients that connect at the same moment each find a
    /// listener; and moves an idle listener over when one port has none
    /// while the other has two or more. Returns whether a socket changed.
    fn listen(&mut self) -> bool {
        let ports = [self.config.port_base, self.config.port_base.wrapping_add(1)];
        // Idle listeners (no handshake under way) per port, counted once.
        let mut idle = [0usize; 2];
        for slot in self.slots.iter() {
            if let (Role::Listening(port), Some(h)) = (slot.role, slot.handle) {
                if self.sockets.get::<tcp::Socket>(h).state() == State::Listen {
                    if let Some(n) = ports
                        .iter()
                        .position(|&p| p == port)
                        .and_then(|k| idle.get_mut(k))
                    {
                        *n += 1;
                    }
                }
            }
        }
        let [mut on_classic, mut on_compact] = idle;
        let mut changed = false;
        for i in 0..self.slots.len() {
            let Some(Slot {
                handle: Some(handle),
                role: Role::Free,
                ..
            }) = self.slots.get(i).copied()
            else {
                continue;
            };
            let classic = on_compact >= on_classic;
            let port = if classic { ports[0] } else { ports[1] };
            if self.listen_on(i, handle, port) {
                changed = true;
                if classic {
                    on_classic += 1;
                } else {
                    on_compact += 1;
                }
            }
        }
        // One port has no idle listener while the other has two or more:
        // move one over.
        let moves = [
            (on_classic == 0 && on_compact >= 2, ports[1], ports[0]),
            (on_compact == 0 && on_classic >= 2, ports[0], ports[1]),
        ];
        for (needed, from, to) in moves {
            if !needed {
                continue;
            }
            let idle_listener = self.slots.iter().position(|s| {
                s.role == Role::Listening(from)
                    && s.handle.is_some_and(|h| {
                        self.sockets.get::<tcp::Socket>(h).state() == State::Listen
                    })
            });
            if let Some((i, Some(handle))) =
                idle_listener.and_then(|i| self.slots.get(i).map(|s| (i, s.handle)))
            {
                changed |= self.listen_on(i, handle, to);
            }
        }
        changed
    }

    /// (Re)starts slot `i` listening on `port`.
    fn listen_on(&mut self, i: usize, handle: SocketHandle, port: u16) -> bool {
        let (handle, ok) = relisten(&mut self.sockets, handle, port);
        if let Some(slot) = self.slots.get_mut(i) {
            slot.handle = Some(handle);
            slot.half_open_since = None;
            slot.stalled_since = None;
            slot.role = if ok {
                Role::Listening(port)
            } else {
                Role::Free
            };
        }
        ok
    }
}

/// Puts the socket at `handle` to listen on `port`, dropping any connection
/// without a packet, as a fresh member of the set: smoltcp keeps a socket's
/// neighbor wait (up to 1 s after a lookup for a sender that never answered
/// ARP) in the set's entry, not in the socket, and a reused entry would make
/// the next client's SYN-ACK wait for it. Returns the new handle and whether
/// the socket listens.
fn relisten(sockets: &mut SocketSet<'_>, handle: SocketHandle, port: u16) -> (SocketHandle, bool) {
    let socket = sockets.get_mut::<tcp::Socket>(handle);
    match socket.state() {
        State::Closed => {}
        // A listener with no connection closes without a packet.
        State::Listen => socket.close(),
        _ => socket.abort(),
    }
    let ok = socket.listen(port).is_ok();
    // Irrefutable while the set holds only TCP (and DHCP) sockets.
    #[allow(irrefutable_let_patterns)]
    let smoltcp::socket::Socket::Tcp(socket) = sockets.remove(handle) else {
        return (handle, false);
    };
    (sockets.add(socket), ok)
}

fn release(sessions: &mut [Option<Session>], k: usize) {
    if let Some(entry) = sessions.get_mut(k) {
        *entry = None;
    }
}

/// Whether a handshake's SYN-ACK went out (the guard has seen it).
fn answered(guard: &Guard, socket: &tcp::Socket) -> bool {
    peer(socket).is_some_and(|p| guard.tracks(&p))
}

/// TCP ports the server listens on: classic, compact, upload.
const SERVICE_PORTS: usize = 3;

/// Upper bound on stack/session rounds per poll.
const MAX_ROUNDS: usize = 8;

/// Upper bound on egress passes per round (each may send many packets).
const MAX_EGRESS_PER_ROUND: usize = 8;

/// The connection a socket is in (remote address and port, local port), if
/// it is past `LISTEN`.
fn peer(socket: &tcp::Socket) -> Option<Peer> {
    if matches!(socket.state(), State::Listen | State::Closed) {
        return None;
    }
    let remote = socket.remote_endpoint()?;
    let local = socket.local_endpoint()?;
    // Irrefutable while only IPv4 is enabled; an IPv6 peer is not filtered.
    #[allow(irrefutable_let_patterns)]
    let IpAddress::Ipv4(addr) = remote.addr
    else {
        return None;
    };
    Some((addr, remote.port, local.port))
}

/// Upper bound on packets taken in per poll before the sessions run, so a
/// flood cannot starve them (the rest wait in the device for the next poll).
const MAX_INGRESS_PER_POLL: usize = 64;

/// Upper bound on frames answered per socket per poll, so one chatty client
/// cannot monopolise a poll.
const RX_BUFFER_ROUNDS_MAX: usize = 64;

#[cfg(feature = "log")]
fn log_debug(args: core::fmt::Arguments<'_>) {
    log::debug!("{args}");
}

#[cfg(not(feature = "log"))]
fn log_debug(_args: core::fmt::Arguments<'_>) {}
