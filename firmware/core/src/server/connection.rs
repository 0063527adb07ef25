//! A connection's life on its socket: listen → serve → linger → reset.
//! Game connections are accepted (or refused, or given a seat by
//! eviction) and served here; the upload socket is served by
//! `upload_service.rs` and lingers and resets through the same
//! [`Server::finish_close`].

use super::*;

impl<S: Storage> Server<'_, S> {
    pub(super) fn service_slot(&mut self, i: usize, now: Instant) -> bool {
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
    pub(super) fn accept(
        &mut self,
        i: usize,
        handle: SocketHandle,
        port: u16,
        now: Instant,
    ) -> Role {
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
        let (codec, pvp) = self
            .config
            .service_for(port)
            .unwrap_or((Codec::Classic, false));
        let free = self
            .sessions
            .iter()
            .position(|s| s.is_none())
            .or_else(|| self.evict(newcomer, now));
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        match free.and_then(|k| self.sessions.get_mut(k).map(|s| (k, s))) {
            Some((k, entry)) => {
                self.next_seed = self.next_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut session = Session::new(codec, self.next_seed, now.total_millis() as u64)
                    .with_default_level(self.config.cpu_level);
                if pvp && u8::try_from(k).is_ok() {
                    session = session.with_pvp();
                }
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
    pub(super) fn evict(&mut self, newcomer: Option<Ipv4Address>, now: Instant) -> Option<usize> {
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
        release(self.sessions, self.pvp, k);
        self.stats.evicted = self.stats.evicted.wrapping_add(1);
        log_debug(format_args!("session {k} evicted for a newcomer"));
        Some(k)
    }

    /// A connected session: feed it what arrived, send what it answers.
    pub(super) fn serve(&mut self, i: usize, handle: SocketHandle, k: usize, now: Instant) -> Role {
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        let Some(Some(session)) = self.sessions.get_mut(k) else {
            socket.abort();
            return Role::Resetting;
        };
        let gone = matches!(
            socket.state(),
            State::Closed | State::TimeWait | State::Listen | State::SynSent | State::SynReceived
        );
        // Waiting for the opponent is not idleness.
        let seat = u8::try_from(k).ok().filter(|_| session.is_pvp());
        if seat.is_some_and(|seat| self.pvp.is_held(seat)) {
            session.touch(now.total_millis() as u64);
        }
        let idle_out = session
            .poll_timeout(self.config.idle_timeout)
            .is_some_and(|t| now >= instant_ms(t));
        if gone || idle_out {
            if !gone {
                self.stats.timed_out = self.stats.timed_out.wrapping_add(1);
                log_debug(format_args!("session {k} idle, reset"));
            }
            socket.abort();
            release(self.sessions, self.pvp, k);
            return Role::Resetting;
        }

        let room = reply_bound(session.codec());
        let now_ms = now.total_millis() as u64;
        let mut stalled = false;
        // Player vs player: a reply the opponent's move made due goes out
        // first; while this seat's reply is held its input waits.
        if let Some(seat) = seat {
            if socket.send_capacity().saturating_sub(socket.send_queue()) >= room {
                if let Some(reply) = self.pvp.take(seat) {
                    if let Some(frame) = session
                        .deliver(&reply, self.scratch)
                        .ok()
                        .and_then(|n| self.scratch.get(..n))
                    {
                        let _ = socket.send_slice(frame);
                        self.sent = true;
                    }
                    if !reply.continuar {
                        socket.close();
                        release(self.sessions, self.pvp, k);
                        return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
                    }
                }
            }
        }
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
            if seat.is_some_and(|seat| self.pvp.is_held(seat)) {
                // Its answer waits on the opponent; pipelined actions wait
                // in the socket, answered in order.
                break;
            }
            let scratch = &mut *self.scratch;
            let search = &mut *self.search;
            let pvp = &mut *self.pvp;
            let step = socket.recv(|buf| {
                let (n, out) = match seat {
                    Some(seat) => session.handle_pvp(buf, now_ms, scratch, seat, pvp),
                    None => session.handle(buf, now_ms, scratch, search),
                };
                (n, (n, out))
            });
            if seat.is_some() && self.pvp.has_mail() {
                // The opponent's reply is due: another round delivers it.
                self.sent = true;
            }
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
                        self.stats.replies = self.stats.replies.wrapping_add(1);
                    }
                    if close {
                        socket.close();
                        release(self.sessions, self.pvp, k);
                        return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
                    }
                }
                Output::Close => {
                    socket.close();
                    release(self.sessions, self.pvp, k);
                    return Role::Closing(now + CLOSE_LINGER, socket.send_queue());
                }
            }
        }
        // The client closed its half and everything it sent is answered
        // (a held player-vs-player reply is still to come).
        let held = seat.is_some_and(|seat| self.pvp.is_held(seat));
        if !socket.may_recv() && socket.recv_queue() == 0 && !held {
            socket.close();
            release(self.sessions, self.pvp, k);
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

    /// A closing socket, game or upload: reclaim it once the close
    /// completes, or once it makes no progress for [`CLOSE_LINGER`] (the
    /// client vanished).
    /// TIME-WAIT is cut short so the socket serves the next client.
    #[inline(never)] // two callers (game, upload): one copy
    pub(super) fn finish_close(
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
}

/// Frees session `k`; a player-vs-player one leaves its queue place or
/// match (the opponent is told).
pub(super) fn release(sessions: &mut [Option<Session>], pvp: &mut Matchmaker, k: usize) {
    if let Some(entry) = sessions.get_mut(k) {
        if entry.as_ref().is_some_and(Session::is_pvp) {
            if let Ok(seat) = u8::try_from(k) {
                pvp.leave(seat);
            }
        }
        *entry = None;
    }
}
