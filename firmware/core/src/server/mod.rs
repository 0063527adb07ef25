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

mod config;
mod connection;
#[cfg(feature = "dhcp")]
mod dhcp;
mod ingress;
#[cfg(feature = "mdns")]
mod mdns;
mod memory;
mod pool;
mod upload_service;
mod view;

pub use config::*;
pub use memory::ServerMemory;
pub use pool::Slot;
use pool::*;
use upload_service::*;
pub use view::{MemoryError, MemoryView};

use crate::admission::Admission;
use crate::cpu::{Level, Search};
use crate::guard::{Guard, GuardStats, Guarded, Peer};
use crate::pvp::Matchmaker;
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
    /// Game replies queued (greetings and refusals aside): the actions
    /// answered, for a board's `meter:` line (wrapping).
    pub replies: u32,
    /// Bytes the upload service took from its socket into the storage,
    /// length prefixes included (wrapping).
    pub upload_bytes: u32,
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
    /// The CPU's search scratch, lent to the session that moves.
    search: &'a mut Search,
    /// Player vs player: the queue and the matches.
    pvp: &'a mut Matchmaker,
    upload_handle: SocketHandle,
    upload_role: UploadRole,
    #[cfg(feature = "dhcp")]
    dhcp_handle: Option<SocketHandle>,
    /// The mDNS responder's UDP socket (`None` if it could not bind).
    #[cfg(feature = "mdns")]
    mdns_handle: Option<SocketHandle>,
    /// The mDNS responder.
    #[cfg(feature = "mdns")]
    mdns: crate::mdns::Responder,
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
    pub fn new<D: Device + ?Sized>(
        config: Config,
        device: &mut D,
        memory: impl Into<MemoryView<'a>>,
        now: Instant,
    ) -> Result<Self, MemoryError> {
        Server::with_storage(config, device, memory, now, NoStorage)
    }
}

impl<'a, S: Storage> Server<'a, S> {
    /// Builds the interface and the socket pool over `memory` (a board's
    /// [`ServerMemory`], or a [`MemoryView`] sized at run time), with
    /// uploads (port base + 2) streamed into `storage`. Memory that cannot
    /// carry the server ([`MemoryView::check`]) is refused; a
    /// [`ServerMemory`] built by [`ServerMemory::new`] is checked when it
    /// compiles, and never is.
    // Inlined (one call site per driver): on a board the checks fold
    // away against the memory's constant sizes.
    #[inline(always)]
    pub fn with_storage<D: Device + ?Sized>(
        config: Config,
        device: &mut D,
        memory: impl Into<MemoryView<'a>>,
        now: Instant,
        storage: S,
    ) -> Result<Self, MemoryError> {
        let memory = memory.into();
        memory.check()?;
        Ok(Server::build(config, device, memory, now, storage))
    }

