//! Player vs player (SPEC.md, "Player vs player"): the matchmaker and its
//! matches, sans-IO.
//!
//! The lecture's client sends one action and blocks on its reply, so a
//! reply that depends on the opponent is *held*: `\juego_nuevo` is answered
//! once an opponent is found (the first to join moves first, and the
//! second's answer carries the first's opening move); a move is answered
//! once the opponent has answered it. A held reply is state here, never a
//! blocked caller: [`Matchmaker`] takes a seat's action and puts the
//! replies it makes due in the seats' outboxes; the driver sends an outbox
//! when the seat's socket has room ([`Matchmaker::take`]) and does not feed
//! a seat more input while its reply is held ([`Matchmaker::is_held`]):
//! pipelined actions wait in the socket, answered in order.
//!
//! A seat is the index of the session in the server's session table. Each
//! player sees its own stones as `X` ([`Cell::Player`]) and the opponent's
//! as `O`. A player who leaves ([`Matchmaker::leave`]: `\salir`, close,
//! reset, idle timeout, eviction) ends the game: the opponent's held reply,
//! or its next action's, says `ganaste` with error `opponent_left`.
//!
//! Memory: [`MATCHES`] matches of [`size_of::<Match>()`] bytes each and a
//! one-seat queue (a second player joining always makes a match), fixed;
//! with no free match the joiner is refused with `server_full`.

use crate::game::{Game, MoveError, Outcome};
use cuatro_proto::{Board, Cell, Error, Estado, Event, Refusal, Reply};

/// Matches the server can hold at once: every two sessions can play.
pub const MATCHES: usize = crate::server::SESSIONS / 2;

/// One side of a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Side {
    /// Its seat; `None` once it left or had its last reply.
    seat: Option<u8>,
    /// The reply it waits for, ready to send.
    outbox: Option<Reply>,
    /// Whether its reply is held (it acted; the answer waits on the
    /// opponent, or sits in `outbox`).
    held: bool,
    /// The column it played whose reply is held (`None` while its held
    /// reply is the second player's `\juego_nuevo`).
    pending: Option<u8>,
}

impl Side {
    const fn new(seat: u8) -> Side {
        Side {
            seat: Some(seat),
            outbox: None,
            held: true,
            pending: None,
        }
    }
}

/// A match between two seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The first player and the second.
    sides: [Side; 2],
    /// `Cell::Player` is the first player's stones, `Cell::Cpu` the second's.
    game: Game,
    /// Whether it is the second player's move.
    second_to_move: bool,
    /// The game is over (a win, a draw, or one side left): the match ends
    /// once both sides have had their last reply.
    over: bool,
}

impl Match {
    /// Side `first` (true: the first player) and its opponent.
    fn pair(&mut self, first: bool) -> (&mut Side, &mut Side) {
        let [a, b] = &mut self.sides;
        if first {
            (a, b)
        } else {
            (b, a)
        }
    }
}

/// The matchmaker: a queue of one and [`MATCHES`] matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matchmaker {
    waiting: Option<u8>,
    matches: [Option<Match>; MATCHES],
}

impl Default for Matchmaker {
    fn default() -> Self {
        Matchmaker::new()
    }
}

/// What a seat's action produced at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The reply to send now.
    Now(Reply),
    /// The reply is held (see [`Matchmaker::take`]).
    Held,
}

impl Matchmaker {
    /// No one waiting, no match.
    pub const fn new() -> Self {
        Matchmaker {
            waiting: None,
            matches: [None; MATCHES],
        }
    }

    /// `\juego_nuevo` from `seat`: leaves its current match or queue place
    /// (the opponent wins), then waits for an opponent or makes a match
    /// with the one waiting. Refused with `server_full` (the reply says so)
    /// when no match is free.
    pub fn join(&mut self, seat: u8) -> Answer {
        self.leave(seat);
        let Some(first) = self.waiting else {
            self.waiting = Some(seat);
            return Answer::Held;
        };
        let Some(slot) = self.matches.iter_mut().find(|m| m.is_none()) else {
            return Answer::Now(reply(
                Event::Failed,
                Estado::SinJuego,
                Board::default(),
                Some(Error::ServerFull),
            ));
        };
        self.waiting = None;
        let first_reply = reply(
            Event::Matched { opening: None },
            Estado::Jugando,
            Board::default(),
            None,
        );
        // The first player's `\juego_nuevo` waits in its outbox; the
        // second's waits for the opening move.
        let mut first = Side::new(first);
        first.outbox = Some(first_reply);
        *slot = Some(Match {
            sides: [first, Side::new(seat)],
            game: Game::new(),
            second_to_move: false,
            over: false,
        });
        Answer::Held
    }

