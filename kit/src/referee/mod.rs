//! The referee: an independent judge of the game protocol, client side, for
//! every client that checks a server (the simulator's netsim and relay/TAP
//! clients, the end-to-end tests).
//!
//! It keeps the game as the server should have it and checks each reply
//! against the rules of docs/PROTOCOL.md: the greeting first, then exactly
//! one reply per action, in order (pipelining allowed), none after the
//! final one (`continuar: false`); the player's piece lands at the bottom
//! of the chosen column, the CPU adds exactly one piece in a legal column
//! (unless the player just won or drew), no other cell changes and nothing
//! floats; wins and draws are declared exactly when four in a row / a full
//! board happen, and a finished game is forgotten; refused moves change
//! nothing; error replies carry their code, `continuar` as the protocol
//! says and the game untouched. Compact replies must carry the right event; classic replies
//! must carry the lecture's `mensaje`, drawing the board and naming the
//! outcome. A new game names its CPU level (the one asked for, or the
//! server's default); at `facil` and `dificil` the CPU must take an
//! immediate win and otherwise block the player's immediate win. Its four-in-a-row checker is written here, on purpose not
//! shared with `cuatro_core::game`.
//!
//! Two ways to drive it: say what each reply answers ([`Referee::greeting`],
//! [`Referee::after`], [`Referee::error_reply`]), or record each action as
//! it is sent ([`Referee::sent`]) and hand it the replies in order
//! ([`Referee::check`]).
//!
//! The files: this one the [`Referee`] type, what it keeps and how it is
//! driven; `board.rs` the board checks of its own (gravity, four in a row,
//! where a piece lands); `moves.rs` the judgement of a move's reply;
//! `mensaje.rs` the classic `mensaje`.

mod board;
mod mensaje;
mod moves;
#[cfg(test)]
mod tests;

pub use board::{
    check_gravity, has_four, is_full, landing_row, lines_of_four, open_columns, show, winner,
};
pub use mensaje::level_phrase;
pub use moves::winning_columns;

use crate::Received;
use cuatro_proto::{Action, Board, Codec, Error, Estado, Event, Level, COLS};
use std::collections::VecDeque;

type Check = Result<(), String>;

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// The judge of one connection.
#[derive(Debug, Clone)]
pub struct Referee {
    codec: Codec,
    /// The game as the server should have it (`None`: no game).
    game: Option<Board>,
    /// The CPU level of the current game, as the reply to
    /// `\juego_nuevo` named it.
    level: Option<Level>,
    /// The server's default level, when the caller knows it (`None`: a
    /// `\juego_nuevo` without `nivel` may get any level).
    default_level: Option<Level>,
    /// Whether the greeting was checked (or a reply to an action was).
    greeted: bool,
    /// Actions sent whose replies [`Referee::check`] still expects, in order.
    pending: VecDeque<Action>,
    replies: u64,
    results: Vec<Estado>,
    /// The server sent its final reply (`continuar: false`).
    closed: bool,
}

impl Referee {
    /// A referee for a fresh connection speaking `codec`: the greeting
    /// comes first.
    pub fn new(codec: Codec) -> Self {
        Referee {
            codec,
            game: None,
            level: None,
            default_level: None,
            greeted: false,
            pending: VecDeque::new(),
            replies: 0,
            results: Vec::new(),
            closed: false,
        }
    }

    /// This referee, expecting `level` for a `\juego_nuevo` without
    /// `nivel` (the server's configured default).
    pub fn with_default_level(mut self, level: Level) -> Self {
        self.default_level = Some(level);
        self
    }

    /// The CPU level of the current game (`None`: no game yet).
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// The codec of the connection.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The current game as the server should have it.
    pub fn game(&self) -> Option<&Board> {
        self.game.as_ref()
    }

    /// Whether a game is in progress.
    pub fn in_game(&self) -> bool {
        self.game.is_some()
    }

