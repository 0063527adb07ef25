//! Configuration: every constant of the server (capacities, buffers,
//! timeouts, loop bounds) and [`Config`].

use super::*;

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

/// Sockets of the mDNS responder: one UDP socket with the `mdns` feature.
pub const MDNS_SOCKETS: usize = if cfg!(feature = "mdns") { 1 } else { 0 };

/// Default socket-set capacity: game sockets, the upload socket and (with
/// the `dhcp` feature) the DHCP client.
pub const SOCKET_STORAGE: usize = SOCKETS + UPLOAD_SOCKETS + DHCP_SOCKETS + MDNS_SOCKETS;

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
    /// The CPU level of a `\juego_nuevo` that names none (a level this
    /// build leaves out plays `aleatorio`).
    pub cpu_level: Level,
    /// The mDNS name (`<name>.local`, instance `<name>._cuatro._tcp`;
    /// `mdns` feature).
    pub mdns_name: &'static str,
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
            cpu_level: Level::Aleatorio,
            mdns_name: "cuatro",
            #[cfg(feature = "dhcp")]
            dhcp: false,
        }
    }

    /// The codec of a game port and whether it is player vs player
    /// (base + 3 classic, base + 4 compact, with the `pvp` feature).
    pub(super) fn service_for(&self, port: u16) -> Option<(Codec, bool)> {
        match port.wrapping_sub(self.port_base) {
            0 => Some((Codec::Classic, false)),
            1 => Some((Codec::Compact, false)),
            PVP_CLASSIC if cfg!(feature = "pvp") => Some((Codec::Classic, true)),
            PVP_COMPACT if cfg!(feature = "pvp") => Some((Codec::Compact, true)),
            _ => None,
        }
    }

    /// The game ports: classic, compact, and with the `pvp` feature the
    /// player-vs-player ones.
    pub(super) fn game_ports(&self) -> impl Iterator<Item = u16> {
        let base = self.port_base;
        let pvp: &[u16] = if cfg!(feature = "pvp") {
            &[PVP_CLASSIC, PVP_COMPACT]
        } else {
            &[]
        };
        [0, 1]
            .iter()
            .chain(pvp)
            .map(move |&offset| base.wrapping_add(offset))
    }
}

/// Whether this build serves the player-vs-player ports (the `pvp`
/// feature).
pub const PVP_PORTS: bool = cfg!(feature = "pvp");

/// Player-vs-player classic port, as an offset from the base port.
pub const PVP_CLASSIC: u16 = 3;
/// Player-vs-player compact port, as an offset from the base port.
pub const PVP_COMPACT: u16 = 4;

/// TCP ports the server listens on: classic, compact, upload, and with
/// the `pvp` feature the two player-vs-player ports.
pub(super) const SERVICE_PORTS: usize = if cfg!(feature = "pvp") { 5 } else { 3 };

/// Upper bound on stack/session rounds per poll.
pub(super) const MAX_ROUNDS: usize = 8;

/// Upper bound on egress passes per round (each may send many packets).
pub(super) const MAX_EGRESS_PER_ROUND: usize = 8;

/// Upper bound on packets taken in per poll before the sessions run, so a
/// flood cannot starve them (the rest wait in the device for the next poll).
pub(super) const MAX_INGRESS_PER_POLL: usize = 64;

/// Upper bound on frames answered per socket per poll, so one chatty client
/// cannot monopolise a poll.
pub(super) const RX_BUFFER_ROUNDS_MAX: usize = 64;
