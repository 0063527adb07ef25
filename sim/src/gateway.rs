//! The gateway: a smoltcp interface on the link's other end that relays
//! connections accepted on 127.0.0.1 to the board, like QEMU's `hostfwd`.

use crate::link::{Machine, Port};
use mio::net::TcpStream;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, Ipv4Address};
use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;

/// Gateway-side socket buffers of a game connection (each direction).
pub const GATEWAY_BUFFER: usize = 8 * 1024;
/// Gateway-side socket buffers of an upload connection (host-sized, so the
/// gateway is never what limits an upload).
pub const GATEWAY_UPLOAD_BUFFER: usize = 256 * 1024;

/// One relayed connection: a kernel TCP stream and a smoltcp socket.
struct Relay {
    stream: TcpStream,
    token: mio::Token,
    handle: SocketHandle,
    kernel_eof: bool,
    board_eof_sent: bool,
    kernel_shut: bool,
    /// The smoltcp socket was aborted; its RST goes out at the next poll,
    /// then the relay is dropped.
    aborting: bool,
    /// The kernel stream may have bytes to read (cleared on `WouldBlock`,
    /// set by a readiness event), so idle relays cost no system calls.
    readable: bool,
    /// The kernel stream may take more bytes (likewise).
    writable: bool,
    /// A readiness event said the client closed its half: keep reading
    /// until the end of stream, even after a short read (the FIN arrived
    /// with the data, so no later event will announce it).
    read_closed: bool,
    dead: bool,
}

/// The gateway interface and its relays.
pub struct Gateway {
    machine: Machine,
    relays: Vec<Relay>,
    board_ip: Ipv4Address,
}

impl Gateway {
    /// A gateway at `ip` on `port`'s link, relaying to `board_ip`.
    pub fn new(
        port: &mut Port,
        mac: EthernetAddress,
        ip: IpCidr,
        board_ip: Ipv4Address,
        now: Instant,
    ) -> Self {
        Gateway {
            machine: Machine::new(port, mac, ip, 0, now),
            relays: Vec::new(),
            board_ip,
        }
    }

    /// Relays a kernel connection to `board_port`.
    pub fn connect(
        &mut self,
        stream: TcpStream,
        token: mio::Token,
        board_port: u16,
    ) -> std::io::Result<()> {
        // Uploads flow towards the board: a big transmit buffer for them.
        let size = if crate::BOARD_PORTS.get(2) == Some(&board_port) {
            GATEWAY_UPLOAD_BUFFER
        } else {
            GATEWAY_BUFFER
        };
        let handle = self
            .machine
            .connect(
                (IpAddress::Ipv4(self.board_ip), board_port),
                GATEWAY_BUFFER,
                size,
            )
            .map_err(|e| std::io::Error::other(format!("connect to board: {e}")))?;
        self.machine.socket(handle).set_nagle_enabled(false);
        let _ = stream.set_nodelay(true);
        self.relays.push(Relay {
            stream,
            token,
            handle,
            kernel_eof: false,
            board_eof_sent: false,
            kernel_shut: false,
            aborting: false,
            readable: true,
            writable: true,
            read_closed: false,
            dead: false,
        });
        Ok(())
    }

    /// Polls the interface; returns whether any socket changed.
    pub fn poll(&mut self, now: Instant, port: &mut Port) -> bool {
        self.machine.poll(now, port)
    }

    /// When the interface next needs polling.
    pub fn poll_delay(&mut self, now: Instant) -> Option<smoltcp::time::Duration> {
        self.machine.poll_delay(now)
    }

    /// Moves bytes both ways on every relay; drops finished ones. Returns
    /// whether any byte moved or a relay ended, and the tokens of the ended
    /// relays' streams (for deregistration).
    pub fn relay(&mut self, registry: &mio::Registry) -> bool {
        let mut progress = false;
        for r in &mut self.relays {
            let socket = self.machine.socket(r.handle);
            progress |= pump(r, socket);
        }
        let before = self.relays.len();
        let sockets = &mut self.machine.sockets;
        self.relays.retain_mut(|r| {
            if r.dead {
                let _ = registry.deregister(&mut r.stream);
                sockets.remove(r.handle);
                false
            } else {
                true
            }
        });
        progress || self.relays.len() != before
    }