    /// Columns a move may go to now (none without a game).
    pub fn legal_columns(&self) -> Vec<u8> {
        match &self.game {
            Some(b) => open_columns(b).into_iter().map(|c| c as u8).collect(),
            None => Vec::new(),
        }
    }

    /// Full columns of the current game.
    pub fn full_columns(&self) -> Vec<usize> {
        match &self.game {
            Some(b) => (0..COLS).filter(|&c| landing_row(b, c).is_none()).collect(),
            None => Vec::new(),
        }
    }

    /// Replies checked so far (greeting included).
    pub fn replies(&self) -> u64 {
        self.replies
    }

    /// Replies still owed: the greeting until it came, and one for each
    /// action recorded with [`Referee::sent`].
    pub fn outstanding(&self) -> usize {
        self.pending.len() + usize::from(!self.greeted)
    }

    /// How the games finished on this connection ended, in order.
    pub fn results(&self) -> &[Estado] {
        &self.results
    }

    /// Whether the server sent its final reply (`continuar: false`): it
    /// closes next, and any further reply is wrong.
    pub fn closed(&self) -> bool {
        self.closed
    }

    // ------------------------------------------------------------ in order

    /// Records an action sent (pipelining allowed: [`Referee::check`] takes
    /// the replies in order).
    pub fn sent(&mut self, action: Action) {
        self.pending.push_back(action);
    }

    /// Checks the next reply: the greeting first, then the reply to the
    /// oldest action recorded with [`Referee::sent`]. The message explains
    /// the violation and shows both boards.
    pub fn check(&mut self, r: &Received) -> Check {
        let n = self.replies;
        let res = if self.closed {
            self.replies += 1;
            Err("a reply after the server's final reply (continuar: false)".into())
        } else if !self.greeted {
            self.greeting(r)
        } else {
            match self.pending.pop_front() {
                Some(action) => self.judge(&action, r),
                None => {
                    self.replies += 1;
                    Err("a reply to no action (duplicated or unsolicited)".into())
                }
            }
        };
        res.map_err(|e| {
            format!(
                "reply #{n}: {e}\n  got estado={:?} continuar={} error={:?} event={:?}\n  got board:\n{}  referee's board:\n{}",
                r.estado,
                r.continuar,
                r.error,
                r.event,
                show(&r.tablero),
                show(&self.game.unwrap_or_default())
            )
        })
    }

    // ------------------------------------------------------------ told what a reply answers

    /// Checks the greeting sent on connect.
    pub fn greeting(&mut self, r: &Received) -> Check {
        self.replies += 1;
        ensure(!self.greeted, || "a second greeting".into())?;
        self.greeted = true;
        ensure(r.continuar, || "greeting has continuar false".into())?;
        ensure(r.error.is_none(), || {
            format!("greeting carries error {:?}", r.error)
        })?;
        self.check_event(r, Event::Welcome)?;
        self.check_current(r)?;
        self.check_mensaje(r)
    }

    /// Checks the reply to `action` and advances the game.
    pub fn after(&mut self, action: &Action, r: &Received) -> Check {
        self.in_turn(action)?;
        self.judge(action, r)
    }

    /// Checks an error reply (to a payload that is no action): `code`,
    /// `continuar` as given, game untouched.
    pub fn error_reply(&mut self, r: &Received, code: Error, continuar: bool) -> Check {
        self.in_turn(&format!("an error {code:?}"))?;
        self.replies += 1;
        self.greeted = true;
        ensure(!self.closed, || {
            "a reply after the server's final reply (continuar: false)".into()
        })?;
        ensure(r.error == Some(code), || {
            format!("expected error {code:?}, got {:?}", r.error)
        })?;
        ensure(r.continuar == continuar, || {
            format!("expected continuar {continuar}, got {}", r.continuar)
        })?;
        self.closed = !continuar;
        self.check_event(r, Event::Failed)?;
        self.check_current(r)?;
        if let Some(m) = &r.mensaje {
            ensure(m.contains(code.code()) || code == Error::ServerFull, || {
                format!(
                    "mensaje does not name the error code {}: {m:?}",
                    code.code()
                )
            })?;
        }
        self.check_mensaje(r)
    }

