//! Received frames through the [`Guard`], one at a time, with listeners
//! made for held SYNs.

use super::*;

impl<S: Storage> Server<'_, S> {
    /// Takes received packets one at a time through the [`Guard`]: after
    /// each SYN that went through, listeners are re-armed so several SYNs
    /// for one port arriving together each find one; a SYN for a port with
    /// no idle listener is held while a socket is made a listener for it
    /// ([`Server::make_listener`]), then replayed. Returns whether a packet
    /// was processed.
    pub(super) fn ingress<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) -> bool {
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
    pub(super) fn hold_ports(&self) -> ([u16; SERVICE_PORTS], usize) {
        let base = self.config.port_base;
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
        for port in self.config.game_ports() {
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
            UploadRole::Free | UploadRole::Resetting | UploadRole::Closing(..) => true,
        };
        if upload_waits {
            push(base.wrapping_add(2));
        }
        out
    }

    /// Records which connection each socket is in (for the [`Guard`]).
    pub(super) fn refresh_peers(&mut self) {
        for slot in self.slots.iter_mut() {
            slot.peer = slot
                .handle
                .and_then(|h| peer(self.sockets.get::<tcp::Socket>(h)));
        }
    }
}
