//! An independent referee for the game protocol, client side.
//!
//! It keeps its own model of the board (it does not reuse
//! `cuatro_core::game`) and checks every reply against the action that
//! caused it: the greeting first, then exactly one reply per action, in
//! order; the player's piece lands at the bottom of the chosen column; the
//! CPU adds exactly one piece at the bottom of some column unless the
//! player just won or drew; wins and draws are declared exactly when they
//! happen; refused moves leave everything unchanged.

use cuatro_proto::{Action, Board, Cell, Estado, Event, Refusal};
use cuatro_proto::{COLS, ROWS};
use std::collections::VecDeque;

/// A reply as the referee sees it: the clients' one reply type.
pub use cuatro_kit::Received as Seen;

/// Decodes one reply payload (no frame header) in `codec`, the error
/// showing the payload.
pub use cuatro_kit::reply::decode_shown as decode_seen;

/// What the referee expects the next reply to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Action(Action),
}

/// The referee of one connection.
#[derive(Debug, Clone)]
pub struct Referee {
    board: Board,
    in_game: bool,
    pending: VecDeque<Expect>,
    replies: u64,
    results: Vec<Estado>,
    closed: bool,
}

impl Default for Referee {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `cell` has four in a row on `board` (independent of the core).
pub fn has_four(board: &Board, cell: Cell) -> bool {
    let at = |r: i32, c: i32| -> bool {
        r >= 0
            && c >= 0
            && (r as usize) < ROWS
            && (c as usize) < COLS
            && board.cells[r as usize][c as usize] == cell
    };
    for r in 0..ROWS as i32 {
        for c in 0..COLS as i32 {
            for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                if (0..4).all(|k| at(r + k * dr, c + k * dc)) {
                    return true;
                }
            }
        }
    }
    false
}

/// Whether no cell is empty.
pub fn is_full(board: &Board) -> bool {
    board.cells.iter().flatten().all(|c| *c != Cell::Empty)
}

/// The row a piece dropped in `col` lands on, if the column has room.
pub fn landing_row(board: &Board, col: usize) -> Option<usize> {
    (0..ROWS)
        .rev()
        .find(|&r| board.cells.get(r).and_then(|row| row.get(col)) == Some(&Cell::Empty))
}

fn draw(board: &Board) -> String {
    let mut s = String::new();
    for row in &board.cells {
        s.push('|');
        for c in row {
            s.push(c.as_char() as char);
        }
        s.push_str("|\n");
    }
    s
}

impl Referee {
    /// A fresh connection: the greeting comes first.
    pub fn new() -> Self {
        let mut pending = VecDeque::new();
        pending.push_back(Expect::Greeting);
        Referee {
            board: Board::default(),
            in_game: false,
            pending,
            replies: 0,
            results: Vec::new(),
            closed: false,
        }
    }

    /// Records an action sent (pipelining allowed: replies must come in order).
    pub fn sent(&mut self, action: Action) {
        self.pending.push_back(Expect::Action(action));
    }

