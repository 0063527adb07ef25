//! The upload socket (port base + 2): one upload at a time into the
//! [`Storage`].

use super::*;

/// The upload socket's state.
#[derive(Debug, Clone, Copy)]
pub(super) enum UploadRole {
    /// Not listening (no storage, or between connections).
    Free,
    /// Listening on the upload port.
    Listening,
    /// Receiving a file.
    Active(Upload),
    /// Reply sent, FIN queued: lingers like a game socket
    /// ([`Server::finish_close`]), with the bytes still unacknowledged.
    Closing(Instant, usize),
    /// Aborted; freed after the next interface poll.
    Resetting,
}

impl<S: Storage> Server<'_, S> {
    /// The upload port's one socket made a listener for a held SYN: its
    /// half-open connection is dropped; a socket done with its last upload
    /// (free, resetting, or closing with the reply delivered: our FIN
    /// acknowledged) listens at once. While the last reply is still
    /// unacknowledged the SYN is discarded instead: the client's
    /// retransmission finds the listener, and the last client keeps its
    /// `Gracias`. Returns the connection dropped, if one was.
    pub(super) fn make_upload_listener(&mut self, port: u16) -> Option<Peer> {
        let socket = self.sockets.get::<tcp::Socket>(self.upload_handle);
        let state = socket.state();
        let dropped = peer(socket);
        let reclaim = match self.upload_role {
            UploadRole::Listening => state != State::Listen,
            UploadRole::Free | UploadRole::Resetting => true,
            UploadRole::Closing(..) => {
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

    /// Runs the upload socket's state machine once; returns whether its role
    /// changed.
    pub(super) fn service_upload(&mut self, now: Instant) -> bool {
        let before = self.upload_role;
        if let UploadRole::Closing(deadline, queued) = before {
            // The same linger as a game connection's last reply.
            self.upload_role = match self.finish_close(self.upload_handle, deadline, queued, now) {
                Role::Closing(deadline, queued) => UploadRole::Closing(deadline, queued),
                _ => UploadRole::Resetting,
            };
            return !matches!(self.upload_role, UploadRole::Closing(..));
        }
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
                    if let Ok((n, _)) = step {
                        self.stats.upload_bytes = self.stats.upload_bytes.wrapping_add(n as u32);
                    }
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
                let stalled = up.poll_timeout(idle).is_some_and(|t| now >= instant_ms(t));
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
                    UploadRole::Closing(now + CLOSE_LINGER, socket.send_queue())
                } else if gone || stalled || !socket.may_recv() {
                    // Closed early, reset or stalled: only a failure record.
                    up.fail(storage);
                    self.stats.uploads_failed = self.stats.uploads_failed.wrapping_add(1);
                    socket.abort();
                    UploadRole::Resetting
                } else {
                    UploadRole::Active(up)
                }
            }
            // Handled above.
            UploadRole::Closing(deadline, queued) => UploadRole::Closing(deadline, queued),
        };
        !matches!(
            (before, self.upload_role),
            (UploadRole::Listening, UploadRole::Listening)
                | (UploadRole::Active(_), UploadRole::Active(_))
                | (UploadRole::Closing(..), UploadRole::Closing(..))
                | (UploadRole::Free, UploadRole::Free)
        )
    }
}
