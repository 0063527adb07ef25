//! The sans-IO game session: bytes in, bytes out, time passed in.
//!
//! A [`Session`] owns one connection's frame decoder, its codec and its game.
//! It never touches a socket: a driver (the smoltcp server in
//! [`crate::server`], the std server on the kernel's TCP stack, a test) feeds
//! it received bytes and writes out the frames it produces.
//!
//! ```
//! use cuatro_core::session::{Output, Session, REPLY_CAPACITY};
//! use cuatro_proto::{frame, Codec, Estado, MAX_FRAME_LEN};
//!
//! # #[cfg(feature = "classic")] {
//! let mut session = Session::new(Codec::Classic, 1, 0);
//! // The CPU's search scratch: one per server, lent to the session that moves.
//! let mut search = cuatro_core::cpu::Search::new();
//! let mut out = [0u8; REPLY_CAPACITY];
//! let greeting_len = session.greet(&mut out).unwrap();
//! assert!(greeting_len > 4);
//!
//! // The client asks for a new game; the request arrives in one segment.
//! let mut request = [0u8; 64];
//! let payload = br#"{"tipo": "\\juego_nuevo"}"#;
//! let n = frame::encode_frame(payload, &mut request).unwrap();
//! let (consumed, output) = session.handle(&request[..n], 10, &mut out, &mut search);
//! assert_eq!(consumed, n);
//! let Output::Reply { len, close } = output else { panic!() };
//! assert!(!close);
//! let reply = cuatro_proto::classic::decode_reply(&out[4..len]).unwrap();
//! assert_eq!(reply.estado, Estado::Jugando);
//! # }
//! ```
//!
//! A session whose codec is left out of the build (cargo feature `classic`
//! or `compact` off) cannot say anything: [`Session::greet`] fails with
//! [`Error::CodecDisabled`] and closes the session, and a driver drops the
//! connection (the smoltcp server resets it).

use crate::admission::Admission;
use crate::cpu::{self, Level, Rng, Search};
use crate::game::{Game, MoveError, Outcome};
use crate::pvp::{Answer, Matchmaker};
use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{
    Action, Board, Cell, Codec, Error, Estado, Event, Refusal, Reply, HEADER_LEN, MAX_FRAME,
};
use smoltcp::time::Duration;

/// Bytes a driver must offer [`Session::handle`] and [`Session::greet`] for
/// one reply frame: the largest reply either codec can produce, plus header.
pub const REPLY_CAPACITY: usize = HEADER_LEN + MAX_REPLY_PAYLOAD;

/// Largest reply payload of either codec (a codec left out of the build
/// counts as [`cuatro_proto::DISABLED_REPLY_PAYLOAD`]).
pub const MAX_REPLY_PAYLOAD: usize = max(
    Codec::Classic.max_reply_payload(),
    Codec::Compact.max_reply_payload(),
);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}

/// Largest reply frame for `codec`: a driver may feed a session only when at
/// least this much room is free in its transmit buffer (backpressure).
pub const fn reply_bound(codec: Codec) -> usize {
    HEADER_LEN + codec.max_reply_payload()
}

/// What [`Session::handle`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nothing yet: the bytes were a partial frame.
    Nothing,
    /// A reply frame of `len` bytes is at the start of the output buffer.
    /// When `close` is set, the driver sends it and then closes the
    /// connection; the session takes no further input.
    Reply {
        /// Length of the frame written to the output buffer.
        len: usize,
        /// Close the connection after sending this frame.
        close: bool,
    },
    /// Close without a reply (only when the output buffer was too small).
    Close,
}

/// One client's game session.
#[derive(Debug)]
pub struct Session {
    codec: Codec,
    decoder: FrameDecoder<MAX_FRAME>,
    game: Option<Game>,
    /// The CPU level of the current game.
    level: Level,
    /// The level of a `\juego_nuevo` without `nivel`.
    default_level: Level,
    rng: Rng,
    /// When the connection was greeted.
    connected_ms: u64,
    /// When the last whole frame arrived (`connected_ms` before the first).
    last_action_ms: u64,
    /// Whether a whole frame has arrived.
    acted: bool,
    /// When the first byte of the frame under way arrived.
    frame_started_ms: Option<u64>,
    closed: bool,
    /// A player-vs-player session ([`crate::pvp`]): its games live in the
    /// server's matchmaker, not here.
    pvp: bool,
}