    /// Number of open relays.
    pub fn len(&self) -> usize {
        self.relays.len()
    }

    /// Whether no relay is open.
    pub fn is_empty(&self) -> bool {
        self.relays.is_empty()
    }

    /// Records a readiness event of the stream behind `token`
    /// (`read_closed`: the event said the client's FIN has arrived).
    pub fn ready(&mut self, token: mio::Token, readable: bool, writable: bool, read_closed: bool) {
        if let Some(r) = self.relays.iter_mut().find(|r| r.token == token) {
            r.readable |= readable || read_closed;
            r.writable |= writable;
            r.read_closed |= read_closed;
        }
    }

    /// Tokens in use (to pick a fresh one).
    pub fn has_token(&self, token: mio::Token) -> bool {
        self.relays.iter().any(|r| r.token == token)
    }
}

/// Moves what it can between one kernel stream and its smoltcp socket.
fn pump(r: &mut Relay, socket: &mut tcp::Socket) -> bool {
    if r.aborting {
        r.dead = true;
        return true;
    }
    let mut progress = false;
    // Board -> kernel: everything received, in one write even where the
    // socket's ring buffer wraps (two writes could hand a reader a frame
    // header in pieces, and the lecture's client reads the 4-byte length
    // with one `recv(4)`).
    let mut staged = [0u8; GATEWAY_BUFFER];
    while r.writable && socket.can_recv() {
        let n = match socket.peek_slice(&mut staged) {
            Ok(n) => n,
            Err(_) => {
                socket.abort();
                r.aborting = true;
                return true;
            }
        };
        let Some(chunk) = staged.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        match r.stream.write(chunk) {
            Ok(0) => break,
            Ok(written) => {
                progress = true;
                // Dequeue what went out (across the wrap too).
                if let Some(done) = staged.get_mut(..written) {
                    let _ = socket.recv_slice(done);
                }
                // A short write: the kernel's buffer is full; wait for
                // its readiness event instead of asking again.
                if written < n {
                    r.writable = false;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                r.writable = false;
                break;
            }
            Err(_) => {
                socket.abort();
                r.aborting = true;
                return true;
            }
        }
    }
    // Kernel -> board: read straight into the socket's transmit buffer, so
    // nothing is copied twice and nothing is read that the socket cannot take.
    while r.readable && !r.kernel_eof && socket.may_send() && socket.can_send() {
        let res = socket.send(|buf| match r.stream.read(buf) {
            Ok(n) => (n, Ok((n, buf.len()))),
            Err(e) => (0, Err(e)),
        });
        match res {
            Ok(Ok((0, _))) => {
                r.kernel_eof = true;
                progress = true;
            }
            Ok(Ok((n, offered))) => {
                progress = true;
                // A short read drained the kernel's buffer: new bytes (or a
                // FIN arriving later) bring a new edge-triggered readiness
                // event, so the `WouldBlock` read that would confirm it is
                // skipped (one system call less per request). A FIN that
                // came with the data was announced by the event already:
                // then read on to the end of stream.
                if n < offered && !r.read_closed {
                    r.readable = false;
                }
            }
            Ok(Err(e)) if e.kind() == ErrorKind::WouldBlock => {
                r.readable = false;
            }
            Ok(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
            Ok(Err(_)) | Err(_) => {
                socket.abort();
                r.aborting = true;
                return true;
            }
        }
    }
    if r.kernel_eof && !r.board_eof_sent {
        socket.close();
        r.board_eof_sent = true;
        progress = true;
    }
    // The board closed its side and everything reached the kernel.
    let state = socket.state();
    if state != tcp::State::SynSent && !socket.may_recv() && socket.recv_queue() == 0 {
        if !r.kernel_shut {
            let _ = r.stream.shutdown(Shutdown::Write);
            r.kernel_shut = true;
            progress = true;
        }
        match state {
            tcp::State::CloseWait => {
                socket.close();
                progress = true;
            }
            tcp::State::Closed | tcp::State::TimeWait => {
                r.dead = true;
                progress = true;
            }
            _ => {}
        }
    }
    progress
}
