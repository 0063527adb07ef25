//! An in-memory Ethernet link, and a smoltcp machine to plug into it: what
//! the simulator's switch and relay, the `server` fuzz target and
//! cuatro-core's own tests run the server on.
//!
//! - [`pair`] (lossless) and [`bounded`] (a direction that holds `limit`
//!   frames drops its oldest, as a NIC's ring would): two [`Port`]s, each a
//!   `smoltcp::phy::Device`; a frame one transmits is received by the
//!   other, in order. Both ends live in one thread.
//! - [`Machine`]: a smoltcp interface with its sockets, handing each new
//!   connection its local port.
//!
//! This file uses smoltcp and std alone: cuatro-core's tests compile it as
//! a module of their own (`#[path]`), because a dev-dependency on this
//! crate would turn on cuatro-core's default codecs in their
//! `--no-default-features` builds. It needs smoltcp's `medium-ethernet`,
//! `proto-ipv4`, `socket-tcp` and `alloc`.

use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, IpCidr, IpEndpoint};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::rc::Rc;

/// Largest Ethernet frame the link carries (1500-byte MTU + 14-byte header).
pub const FRAME_MAX: usize = 1514;

/// The local ports a [`Machine`] hands out unless told otherwise (IANA's
/// dynamic range).
pub const EPHEMERAL_PORTS: RangeInclusive<u16> = 49152..=u16::MAX;

/// One direction of a link: the frames in flight, at most `limit`.
struct Lane {
    frames: VecDeque<Vec<u8>>,
    limit: usize,
}

impl Lane {
    /// Appends `frame`, dropping the oldest when the lane is full.
    fn push(&mut self, frame: Vec<u8>) {
        if self.frames.len() >= self.limit {
            self.frames.pop_front();
        }
        self.frames.push_back(frame);
    }
}

type Queue = Rc<RefCell<Lane>>;

/// One end of the link.
pub struct Port {
    rx: Queue,
    tx: Queue,
}

/// A new lossless link; frames sent on one port arrive at the other.
pub fn pair() -> (Port, Port) {
    bounded(usize::MAX)
}

/// A new link whose directions hold at most `limit` frames (at least 1)
/// each: a frame sent into a full direction drops the oldest.
pub fn bounded(limit: usize) -> (Port, Port) {
    let lane = || {
        Rc::new(RefCell::new(Lane {
            frames: VecDeque::new(),
            limit: limit.max(1),
        }))
    };
    let (a, b): (Queue, Queue) = (lane(), lane());
    (
        Port {
            rx: a.clone(),
            tx: b.clone(),
        },
        Port { rx: b, tx: a },
    )
}

impl Port {
    /// Whether frames wait to be received on this port.
    pub fn has_pending(&self) -> bool {
        !self.rx.borrow().frames.is_empty()
    }

    /// How many frames wait to be received on this port.
    pub fn pending(&self) -> usize {
        self.rx.borrow().frames.len()
    }

    /// Copies of the first `n` frames waiting on this port, oldest first.
    pub fn peek(&self, n: usize) -> Vec<Vec<u8>> {
        self.rx.borrow().frames.iter().take(n).cloned().collect()
    }

    /// Sends `frame` from this end as though its stack had transmitted it
    /// (a raw or crafted frame a test puts on the wire).
    pub fn send(&self, frame: Vec<u8>) {
        self.tx.borrow_mut().push(frame);
    }
}

/// Receive token: one frame taken off the queue.
pub struct RxToken(Vec<u8>);

/// Transmit token: appends one frame to the peer's queue.
pub struct TxToken(Queue);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push(frame);
        r
    }
}

impl Device for Port {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxToken, TxToken)> {
        let frame = self.rx.borrow_mut().frames.pop_front()?;
        Some((RxToken(frame), TxToken(self.tx.clone())))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxToken> {
        Some(TxToken(self.tx.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = FRAME_MAX;
        caps
    }
}

/// A smoltcp machine: one interface, its sockets, and the local ports its
/// connections take in turn. The device it is plugged into is handed to
/// each poll, so a caller may wrap it (impairments, a capture).
pub struct Machine {
    /// The interface.
    pub iface: Interface,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    ports: RangeInclusive<u16>,
    next_port: u16,
}

impl Machine {
    /// A machine with `mac` and address `ip` on `device`, its interface
    /// seeded with `seed` (smoltcp's default is 0).
    pub fn new<D: Device + ?Sized>(
        device: &mut D,
        mac: EthernetAddress,
        ip: IpCidr,
        seed: u64,
        now: Instant,
    ) -> Machine {
        let mut config = Config::new(mac.into());
        config.random_seed = seed;
        let mut iface = Interface::new(config, device, now);
        iface.update_ip_addrs(|a| {
            // One address into an empty list: it fits.
            let _ = a.push(ip);
        });
        Machine {
            iface,
            sockets: SocketSet::new(Vec::new()),
            ports: EPHEMERAL_PORTS,
            next_port: *EPHEMERAL_PORTS.start(),
        }
    }

    /// The same machine handing out local ports from `ports`, first to
    /// last, then from the first again.
    pub fn with_ports(mut self, ports: RangeInclusive<u16>) -> Machine {
        self.next_port = *ports.start();
        self.ports = ports;
        self
    }

    /// The next local port for a connection.
    pub fn take_port(&mut self) -> u16 {
        let local = self.next_port;
        self.next_port = if local >= *self.ports.end() {
            *self.ports.start()
        } else {
            local + 1
        };
        local
    }

    /// Opens a TCP connection to `remote` from the next local port, with
    /// `rx` and `tx` bytes of socket buffers; the socket joins the set only
    /// if the connection could be started.
    pub fn connect(
        &mut self,
        remote: impl Into<IpEndpoint>,
        rx: usize,
        tx: usize,
    ) -> Result<SocketHandle, tcp::ConnectError> {
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; rx]),
            tcp::SocketBuffer::new(vec![0; tx]),
        );
        let local = self.take_port();
        socket.connect(self.iface.context(), remote, local)?;
        Ok(self.sockets.add(socket))
    }

    /// A TCP socket of this machine.
    pub fn socket(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(handle)
    }

    /// Polls the interface on `device`; returns whether a socket changed.
    pub fn poll<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> bool {
        self.iface.poll(now, device, &mut self.sockets) == PollResult::SocketStateChanged
    }

    /// When the interface next needs polling.
    pub fn poll_at(&mut self, now: Instant) -> Option<Instant> {
        self.iface.poll_at(now, &self.sockets)
    }

    /// How long until the interface next needs polling.
    pub fn poll_delay(&mut self, now: Instant) -> Option<Duration> {
        self.iface.poll_delay(now, &self.sockets)
    }
}
