//! The socket pool: which socket listens where, and which is made a
//! listener for a held SYN.

use super::*;

/// What a socket of the pool is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
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
    pub(super) handle: Option<SocketHandle>,
    pub(super) role: Role,
    /// The connection the socket is in, if any (for the [`Guard`]).
    pub(super) peer: Option<Peer>,
    /// When a listener's handshake began (SYN received), if one is under way.
    pub(super) half_open_since: Option<Instant>,
    /// Since when a session's replies wait for a client that does not read
    /// them (its input waits too: backpressure).
    pub(super) stalled_since: Option<Instant>,
}

impl Slot {
    /// A slot with no socket yet (the server fills it).
    pub const EMPTY: Slot = Slot {
        handle: None,
        role: Role::Free,
        peer: None,
        half_open_since: None,
        stalled_since: None,
    };
}

impl<S: Storage> Server<'_, S> {
    /// Puts every free socket to listen, balanced between the two game
    /// ports, so clients that connect at the same moment each find a
    /// listener; and moves an idle listener over when one port has none
    /// while the other has two or more. Returns whether a socket changed.
    pub(super) fn listen(&mut self) -> bool {
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
    pub(super) fn listen_on(&mut self, i: usize, handle: SocketHandle, port: u16) -> bool {
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

    /// Turns a socket into an idle listener on `port` for a held SYN: a
    /// free socket, else an idle listener of the other game port, else the
    /// oldest half-open connection, else the oldest closing socket. On the
    /// upload port, see [`Server::make_upload_listener`].
    /// Returns the connection dropped, if one was.
    pub(super) fn make_listener(&mut self, port: u16, now: Instant) -> Option<Peer> {
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

    /// When a listener's handshake began, if it may be recycled for a newer
    /// SYN: only a handshake under way (a completed connection not yet
    /// accepted is a client), and only once its SYN-ACK went out or since an
    /// earlier instant, so a burst of real clients arriving together is
    /// answered (the excess refused at once) rather than recycled unseen.
    pub(super) fn recyclable(&self, slot: &Slot, now: Instant) -> Option<Instant> {
        let socket = self.sockets.get::<tcp::Socket>(slot.handle?);
        if socket.state() != State::SynReceived {
            return None;
        }
        let since = slot.half_open_since.unwrap_or(now);
        (answered(self.guard, socket) || since < now).then_some(since)
    }

    pub(super) fn set_half_open(&mut self, i: usize, since: Option<Instant>) {
        if let Some(slot) = self.slots.get_mut(i) {
            slot.half_open_since = since;
        }
    }
}

/// Puts the socket at `handle` to listen on `port`, dropping any connection
/// without a packet, as a fresh member of the set: smoltcp keeps a socket's
/// neighbor wait (up to 1 s after a lookup for a sender that never answered
/// ARP) in the set's entry, not in the socket, and a reused entry would make
/// the next client's SYN-ACK wait for it. Returns the new handle and whether
/// the socket listens.
pub(super) fn relisten(
    sockets: &mut SocketSet<'_>,
    handle: SocketHandle,
    port: u16,
) -> (SocketHandle, bool) {
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

/// Whether a handshake's SYN-ACK went out (the guard has seen it).
pub(super) fn answered(guard: &Guard, socket: &tcp::Socket) -> bool {
    peer(socket).is_some_and(|p| guard.tracks(&p))
}

/// The connection a socket is in (remote address and port, local port), if
/// it is past `LISTEN`.
pub(super) fn peer(socket: &tcp::Socket) -> Option<Peer> {
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