impl Session {
    /// A fresh session speaking `codec`; `seed` seeds its CPU player and
    /// `now_ms` starts its idle clock.
    pub const fn new(codec: Codec, seed: u64, now_ms: u64) -> Self {
        Session {
            codec,
            decoder: FrameDecoder::new(),
            game: None,
            level: Level::Aleatorio,
            default_level: Level::Aleatorio,
            rng: Rng::new(seed),
            connected_ms: now_ms,
            last_action_ms: now_ms,
            acted: false,
            frame_started_ms: None,
            closed: false,
            pvp: false,
        }
    }

    /// This session on a player-vs-player port: it plays through a
    /// [`Matchmaker`] ([`Session::handle_pvp`]), not against the CPU. In a
    /// build without the `pvp` feature it stays a CPU session.
    #[must_use]
    pub const fn with_pvp(mut self) -> Self {
        self.pvp = cfg!(feature = "pvp");
        self
    }

    /// Whether this is a player-vs-player session (always `false` without
    /// the `pvp` feature).
    pub const fn is_pvp(&self) -> bool {
        cfg!(feature = "pvp") && self.pvp
    }

    /// The session is waiting for its opponent (its reply is held): the
    /// wait is not idleness, so the idle timeout and the admission policy
    /// count from now.
    pub fn touch(&mut self, now_ms: u64) {
        self.last_action_ms = self.last_action_ms.max(now_ms);
    }

    /// Encodes `reply` (one the [`Matchmaker`] made for this session) as a
    /// frame in this session's codec.
    pub fn deliver(&self, reply: &Reply, out: &mut [u8]) -> Result<usize, Error> {
        encode(self.codec, reply, out)
    }

    /// This session with `level` as the CPU level of a `\juego_nuevo`
    /// that names none (the server's default; [`Level::Aleatorio`] unless
    /// set). A level this build leaves out ([`cpu::available`]) is
    /// [`Level::Aleatorio`].
    #[must_use]
    pub const fn with_default_level(mut self, level: Level) -> Self {
        self.default_level = if cpu::available(level) {
            level
        } else {
            Level::Aleatorio
        };
        self
    }

    /// The CPU level of the current (or last) game.
    pub const fn level(&self) -> Level {
        self.level
    }

    /// The codec this session speaks.
    pub const fn codec(&self) -> Codec {
        self.codec
    }

    /// Whether the session has ended (after `\salir` or a framing error).
    pub const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Time of the last completed action (a whole frame), or of the
    /// connection before the first, in milliseconds. Bytes of a frame still
    /// incomplete do not count: trickling buys no time.
    pub const fn last_action_ms(&self) -> u64 {
        self.last_action_ms
    }

    /// When the session next needs its driver without input, in
    /// milliseconds: it idles out at its last action plus `idle`, and the
    /// driver closes the connection then. `None` once closed. (The
    /// driver contract: see the crate docs.)
    pub const fn poll_timeout(&self, idle: Duration) -> Option<u64> {
        if self.closed {
            return None;
        }
        Some(self.last_action_ms.saturating_add(idle.total_millis()))
    }

    /// Whether, at `now_ms`, this session may be evicted for a newcomer
    /// under `policy` (see [`crate::admission`]): no first action in time,
    /// a frame incomplete too long, or a last action older than the
    /// player's grace.
    pub fn evictable(&self, now_ms: u64, policy: &Admission) -> bool {
        let since = |t: u64| now_ms.saturating_sub(t);
        let silent_newcomer =
            !self.acted && since(self.connected_ms) >= policy.first_action.total_millis();
        let stuck_frame = self
            .frame_started_ms
            .is_some_and(|t| since(t) >= policy.frame_deadline.total_millis());
        let gone_quiet = since(self.last_action_ms) >= policy.player_grace.total_millis();
        silent_newcomer || stuck_frame || gone_quiet
    }

    /// Whether a frame is partly received.
    pub fn mid_frame(&self) -> bool {
        !self.decoder.is_idle()
    }

