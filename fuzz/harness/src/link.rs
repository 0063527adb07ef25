//! An in-memory Ethernet link between the server and one client machine,
//! in virtual time: the fake `phy::Device` and the driver loop that the
//! `server` target (and the tests beside it) run on.

use cuatro_core::server::{Server, ServerMemory};
use cuatro_core::upload::Storage;
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};
use std::collections::VecDeque;

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
/// Most frames a queue holds (older ones are dropped, as a NIC would).
pub const QUEUE_LIMIT: usize = 256;
/// Ethernet MTU of the link.
pub const MTU: usize = 1514;

/// One direction of the link.
pub type Queue = VecDeque<Vec<u8>>;

/// A `phy::Device` that receives from one queue and sends into another.
pub struct Port<'q> {
    /// Frames arriving at this end.
    pub rx: &'q mut Queue,
    /// Frames this end sends.
    pub tx: &'q mut Queue,
}

/// A received frame.
pub struct Rx(Vec<u8>);
/// Room for one frame to send.
pub struct Tx<'q>(&'q mut Queue);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        push(self.0, frame);
        r
    }
}

/// Appends `frame`, dropping the oldest when the queue is full.
pub fn push(queue: &mut Queue, frame: Vec<u8>) {
    if queue.len() >= QUEUE_LIMIT {
        queue.pop_front();
    }
    queue.push_back(frame);
}

impl Device for Port<'_> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((Rx(frame), Tx(self.tx)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx<'_>> {
        Some(Tx(self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MTU;
        caps
    }
}

/// The server's end of the link plus the client machine with its sockets.
pub struct Link {
    /// Frames on their way to the server.
    pub to_server: Queue,
    /// Frames on their way to the client.
    pub to_client: Queue,
    /// The client machine.
    pub client: Interface,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    /// Virtual time.
    pub now: Instant,
    /// Frames the server sent, in total.
    pub server_frames: usize,
    next_port: u16,
}

impl Link {
    /// A link at time zero with an empty client machine.
    pub fn new(seed: u64) -> Link {
        let (mut to_server, mut to_client) = (Queue::new(), Queue::new());
        let now = Instant::ZERO;
        let mut config = IfaceConfig::new(HardwareAddress::Ethernet(CLIENT_MAC));
        config.random_seed = seed ^ 0x5eed;
        let mut port = Port {
            rx: &mut to_client,
            tx: &mut to_server,
        };
        let mut client = Interface::new(config, &mut port, now);
        client.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(CLIENT_IP, 24)));
        });
        Link {
            to_server,
            to_client,
            client,
            sockets: SocketSet::new(Vec::new()),
            now,
            server_frames: 0,
            next_port: 40_000,
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
        let mut port = Port {
            rx: &mut self.to_server,
            tx: &mut self.to_client,
        };
        Server::with_storage(
            Link::server_config(seed),
            &mut port,
            memory,
            self.now,
            storage,
        )
        .expect("the default memory carries the server")
    }

    /// Opens a client connection to the server's `port`.
    pub fn connect(&mut self, port: u16) -> SocketHandle {
        let socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; 4096]),
            tcp::SocketBuffer::new(vec![0; 4096]),
        );
        let handle = self.sockets.add(socket);
        self.next_port = self.next_port.wrapping_add(1).max(40_000);
        let local = self.next_port;
        let cx = self.client.context();
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        // Fails only for a port in use or an unspecified address: neither.
        let _ = socket.connect(cx, (IpAddress::Ipv4(SERVER_IP), port), local);
        handle
    }

    /// A client socket.
    pub fn socket(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(handle)
    }

    /// Polls both ends until neither has anything to do (bounded).
    pub fn settle<S: Storage>(&mut self, server: &mut Server<'_, S>) {
        for _ in 0..64 {
            let before = (self.to_server.len(), self.to_client.len());
            {
                let mut port = Port {
                    rx: &mut self.to_server,
                    tx: &mut self.to_client,
                };
                let sent_before = port.tx.len();
                server.poll(self.now, &mut port);
                self.server_frames += port.tx.len().saturating_sub(sent_before);
            }
            {
                let mut port = Port {
                    rx: &mut self.to_client,
                    tx: &mut self.to_server,
                };
                self.client.poll(self.now, &mut port, &mut self.sockets);
            }
            if self.to_server.is_empty() && self.to_client.is_empty() && before == (0, 0) {
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
            let mut port = Port {
                rx: &mut self.to_server,
                tx: &mut self.to_client,
            };
            let server_wait = server.poll(self.now, &mut port).unwrap_or(d);
            let client_wait = self.client.poll_delay(self.now, &self.sockets).unwrap_or(d);
            let step = server_wait.min(client_wait).max(Duration::from_millis(1));
            self.now = (self.now + step).min(end);
        }
        self.settle(server);
    }
}