    /// `\jugada col` from `seat`.
    pub fn play(&mut self, seat: u8, col: i64) -> Answer {
        let Some((m, first)) = self.find(seat) else {
            return Answer::Now(reply(
                Event::Refused(Refusal::NoGame),
                Estado::SinJuego,
                Board::default(),
                None,
            ));
        };
        let board = view(&m.game, first);
        let to_move = m.second_to_move != first;
        let over = m.over;
        let (me, them) = m.pair(first);
        if over {
            // The opponent left while it was this side's move.
            me.seat = None;
            self.tidy();
            return Answer::Now(reply(
                Event::Failed,
                Estado::Ganaste,
                board,
                Some(Error::OpponentLeft),
            ));
        }
        if !to_move || me.held {
            // Not reachable through a driver that holds input while a
            // reply is held; refused like a move without a game.
            let _ = them;
            return Answer::Now(reply(
                Event::Refused(Refusal::NoGame),
                Estado::Jugando,
                board,
                None,
            ));
        }
        let cell = if first { Cell::Player } else { Cell::Cpu };
        let outcome = match m.game.drop_piece(col, cell) {
            Err(MoveError::OutOfRange) => {
                return Answer::Now(reply(
                    Event::Refused(Refusal::OutOfRange(col)),
                    Estado::Jugando,
                    board,
                    None,
                ))
            }
            Err(MoveError::ColumnFull) => {
                let c = u8::try_from(col).unwrap_or(u8::MAX);
                return Answer::Now(reply(
                    Event::Refused(Refusal::ColumnFull(c)),
                    Estado::Jugando,
                    board,
                    None,
                ));
            }
            Ok(outcome) => outcome,
        };
        // Accepted, so in 0..7.
        let c = u8::try_from(col).unwrap_or(u8::MAX);
        let (mine, theirs) = match outcome {
            Outcome::Win => (Estado::Ganaste, Estado::Perdiste),
            Outcome::Draw => (Estado::Empate, Estado::Empate),
            Outcome::Continue => (Estado::Jugando, Estado::Jugando),
        };
        let my_board = view(&m.game, first);
        let their_board = view(&m.game, !first);
        m.second_to_move = first;
        if outcome != Outcome::Continue {
            m.over = true;
        }
        let (me, them) = m.pair(first);
        // The opponent's held reply: its own move (or its `\juego_nuevo`)
        // answered with this one.
        let event = match them.pending.take() {
            Some(p) => Event::Answered {
                player: p,
                opponent: Some(c),
            },
            None => Event::Matched { opening: Some(c) },
        };
        them.outbox = Some(reply(event, theirs, their_board, None));
        if outcome == Outcome::Continue {
            me.held = true;
            me.pending = Some(c);
            return Answer::Held;
        }
        // Game over: this side is answered at once, and is done.
        me.seat = None;
        self.tidy();
        Answer::Now(reply(
            Event::Answered {
                player: c,
                opponent: None,
            },
            mine,
            my_board,
            None,
        ))
    }

    /// `seat` is gone (`\salir`, closed, reset, timed out, evicted), or
    /// starts over: it leaves the queue or its match. The opponent's held
    /// reply, or else its next action's, says it won (`opponent_left`).
    pub fn leave(&mut self, seat: u8) {
        if self.waiting == Some(seat) {
            self.waiting = None;
        }
        if let Some((m, first)) = self.find(seat) {
            let their_board = view(&m.game, !first);
            let over = m.over;
            m.over = true;
            let (me, them) = m.pair(first);
            me.seat = None;
            if !over && them.held {
                them.outbox = Some(reply(
                    Event::Failed,
                    Estado::Ganaste,
                    their_board,
                    Some(Error::OpponentLeft),
                ));
            }
        }
        self.tidy();
    }

    /// Whether `seat`'s last action waits for its answer: the driver
    /// feeds it no more input until [`Matchmaker::take`] returns it.
    pub fn is_held(&self, seat: u8) -> bool {
        if self.waiting == Some(seat) {
            return true;
        }
        self.matches
            .iter()
            .flatten()
            .flat_map(|m| m.sides.iter())
            .any(|s| s.seat == Some(seat) && s.held)
    }

    /// Whether a reply is ready for some seat (the driver should come
    /// round to deliver it).
    pub fn has_mail(&self) -> bool {
        self.matches
            .iter()
            .flatten()
            .flat_map(|m| m.sides.iter())
            .any(|s| s.seat.is_some() && s.outbox.is_some())
    }

    /// The reply ready for `seat`, if any: the driver calls this when the
    /// seat's socket has room for a reply, and sends it. The seat is then
    /// no longer held.
    pub fn take(&mut self, seat: u8) -> Option<Reply> {
        let (m, first) = self.find(seat)?;
        let over = m.over;
        let (me, _) = m.pair(first);
        let out = me.outbox.take()?;
        me.held = false;
        if over {
            // That was its last reply of the game.
            me.seat = None;
        }
        self.tidy();
        Some(out)
    }

    /// Matches in play or waiting for their last reply.
    pub fn matches(&self) -> usize {
        self.matches.iter().flatten().count()
    }

    /// The match `seat` plays in, and whether it is the first player.
    fn find(&mut self, seat: u8) -> Option<(&mut Match, bool)> {
        self.matches.iter_mut().flatten().find_map(|m| {
            let [a, b] = &m.sides;
            let first = if a.seat == Some(seat) {
                true
            } else if b.seat == Some(seat) {
                false
            } else {
                return None;
            };
            Some((m, first))
        })
    }

    /// Frees matches both sides have left.
    fn tidy(&mut self) {
        for slot in self.matches.iter_mut() {
            if slot.is_some_and(|m| m.sides.iter().all(|s| s.seat.is_none())) {
                *slot = None;
            }
        }
    }
}

/// The board as a side sees it (`first`: the first player): its stones `X`.
fn view(game: &Game, first: bool) -> Board {
    let mut board = *game.board();
    if !first {
        for cell in board.cells.iter_mut().flatten() {
            *cell = match *cell {
                Cell::Player => Cell::Cpu,
                Cell::Cpu => Cell::Player,
                Cell::Empty => Cell::Empty,
            };
        }
    }
    board
}

fn reply(event: Event, estado: Estado, tablero: Board, error: Option<Error>) -> Reply {
    Reply {
        continuar: error.is_none_or(|e| !e.is_fatal()),
        estado,
        tablero,
        event,
        error,
    }
}

#[cfg(test)]
mod tests;