    /// Checks a "server full" reply (a connection that got no session).
    pub fn server_full(r: &Received) -> Check {
        ensure(r.error == Some(Error::ServerFull), || {
            format!("expected server_full, got {:?}", r.error)
        })?;
        ensure(!r.continuar, || "server_full with continuar true".into())?;
        ensure(r.estado == Estado::SinJuego, || {
            format!("server_full with estado {:?}", r.estado)
        })?;
        ensure(r.tablero == Board::default(), || {
            "server_full with a non-empty board".into()
        })?;
        if let Some(m) = &r.mensaje {
            ensure(!m.trim().is_empty(), || {
                "server_full with an empty mensaje".into()
            })?;
        }
        Ok(())
    }

    /// A reply the caller attributes to `what` comes in its turn: not while
    /// replies to recorded actions are owed.
    fn in_turn(&self, what: &dyn std::fmt::Debug) -> Check {
        ensure(self.pending.is_empty(), || {
            format!(
                "a reply taken as the answer to {what:?} while {} recorded action(s) await theirs",
                self.pending.len()
            )
        })
    }

    /// Checks the reply to `action` (in its turn) and advances the game.
    fn judge(&mut self, action: &Action, r: &Received) -> Check {
        self.replies += 1;
        self.greeted = true;
        ensure(!self.closed, || {
            "a reply after the server's final reply (continuar: false)".into()
        })?;
        ensure(r.error.is_none(), || {
            format!("unexpected error {:?}", r.error)
        })?;
        match *action {
            Action::NewGame | Action::NewGameAt(_) => {
                ensure(r.continuar, || "continuar false".into())?;
                self.game = Some(Board::default());
                let want = match *action {
                    Action::NewGameAt(level) => Some(level),
                    _ => self.default_level,
                };
                self.level = Some(self.check_new_game(r, want)?);
                self.check_current(r)?;
            }
            Action::Quit => {
                ensure(!r.continuar, || {
                    "\\salir answered with continuar true".into()
                })?;
                self.check_event(r, Event::Goodbye)?;
                // The goodbye still describes the session's game.
                self.check_current(r)?;
                self.game = None;
                self.closed = true;
            }
            Action::Move(col) => self.check_move(col, r)?,
        }
        self.check_mensaje(r)
    }

    /// A game ended `estado`: recorded, and forgotten.
    fn finish(&mut self, estado: Estado) {
        self.results.push(estado);
        self.game = None;
    }

    /// The reply must describe the current game: `jugando` and its board,
    /// or `sin_juego` and an empty board.
    fn check_current(&self, r: &Received) -> Check {
        match &self.game {
            Some(b) => {
                ensure(r.estado == Estado::Jugando, || {
                    format!("estado {:?}, expected Jugando", r.estado)
                })?;
                ensure(r.tablero == *b, || {
                    format!(
                        "board changed; expected:\n{}got:\n{}",
                        show(b),
                        show(&r.tablero)
                    )
                })
            }
            None => {
                ensure(r.estado == Estado::SinJuego, || {
                    format!("estado {:?}, expected SinJuego", r.estado)
                })?;
                ensure(r.tablero == Board::default(), || {
                    format!("no game but the board is not empty:\n{}", show(&r.tablero))
                })
            }
        }
    }

    /// Compact replies carry the event: it must be `expected` (and so must
    /// any event a classic reply carries).
    fn check_event(&self, r: &Received, expected: Event) -> Check {
        match (self.codec, r.event) {
            (_, Some(e)) => ensure(e == expected, || {
                format!("event {e:?}, expected {expected:?}")
            }),
            (Codec::Compact, None) => Err("compact reply without an event".into()),
            (Codec::Classic, None) => Ok(()),
        }
    }
}
