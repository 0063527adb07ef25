//! Shared fixtures for the codec tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use crate::message::{Action, Board, Cell, Estado, Event, Level, Refusal, Reply, COLS, ROWS};
use crate::Error;
use std::vec::Vec;

/// Every action, with the edge values a column can take on the wire.
pub(crate) const ACTIONS: [Action; 10] = [
    Action::NewGame,
    Action::NewGameAt(Level::Aleatorio),
    Action::NewGameAt(Level::Facil),
    Action::NewGameAt(Level::Dificil),
    Action::Quit,
    Action::Move(0),
    Action::Move(6),
    Action::Move(-1),
    Action::Move(i64::MIN),
    Action::Move(i64::MAX),
];

/// Every event shape, with the longest numbers each can carry.
pub(crate) fn events() -> Vec<Event> {
    std::vec![
        Event::Welcome,
        Event::NewGame,
        Event::Played {
            player: 3,
            cpu: Some(5)
        },
        Event::Played {
            player: 0,
            cpu: None
        },
        Event::Played {
            player: u8::MAX,
            cpu: Some(u8::MAX)
        },
        Event::Refused(Refusal::NoGame),
        Event::Refused(Refusal::OutOfRange(9)),
        Event::Refused(Refusal::OutOfRange(-1)),
        Event::Refused(Refusal::OutOfRange(i64::MIN)),
        Event::Refused(Refusal::OutOfRange(i64::MAX)),
        Event::Refused(Refusal::ColumnFull(2)),
        Event::Refused(Refusal::ColumnFull(u8::MAX)),
        Event::Goodbye,
        Event::Failed,
        Event::NewGameAt(Level::Facil),
        Event::NewGameAt(Level::Dificil),
    ]
}

/// Every estado.
pub(crate) const ESTADOS: [Estado; 5] = [
    Estado::SinJuego,
    Estado::Jugando,
    Estado::Ganaste,
    Estado::Perdiste,
    Estado::Empate,
];

/// A board using all three cells.
pub(crate) fn mixed_board() -> Board {
    let mut board = Board::default();
    for r in 0..ROWS {
        for c in 0..COLS {
            board.cells[r][c] = match (r * 3 + c) % 3 {
                0 => Cell::Empty,
                1 => Cell::Player,
                _ => Cell::Cpu,
            };
        }
    }
    board
}

/// The cross product of every field's shapes.
pub(crate) fn all_replies() -> Vec<Reply> {
    let mut out = Vec::new();
    let errors: Vec<Option<Error>> = core::iter::once(None)
        .chain(Error::ALL.into_iter().map(Some))
        .collect();
    for event in events() {
        for estado in ESTADOS {
            for &error in &errors {
                for continuar in [true, false] {
                    for tablero in [Board::default(), mixed_board()] {
                        out.push(Reply {
                            continuar,
                            estado,
                            tablero,
                            event,
                            error,
                        });
                    }
                }
            }
        }
    }
    out
}