    /// Writes the greeting frame sent on connect (no game yet).
    ///
    /// On error nothing is to be sent and the session is closed: the
    /// driver drops the connection. That is always the case for a codec
    /// left out of the build ([`Error::CodecDisabled`]).
    pub fn greet(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let welcome = if self.is_pvp() {
            Event::WelcomePvp
        } else {
            Event::Welcome
        };
        let reply = self.reply(welcome, true, None);
        let greeting = encode(self.codec, &reply, out);
        if greeting.is_err() {
            self.closed = true;
        }
        greeting
    }

    /// Feeds received bytes. Consumes them up to the end of the first
    /// complete frame and answers it into `out` (which should hold
    /// [`REPLY_CAPACITY`] bytes). Call again with the rest.
    ///
    /// `search` is the CPU's scratch ([`cpu::Search`]): a driver owns one
    /// and lends it to whichever session it feeds (a `dificil` move uses
    /// it; its cost is bounded by the search's node budget).
    ///
    /// Returns the number of bytes consumed and what was produced. Never
    /// panics, whatever the bytes.
    pub fn handle(
        &mut self,
        input: &[u8],
        now_ms: u64,
        out: &mut [u8],
        search: &mut Search,
    ) -> (usize, Output) {
        self.handle_with(input, now_ms, out, |s, action| Some(s.act(action, search)))
    }

    /// [`Session::handle`] for a player-vs-player session: the action goes
    /// to `matchmaker` for this session's `seat` (its index in the
    /// driver's session table). A reply the opponent's move decides is
    /// held: `Output::Nothing` with the frame consumed, and
    /// [`Matchmaker::is_held`] true; the driver then feeds no more input and
    /// sends the reply when [`Matchmaker::take`] gives it.
    pub fn handle_pvp(
        &mut self,
        input: &[u8],
        now_ms: u64,
        out: &mut [u8],
        seat: u8,
        matchmaker: &mut Matchmaker,
    ) -> (usize, Output) {
        self.handle_with(input, now_ms, out, |s, action| {
            s.act_pvp(action, seat, matchmaker)
        })
    }

    /// Decodes one frame of `input` and answers it with `act` (`None`: no
    /// reply now).
    fn handle_with(
        &mut self,
        input: &[u8],
        now_ms: u64,
        out: &mut [u8],
        act: impl FnOnce(&mut Self, Action) -> Option<(Reply, bool)>,
    ) -> (usize, Output) {
        if self.closed {
            return (0, Output::Nothing);
        }
        let codec = self.codec;
        let was_idle = self.decoder.is_idle();
        let (consumed, decoded) = self.decoder.feed(input);
        if !matches!(decoded, Ok(None)) {
            // A whole frame (or a framing error): an action.
            self.acted = true;
            self.last_action_ms = now_ms;
            self.frame_started_ms = None;
        }
        let (reply, close) = match decoded {
            Ok(None) => {
                if was_idle && consumed > 0 {
                    self.frame_started_ms = Some(now_ms);
                }
                return (consumed, Output::Nothing);
            }
            Ok(Some(payload)) => match codec.decode_action(payload) {
                Ok(action) => match act(self, action) {
                    Some(answer) => answer,
                    None => return (consumed, Output::Nothing),
                },
                // A fatal decode error (`CodecDisabled`) ends the session.
                Err(e) => (
                    self.reply(Event::Failed, !e.is_fatal(), Some(e)),
                    e.is_fatal(),
                ),
            },
            Err(e) => (self.reply(Event::Failed, false, Some(e)), true),
        };
        if close {
            self.closed = true;
        }
        match encode(codec, &reply, out) {
            Ok(len) => (consumed, Output::Reply { len, close }),
            Err(_) => {
                self.closed = true;
                (consumed, Output::Close)
            }
        }
    }

    /// Applies one action to the game; returns the reply and whether to close.
    fn act(&mut self, action: Action, search: &mut Search) -> (Reply, bool) {
        match action {
            Action::NewGame => (self.new_game(self.default_level), false),
            Action::NewGameAt(level) if cpu::available(level) => (self.new_game(level), false),
            // A level this build leaves out: refused, like an unknown one.
            Action::NewGameAt(_) => (
                self.reply(Event::Failed, true, Some(Error::BadLevel)),
                false,
            ),
            Action::Quit => {
                let reply = self.reply(Event::Goodbye, false, None);
                self.game = None;
                (reply, true)
            }
            Action::Move(col) => (self.play(col, search), false),
        }
    }

