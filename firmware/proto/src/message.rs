//! Encoding-independent messages: what a client asks and what the server answers.

use crate::Error;
use serde::{Deserialize, Serialize};

/// Number of rows of the board.
pub const ROWS: usize = 6;
/// Number of columns of the board (numbered `0..COLS`).
pub const COLS: usize = 7;

/// A client's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// `\juego_nuevo`: start a new game (forgetting any current one).
    NewGame,
    /// `\jugada N`: drop a piece in column N. Any integer is representable;
    /// the server refuses those outside `0..COLS`.
    Move(i64),
    /// `\salir`: end the session; the server answers and closes.
    Quit,
}

/// One cell of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Cell {
    /// No piece (`' '` in the classic board).
    #[default]
    Empty,
    /// The client's piece (`'X'`).
    Player,
    /// The CPU's piece (`'O'`).
    Cpu,
}

impl Cell {
    /// The character the classic encoding uses for this cell.
    pub const fn as_char(self) -> u8 {
        match self {
            Cell::Empty => b' ',
            Cell::Player => b'X',
            Cell::Cpu => b'O',
        }
    }

    /// Inverse of [`Cell::as_char`].
    pub const fn from_char(c: u8) -> Option<Cell> {
        match c {
            b' ' => Some(Cell::Empty),
            b'X' => Some(Cell::Player),
            b'O' => Some(Cell::Cpu),
            _ => None,
        }
    }
}

/// The 6×7 grid, row 0 on top.
///
/// Serialized as 6 strings of 7 characters in human-readable formats (JSON)
/// and as 42 one-byte cells, row-major from the top, in postcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Board {
    /// `cells[row][col]`, row 0 is the top row.
    pub cells: [[Cell; COLS]; ROWS],
}

/// Where the session's game stands (the classic `estado` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estado {
    /// No game in progress.
    SinJuego,
    /// A game is in progress; it is the client's turn.
    Jugando,
    /// The client just won.
    Ganaste,
    /// The CPU just won.
    Perdiste,
    /// The board filled with no winner.
    Empate,
}

/// Why a move was refused (game and board unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// `\jugada` with no game started.
    NoGame,
    /// The column is outside `0..COLS` (the requested value).
    OutOfRange(i64),
    /// The column is full.
    ColumnFull(u8),
}

/// What the reply answers: the source of the human text in classic replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The greeting sent on connect.
    Welcome,
    /// A new game started.
    NewGame,
    /// The client played `player`; the CPU answered in `cpu` (`None` when the
    /// client's move ended the game).
    Played {
        /// Column the client played.
        player: u8,
        /// Column the CPU played, if it moved.
        cpu: Option<u8>,
    },
    /// The move was refused.
    Refused(Refusal),
    /// Answer to `\salir`.
    Goodbye,
    /// The request could not be understood or served; see [`Reply::error`].
    Failed,
}

/// The server's answer: the session's state after handling one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// Whether the client should keep going (`false`: the server closes).
    pub continuar: bool,
    /// Where the game stands.
    pub estado: Estado,
    /// The current game's board (empty when there is none).
    pub tablero: Board,
    /// What happened.
    pub event: Event,
    /// Set when the request failed.
    pub error: Option<Error>,
}
