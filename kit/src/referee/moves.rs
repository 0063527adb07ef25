//! The judgement of a move's reply: the player's piece where it lands, at
//! most one CPU piece where a piece would land, nothing else changed, and
//! the game's end declared exactly when it happens.

use super::board::{cell, check_gravity, has_four, is_full, landing_row, put, show};
use super::{ensure, Check, Referee};
use crate::Received;
use cuatro_proto::{Board, Cell, Estado, Event, Level, Refusal, COLS, ROWS};

/// The columns where `who` would make four at once on `b`.
pub fn winning_columns(b: &Board, who: Cell) -> Vec<usize> {
    (0..COLS)
        .filter(|&c| {
            landing_row(b, c).is_some_and(|row| {
                let mut next = *b;
                put(&mut next, row, c, who);
                has_four(&next, who)
            })
        })
        .collect()
}

impl Referee {
    /// Checks the reply to a move to `col` and advances the game.
    pub(super) fn check_move(&mut self, col: i64, r: &Received) -> Check {
        ensure(r.continuar, || {
            format!("move {col} answered with continuar false")
        })?;
        let Some(before) = self.game else {
            self.check_event(r, Event::Refused(Refusal::NoGame))?;
            return self.check_current(r);
        };
        let Some(c) = usize::try_from(col).ok().filter(|&c| c < COLS) else {
            self.check_event(r, Event::Refused(Refusal::OutOfRange(col)))?;
            return self.check_current(r);
        };
        let Some(row) = landing_row(&before, c) else {
            self.check_event(r, Event::Refused(Refusal::ColumnFull(c as u8)))?;
            return self.check_current(r);
        };
        let mut mid = before;
        put(&mut mid, row, c, Cell::Player);
        check_gravity(&r.tablero)?;
        let context = || {
            format!(
                "before:\n{}after player move {c}:\n{}reply:\n{}",
                show(&before),
                show(&mid),
                show(&r.tablero)
            )
        };

        // The player's move ends the game (a win, or the last cell): the
        // CPU does not move.
        let ending = if has_four(&mid, Cell::Player) {
            Some((Estado::Ganaste, "player made four in a row"))
        } else if is_full(&mid) {
            Some((Estado::Empate, "board full after player move"))
        } else {
            None
        };
        if let Some((estado, why)) = ending {
            ensure(r.estado == estado, || {
                format!("{why} but estado is {:?}\n{}", r.estado, context())
            })?;
            ensure(r.tablero == mid, || {
                format!("board after the game's last move is wrong\n{}", context())
            })?;
            self.check_event(
                r,
                Event::Played {
                    player: c as u8,
                    cpu: None,
                },
            )?;
            self.finish(estado);
            return Ok(());
        }
        // Exactly one more cell: a CPU piece where a piece would land.
        let mut diffs = Vec::new();
        for rr in 0..ROWS {
            for cc in 0..COLS {
                if cell(&r.tablero, rr, cc) != cell(&mid, rr, cc) {
                    diffs.push((rr, cc));
                }
            }
        }
        let &[(cr, cc)] = diffs.as_slice() else {
            return Err(format!(
                "expected exactly one CPU piece added, {} cells differ: {diffs:?}\n{}",
                diffs.len(),
                context()
            ));
        };
        ensure(
            cell(&mid, cr, cc) == Some(Cell::Empty) && cell(&r.tablero, cr, cc) == Some(Cell::Cpu),
            || {
                format!(
                    "cell ({cr},{cc}) changed but is not a new CPU piece\n{}",
                    context()
                )
            },
        )?;
        ensure(landing_row(&mid, cc) == Some(cr), || {
            format!(
                "CPU piece at ({cr},{cc}) is not where it would land\n{}",
                context()
            )
        })?;
        self.check_event(
            r,
            Event::Played {
                player: c as u8,
                cpu: Some(cc as u8),
            },
        )?;
        if matches!(self.level, Some(Level::Facil | Level::Dificil)) {
            // The levels' promise: take a win, else block one.
            let wins = winning_columns(&mid, Cell::Cpu);
            let threats = winning_columns(&mid, Cell::Player);
            if !wins.is_empty() {
                ensure(wins.contains(&cc), || {
                    format!(
                        "{:?} CPU played {cc} with a win at {wins:?}\n{}",
                        self.level,
                        context()
                    )
                })?;
            } else if !threats.is_empty() {
                ensure(threats.contains(&cc), || {
                    format!(
                        "{:?} CPU played {cc}, not blocking {threats:?}\n{}",
                        self.level,
                        context()
                    )
                })?;
            }
        }
        let after = r.tablero;
        let expected = if has_four(&after, Cell::Cpu) {
            Estado::Perdiste
        } else if is_full(&after) {
            Estado::Empate
        } else {
            Estado::Jugando
        };
        ensure(r.estado == expected, || {
            format!(
                "estado {:?}, expected {expected:?}\n{}",
                r.estado,
                context()
            )
        })?;
        if expected == Estado::Jugando {
            self.game = Some(after);
        } else {
            self.finish(expected);
        }
        Ok(())
    }
}