    #[inline(always)]
    fn build<D: Device + ?Sized>(
        config: Config,
        device: &mut D,
        memory: MemoryView<'a>,
        now: Instant,
        storage: S,
    ) -> Self {
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

        let (rx_len, tx_len) = (memory.rx_per_socket().max(1), memory.tx_per_socket().max(1));
        let MemoryView {
            storage: socket_storage,
            rx,
            tx,
            slots,
            sessions,
            scratch,
            search,
            pvp,
            upload_rx,
            upload_tx,
            guard,
            mdns,
        } = memory;
        let mut sockets = SocketSet::new(socket_storage);
        let buffers = rx.chunks_exact_mut(rx_len).zip(tx.chunks_exact_mut(tx_len));
        for ((rx, tx), slot) in buffers.zip(slots.iter_mut()) {
            let mut socket =
                tcp::Socket::new(tcp::SocketBuffer::new(rx), tcp::SocketBuffer::new(tx));
            // Request/response: never hold a reply back waiting for an ACK.
            socket.set_nagle_enabled(false);
            *slot = Slot {
                handle: Some(sockets.add(socket)),
                ..Slot::EMPTY
            };
        }
        let mut upload_socket = tcp::Socket::new(
            tcp::SocketBuffer::new(upload_rx),
            tcp::SocketBuffer::new(upload_tx),
        );
        upload_socket.set_nagle_enabled(false);
        // ACK every segment: the upload window is a few segments (one where
        // the device caps it through `max_burst_size`, as the LM3S6965's
        // 2 KiB receive FIFO does), and a delayed ACK would stall the
        // sender 10 ms per window (measured 2026-12-02 on the LM3S6965 in
        // QEMU: 0.14 MB/s with it).
        upload_socket.set_ack_delay(None);
        let upload_handle = sockets.add(upload_socket);
        #[cfg(feature = "mdns")]
        let mdns_handle = {
            use smoltcp::socket::udp;
            let crate::mdns::MdnsMemory {
                rx_meta,
                rx,
                tx_meta,
                tx,
            } = mdns;
            let mut socket = udp::Socket::new(
                udp::PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
                udp::PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
            );
            let joined = iface.join_multicast_group(mdns::group_addr()).is_ok();
            (joined && socket.bind(crate::mdns::MDNS_PORT).is_ok()).then(|| sockets.add(socket))
        };
        #[cfg(not(feature = "mdns"))]
        let _ = mdns;
        #[cfg(feature = "dhcp")]
        let dhcp_handle = config
            .dhcp
            .then(|| sockets.add(smoltcp::socket::dhcpv4::Socket::new()));
        let mut server = Server {
            iface,
            sockets,
            slots,
            sessions,
            scratch,
            search,
            pvp,
            upload_handle,
            upload_role: UploadRole::Free,
            #[cfg(feature = "dhcp")]
            dhcp_handle,
            #[cfg(feature = "mdns")]
            mdns_handle,
            #[cfg(feature = "mdns")]
            mdns: mdns::responder(&config, now),
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
    // Always inlined: a driver calls it from one place, its main loop;
    // on the board that saves 760 B of flash over a call (the compiler's
    // own choice flips with small changes; measured 2026-12-02).
    #[inline(always)]
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

    /// The earliest time a session idles out, a half-open connection
    /// expires or a closing socket expires.
    fn next_deadline(&self) -> Option<Instant> {
        let idle = self.config.idle_timeout;
        let half_open = self.config.admission.half_open;
        let half_open_answered = self.config.admission.half_open_answered;
        let upload = match self.upload_role {
            UploadRole::Active(up) => up.poll_timeout(idle).map(instant_ms),
            UploadRole::Closing(deadline, _) => Some(deadline),
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
                    .and_then(|s| s.poll_timeout(idle))
                    .map(instant_ms),
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
            .chain(self.mdns_deadline_or_none())
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
        #[cfg(feature = "mdns")]
        {
            changed |= self.service_mdns(now);
        }
        for i in 0..self.slots.len() {
            changed |= self.service_slot(i, now);
        }
        changed |= self.service_upload(now);
        changed |= self.listen();
        changed || self.sent
    }
}

impl<S: Storage> Server<'_, S> {
    /// The mDNS responder's next deadline (none without the feature).
    fn mdns_deadline_or_none(&self) -> Option<Instant> {
        #[cfg(feature = "mdns")]
        {
            self.mdns_deadline()
        }
        #[cfg(not(feature = "mdns"))]
        None
    }
}

/// A sans-IO machine's deadline (milliseconds) as an [`Instant`].
pub(super) fn instant_ms(ms: u64) -> Instant {
    // Saturating: a deadline beyond i64 milliseconds is "never".
    Instant::from_millis(ms.min(i64::MAX as u64) as i64)
}

#[cfg(feature = "log")]
pub(super) fn log_debug(args: core::fmt::Arguments<'_>) {
    log::debug!("{args}");
}

#[cfg(not(feature = "log"))]
pub(super) fn log_debug(_args: core::fmt::Arguments<'_>) {}