    /// Replies still owed by the server.
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }

    /// Replies checked so far.
    pub fn replies(&self) -> u64 {
        self.replies
    }

    /// The referee's own board.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// Whether a game is in progress.
    pub fn in_game(&self) -> bool {
        self.in_game
    }

    /// Results of the games finished on this connection, in order.
    pub fn results(&self) -> &[Estado] {
        &self.results
    }

    /// Whether the server said `continuar: false` (it closes next).
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Columns with room (the legal moves) of the current game.
    pub fn legal_columns(&self) -> Vec<u8> {
        (0..COLS)
            .filter(|&c| landing_row(&self.board, c).is_some())
            .map(|c| c as u8)
            .collect()
    }

    /// Checks one reply, in order. The message explains the violation.
    pub fn check(&mut self, seen: &Seen) -> Result<(), String> {
        let n = self.replies;
        self.replies += 1;
        let res = self.check_inner(seen);
        res.map_err(|e| {
            format!(
                "reply #{n}: {e}\n  got estado={:?} continuar={} error={:?} event={:?}\n  got board:\n{}  referee's board:\n{}",
                seen.estado,
                seen.continuar,
                seen.error,
                seen.event,
                draw(&seen.tablero),
                draw(&self.board)
            )
        })
    }

    fn check_inner(&mut self, seen: &Seen) -> Result<(), String> {
        if self.closed {
            return Err("a reply after the server's final reply (continuar: false)".into());
        }
        let expect = self
            .pending
            .pop_front()
            .ok_or("a reply to no action (duplicated or unsolicited)")?;
        if seen.error.is_some() {
            return Err(format!("unexpected error reply {:?}", seen.error));
        }
        let event_is = |want: Event| -> Result<(), String> {
            match seen.event {
                Some(got) if got != want => Err(format!("event {got:?}, expected {want:?}")),
                _ => Ok(()),
            }
        };
        match expect {
            Expect::Greeting => {
                event_is(Event::Welcome)?;
                self.expect_state(seen, true, Estado::SinJuego, &Board::default())
            }
            Expect::Action(Action::NewGame) => {
                event_is(Event::NewGame)?;
                self.board = Board::default();
                self.in_game = true;
                self.expect_state(seen, true, Estado::Jugando, &Board::default())
            }
            Expect::Action(Action::Quit) => {
                event_is(Event::Goodbye)?;
                let estado = if self.in_game {
                    Estado::Jugando
                } else {
                    Estado::SinJuego
                };
                let board = if self.in_game {
                    self.board
                } else {
                    Board::default()
                };
                self.expect_state(seen, false, estado, &board)?;
                self.in_game = false;
                self.board = Board::default();
                self.closed = true;
                Ok(())
            }
            Expect::Action(Action::Move(col)) => self.check_move(seen, col),
        }
    }

    fn expect_state(
        &self,
        seen: &Seen,
        continuar: bool,
        estado: Estado,
        board: &Board,
    ) -> Result<(), String> {
        if seen.continuar != continuar {
            return Err(format!("continuar should be {continuar}"));
        }
        if seen.estado != estado {
            return Err(format!("estado should be {estado:?}"));
        }
        if seen.tablero != *board {
            return Err("board differs from the referee's".into());
        }
        if let Some(m) = &seen.mensaje {
            if m.is_empty() {
                return Err("empty mensaje".into());
            }
        }
        Ok(())
    }

    fn check_move(&mut self, seen: &Seen, col: i64) -> Result<(), String> {
        let current = if self.in_game {
            Estado::Jugando
        } else {
            Estado::SinJuego
        };
        let before = self.board;
        // Refusals: nothing changes.
        let refusal = if !self.in_game {
            Some(Refusal::NoGame)
        } else if !(0..COLS as i64).contains(&col) {
            Some(Refusal::OutOfRange(col))
        } else if landing_row(&before, col as usize).is_none() {
            Some(Refusal::ColumnFull(col as u8))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if let Some(got) = seen.event {
                if got != Event::Refused(refusal) {
                    return Err(format!("event {got:?}, expected refusal {refusal:?}"));
                }
            }
            let board = if self.in_game {
                before
            } else {
                Board::default()
            };
            return self.expect_state(seen, true, current, &board);
        }
        let c = col as usize;
        let mut after = before;
        let row = landing_row(&before, c).ok_or("no room (checked above)")?;
        after.cells[row][c] = Cell::Player;
        if seen.event.is_some() {
            if let Some(Event::Played { player, .. }) = seen.event {
                if usize::from(player) != c {
                    return Err(format!("event says player column {player}, played {c}"));
                }
            } else {
                return Err(format!("event {:?}, expected Played", seen.event));
            }
        }
        let player_won = has_four(&after, Cell::Player);
        if player_won || is_full(&after) {
            // The CPU must not move.
            let estado = if player_won {
                Estado::Ganaste
            } else {
                Estado::Empate
            };
            if let Some(Event::Played { cpu: Some(k), .. }) = seen.event {
                return Err(format!("the CPU moved ({k}) after the game ended"));
            }
            self.expect_state(seen, true, estado, &after)
                .map_err(|e| format!("after the player's move in {c}: {e}"))?;
            self.finish(estado);
            return Ok(());
        }
        // Exactly one new CPU piece, resting on the bottom of its column.
        let mut added = Vec::new();
        for r in 0..ROWS {
            for k in 0..COLS {
                let (was, is) = (after.cells[r][k], seen.tablero.cells[r][k]);
                if was != is {
                    if was != Cell::Empty || is != Cell::Cpu {
                        return Err(format!("cell ({r},{k}) changed from {:?} to {is:?}", was));
                    }
                    added.push((r, k));
                }
            }
        }
        let [(r, k)] = added[..] else {
            return Err(format!(
                "the CPU should add exactly one piece, added {}",
                added.len()
            ));
        };
        if landing_row(&after, k) != Some(r) {
            return Err(format!("the CPU's piece floats at ({r},{k})"));
        }
        if let Some(Event::Played { cpu, .. }) = seen.event {
            if cpu != Some(k as u8) {
                return Err(format!("event says CPU column {cpu:?}, board says {k}"));
            }
        }
        after.cells[r][k] = Cell::Cpu;
        let estado = if has_four(&after, Cell::Cpu) {
            Estado::Perdiste
        } else if is_full(&after) {
            Estado::Empate
        } else {
            Estado::Jugando
        };
        self.expect_state(seen, true, estado, &after)?;
        if estado == Estado::Jugando {
            self.board = after;
        } else {
            self.finish(estado);
        }
        Ok(())
    }

    fn finish(&mut self, estado: Estado) {
        self.results.push(estado);
        self.in_game = false;
        self.board = Board::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(estado: Estado, board: Board) -> Seen {
        Seen {
            continuar: true,
            estado,
            tablero: board,
            error: None,
            event: None,
            mensaje: None,
        }
    }

    #[test]
    fn checks_a_move_and_catches_floating_or_double_pieces() {
        let mut r = Referee::new();
        assert!(r.check(&seen(Estado::SinJuego, Board::default())).is_ok());
        r.sent(Action::NewGame);
        assert!(r.check(&seen(Estado::Jugando, Board::default())).is_ok());

        let mut good = Board::default();
        good.cells[5][3] = Cell::Player;
        good.cells[5][0] = Cell::Cpu;
        let mut r2 = r.clone();
        r2.sent(Action::Move(3));
        assert!(r2.check(&seen(Estado::Jugando, good)).is_ok());

        let mut floating = good;
        floating.cells[5][0] = Cell::Empty;
        floating.cells[4][0] = Cell::Cpu;
        let mut r3 = r.clone();
        r3.sent(Action::Move(3));
        assert!(r3.check(&seen(Estado::Jugando, floating)).is_err());

        let mut double = good;
        double.cells[5][1] = Cell::Cpu;
        let mut r4 = r.clone();
        r4.sent(Action::Move(3));
        assert!(r4.check(&seen(Estado::Jugando, double)).is_err());

        // An unsolicited (duplicated) reply.
        assert!(r2.check(&seen(Estado::Jugando, good)).is_err());
    }

    #[test]
    fn four_in_a_row_in_every_direction() {
        let mut b = Board::default();
        for k in 0..4 {
            b.cells[5 - k][k] = Cell::Cpu;
        }
        assert!(has_four(&b, Cell::Cpu));
        assert!(!has_four(&b, Cell::Player));
        let mut v = Board::default();
        for r in 2..6 {
            v.cells[r][6] = Cell::Player;
        }
        assert!(has_four(&v, Cell::Player));
    }
}
