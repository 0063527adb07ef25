//! The server and one client machine on an in-memory Ethernet link
//! (`cuatro_kit::link`), in virtual time: the driver loop that the
//! `server` target (and the tests beside it) run on.

use cuatro_core::server::{Server, ServerMemory};
use cuatro_core::upload::Storage;
use cuatro_kit::link::{self, Machine, Port};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};

/// The server's address.
pub const SERVER_IP: Ipv4Address = Ipv4Address::new(10, 7, 0, 1);
/// The client machine's address.
pub const CLIENT_IP: Ipv4Address = Ipv4Address::new(10, 7, 0, 2);
/// The server's MAC.
pub const SERVER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
/// The client machine's MAC.
pub const CLIENT_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
/// Classic game port (compact is the next, uploads the one after).
pub const PORT_BASE: u16 = 8080;
/// Most frames a direction holds (older ones are dropped, as a NIC would).
pub const QUEUE_LIMIT: usize = 256;
/// The client's socket buffers, each direction.
const CLIENT_BUFFER: usize = 4096;

/// The server's end of the link plus the client machine with its sockets.
pub struct Link {
    /// The server's end: frames waiting here are on their way to the server.
    pub server_port: Port,
    /// The client machine's end.
    pub client_port: Port,
    /// The client machine.
    pub client: Machine,
    /// Virtual time.
    pub now: Instant,
}

impl Link {
    /// A link at time zero with an empty client machine.
    pub fn new(seed: u64) -> Link {
        let (server_port, mut client_port) = link::bounded(QUEUE_LIMIT);
        let now = Instant::ZERO;
        let client = Machine::new(
            &mut client_port,
            CLIENT_MAC,
            IpCidr::Ipv4(Ipv4Cidr::new(CLIENT_IP, 24)),
            seed ^ 0x5eed,
            now,
        )
        .with_ports(40_001..=u16::MAX);
        Link {
            server_port,
            client_port,
            client,
            now,
        }
    }

    /// The server's settings for this link.
    pub fn server_config(seed: u64) -> cuatro_core::server::Config {
        let mut config = cuatro_core::server::Config::new(SERVER_MAC, Ipv4Cidr::new(SERVER_IP, 24));
        config.port_base = PORT_BASE;
        config.seed = seed;
        config
    }

    /// Builds a server on `memory` over this link.
    pub fn server<'a, S: Storage>(
        &mut self,
        memory: &'a mut ServerMemory<'a>,
        storage: S,
        seed: u64,
    ) -> Server<'a, S> {
        Server::with_storage(
            Link::server_config(seed),
            &mut self.server_port,
            memory,
            self.now,
            storage,
        )
        .expect("the default memory carries the server")
    }

    /// Opens a client connection to the server's `port`.
    pub fn connect(&mut self, port: u16) -> SocketHandle {
        self.client
            .connect(
                (IpAddress::Ipv4(SERVER_IP), port),
                CLIENT_BUFFER,
                CLIENT_BUFFER,
            )
            // Fails only for an unspecified address or local port: neither.
            .expect("the client connects")
    }

    /// A client socket.
    pub fn socket(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.client.socket(handle)
    }

    /// A frame arrives at the server, as though from the client machine.
    pub fn inject(&mut self, frame: Vec<u8>) {
        self.client_port.send(frame);
    }

    /// Copies of the first `n` frames on their way to the server.
    pub fn to_server(&self, n: usize) -> Vec<Vec<u8>> {
        self.server_port.peek(n)
    }

    /// Polls both ends until neither has anything to do (bounded).
    pub fn settle<S: Storage>(&mut self, server: &mut Server<'_, S>) {
        for _ in 0..64 {
            let before = (self.server_port.pending(), self.client_port.pending());
            server.poll(self.now, &mut self.server_port);
            self.client.poll(self.now, &mut self.client_port);
            let after = (self.server_port.pending(), self.client_port.pending());
            if after == (0, 0) && before == (0, 0) {
                break;
            }
        }
    }

    /// Lets `d` pass, stopping at each deadline of either end on the way.
    pub fn advance<S: Storage>(&mut self, server: &mut Server<'_, S>, d: Duration) {
        let end = self.now + d;
        for _ in 0..256 {
            self.settle(server);
            if self.now >= end {
                break;
            }
            let server_wait = server.poll(self.now, &mut self.server_port).unwrap_or(d);
            let client_wait = self.client.poll_delay(self.now).unwrap_or(d);
            let step = server_wait.min(client_wait).max(Duration::from_millis(1));
            self.now = (self.now + step).min(end);
        }
        self.settle(server);
    }
}