    /// A player-vs-player action; `None` when its reply is held.
    fn act_pvp(
        &mut self,
        action: Action,
        seat: u8,
        matchmaker: &mut Matchmaker,
    ) -> Option<(Reply, bool)> {
        let answer = match action {
            // `nivel` means nothing here: the opponent is a person.
            Action::NewGame | Action::NewGameAt(_) => matchmaker.join(seat),
            Action::Move(col) => matchmaker.play(seat, col),
            Action::Quit => {
                matchmaker.leave(seat);
                return Some((self.reply(Event::Goodbye, false, None), true));
            }
        };
        match answer {
            Answer::Now(reply) => Some((reply, !reply.continuar)),
            Answer::Held => None,
        }
    }

    fn new_game(&mut self, level: Level) -> Reply {
        self.game = Some(Game::new());
        self.level = level;
        self.reply(Event::new_game(level), true, None)
    }

    fn play(&mut self, col: i64, search: &mut Search) -> Reply {
        let Some(mut game) = self.game else {
            return self.reply(Event::Refused(Refusal::NoGame), true, None);
        };
        let player = match game.drop_piece(col, Cell::Player) {
            Err(MoveError::OutOfRange) => {
                return self.reply(Event::Refused(Refusal::OutOfRange(col)), true, None)
            }
            Err(MoveError::ColumnFull) => {
                let c = u8::try_from(col).unwrap_or(u8::MAX);
                return self.reply(Event::Refused(Refusal::ColumnFull(c)), true, None);
            }
            Ok(outcome) => outcome,
        };
        // `col` was accepted, so it is in 0..7.
        let player_col = u8::try_from(col).unwrap_or(u8::MAX);
        let (estado, cpu) = match player {
            Outcome::Win => (Estado::Ganaste, None),
            Outcome::Draw => (Estado::Empate, None),
            Outcome::Continue => match cpu::choose(self.level, &game, &mut self.rng, search) {
                // Cannot happen: a board that is not full has a legal column.
                None => (Estado::Empate, None),
                Some(c) => match game.drop_piece(i64::from(c), Cell::Cpu) {
                    Ok(Outcome::Win) => (Estado::Perdiste, Some(c)),
                    Ok(Outcome::Draw) => (Estado::Empate, Some(c)),
                    Ok(Outcome::Continue) | Err(_) => (Estado::Jugando, Some(c)),
                },
            },
        };
        let reply = Reply {
            continuar: true,
            estado,
            tablero: *game.board(),
            event: Event::Played {
                player: player_col,
                cpu,
            },
            error: None,
        };
        // A finished game is forgotten; `\juego_nuevo` starts another.
        self.game = (estado == Estado::Jugando).then_some(game);
        reply
    }

    /// A reply describing the current game.
    fn reply(&self, event: Event, continuar: bool, error: Option<Error>) -> Reply {
        Reply {
            continuar,
            estado: if self.game.is_some() {
                Estado::Jugando
            } else {
                Estado::SinJuego
            },
            tablero: self.game.map(|g| *g.board()).unwrap_or_default(),
            event,
            error,
        }
    }
}

/// Encodes `reply` as one frame for `codec` into `out`.
pub fn encode(codec: Codec, reply: &Reply, out: &mut [u8]) -> Result<usize, Error> {
    encode_frame_with(out, |payload| codec.encode_reply(reply, payload))
}

/// The frame sent to a client that connects when every session is taken.
pub fn server_full(codec: Codec, out: &mut [u8]) -> Result<usize, Error> {
    closing_error(codec, Error::ServerFull, out)
}

impl Session {
    /// The last frame of a session evicted for a newcomer (see
    /// [`crate::admission`]): error `evicted`, `continuar: false`, with the
    /// session's board. The session takes no further input.
    pub fn evict(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        self.closed = true;
        let reply = self.reply(Event::Failed, false, Some(Error::Evicted));
        encode(self.codec, &reply, out)
    }
}

/// A final error frame (`continuar: false`, no game) for `codec`.
fn closing_error(codec: Codec, error: Error, out: &mut [u8]) -> Result<usize, Error> {
    let reply = Reply {
        continuar: false,
        estado: Estado::SinJuego,
        tablero: Board::default(),
        event: Event::Failed,
        error: Some(error),
    };
    encode(codec, &reply, out)
}
