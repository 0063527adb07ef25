//! Encoding-independent messages: what a client asks and what the server answers.

use crate::Error;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};

/// Number of rows of the board.
pub const ROWS: usize = 6;
/// Number of columns of the board (numbered `0..COLS`).
pub const COLS: usize = 7;

/// A client's request.
///
/// Variants are only ever appended: their index is the compact
/// encoding's first byte (`NewGame` is `00` since before levels existed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// `\juego_nuevo`: start a new game (forgetting any current one)
    /// against the server's default CPU level.
    NewGame,
    /// `\jugada N`: drop a piece in column N. Any integer is representable;
    /// the server refuses those outside `0..COLS`.
    Move(i64),
    /// `\salir`: end the session; the server answers and closes.
    Quit,
    /// `\juego_nuevo` with `"nivel"`: a new game against this CPU level.
    NewGameAt(Level),
}

/// How the CPU plays (the classic `nivel` of `\juego_nuevo`).
///
/// The compact encoding is the variant's index (`00`, `01`, `02`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Level {
    /// The lecture's CPU: a uniformly random legal column.
    #[default]
    Aleatorio,
    /// Wins when it can, blocks an immediate loss, else random.
    Facil,
    /// A search (negamax with alpha-beta) under a fixed work budget.
    Dificil,
}

impl Level {
    /// Every level, in index order.
    pub const ALL: [Level; 3] = [Level::Aleatorio, Level::Facil, Level::Dificil];

    /// The classic `nivel` string.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Aleatorio => "aleatorio",
            Level::Facil => "facil",
            Level::Dificil => "dificil",
        }
    }

    /// Inverse of [`Level::name`] (exact, lowercase ASCII).
    pub fn from_name(name: &[u8]) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name().as_bytes() == name)
    }

    /// Inverse of `level as u8` (the compact byte).
    pub const fn from_u8(b: u8) -> Option<Level> {
        match b {
            0 => Some(Level::Aleatorio),
            1 => Some(Level::Facil),
            2 => Some(Level::Dificil),
            _ => None,
        }
    }
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

    /// The byte the compact encoding uses for this cell (`0`, `1`, `2`).
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Inverse of [`Cell::as_u8`].
    pub const fn from_u8(b: u8) -> Option<Cell> {
        match b {
            0 => Some(Cell::Empty),
            1 => Some(Cell::Player),
            2 => Some(Cell::Cpu),
            _ => None,
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

impl Board {
    /// The classic row string of `row` (7 ASCII bytes from `" XO"`).
    pub fn row_chars(&self, row: usize) -> Option<[u8; COLS]> {
        let cells = self.cells.get(row)?;
        let mut out = [b' '; COLS];
        for (b, c) in out.iter_mut().zip(cells) {
            *b = c.as_char();
        }
        Some(out)
    }
}

impl Serialize for Board {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut seq = s.serialize_seq(Some(ROWS))?;
            for row in 0..ROWS {
                let chars = self.row_chars(row).unwrap_or([b' '; COLS]);
                // Always ASCII; the fallback only avoids a panic path
                // (serde-json-core's `Error::custom` panics).
                seq.serialize_element(core::str::from_utf8(&chars).unwrap_or("       "))?;
            }
            seq.end()
        } else {
            let mut tuple = s.serialize_tuple(ROWS * COLS)?;
            for cell in self.cells.iter().flatten() {
                tuple.serialize_element(&cell.as_u8())?;
            }
            tuple.end()
        }
    }
}

impl<'de> Deserialize<'de> for Board {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_seq(RowsVisitor)
        } else {
            d.deserialize_tuple(ROWS * COLS, CellsVisitor)
        }
    }
}

/// Human-readable board: exactly 6 strings of exactly 7 of `" XO"`.
struct RowsVisitor;

impl<'de> Visitor<'de> for RowsVisitor {
    type Value = Board;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("6 strings of 7 characters from \" XO\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Board, A::Error> {
        let mut board = Board::default();
        for (i, row) in board.cells.iter_mut().enumerate() {
            *row = seq
                .next_element::<Row>()?
                .ok_or_else(|| de::Error::invalid_length(i, &self))?
                .0;
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(ROWS + 1, &self));
        }
        Ok(board)
    }
}

/// One classic row string.
struct Row([Cell; COLS]);

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Row;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("7 characters from \" XO\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Row, E> {
                let bad = || E::invalid_value(de::Unexpected::Str(v), &V);
                if v.len() != COLS {
                    return Err(bad());
                }
                let mut row = [Cell::Empty; COLS];
                for (cell, &b) in row.iter_mut().zip(v.as_bytes()) {
                    *cell = Cell::from_char(b).ok_or_else(bad)?;
                }
                Ok(Row(row))
            }
        }
        d.deserialize_str(V)
    }
}

/// Compact board: 42 bytes, each `0`, `1` or `2`.
struct CellsVisitor;

impl<'de> Visitor<'de> for CellsVisitor {
    type Value = Board;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("42 cells")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Board, A::Error> {
        let mut board = Board::default();
        for (i, cell) in board.cells.iter_mut().flatten().enumerate() {
            let b = seq
                .next_element::<u8>()?
                .ok_or_else(|| de::Error::invalid_length(i, &self))?;
            *cell = Cell::from_u8(b).ok_or_else(|| {
                de::Error::invalid_value(de::Unexpected::Unsigned(b.into()), &self)
            })?;
        }
        Ok(board)
    }
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

impl Estado {
    /// The classic `estado` string (the serde name, snake_case).
    pub const fn name(self) -> &'static str {
        match self {
            Estado::SinJuego => "sin_juego",
            Estado::Jugando => "jugando",
            Estado::Ganaste => "ganaste",
            Estado::Perdiste => "perdiste",
            Estado::Empate => "empate",
        }
    }
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
///
/// Variants are only ever appended (the index is the compact byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The greeting sent on connect.
    Welcome,
    /// A new game started against the [`Level::Aleatorio`] CPU (the
    /// lecture's; the bytes of a server at its default level are the same
    /// as before levels existed). See [`Event::new_game`].
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
    /// A new game started against `Level` ([`Level::Facil`] or
    /// [`Level::Dificil`]; a server says [`Event::NewGame`] for
    /// [`Level::Aleatorio`]).
    NewGameAt(Level),
    /// The greeting on a player-vs-player port (no game yet).
    WelcomePvp,
    /// Player vs player: a game against another player started. `opening`
    /// is `None` for the first player (to move), else the first player's
    /// opening column (the second player is to move).
    Matched {
        /// The first player's opening column, for the second player.
        opening: Option<u8>,
    },
    /// Player vs player: the client played `player`; the opponent
    /// answered in `opponent` (`None` when the client's move ended the
    /// game).
    Answered {
        /// Column the client played.
        player: u8,
        /// Column the opponent played, if it moved.
        opponent: Option<u8>,
    },
}

impl Event {
    /// The event of a new game against `level`: [`Event::NewGame`] for
    /// the lecture's level, [`Event::NewGameAt`] for the others.
    pub const fn new_game(level: Level) -> Event {
        match level {
            Level::Aleatorio => Event::NewGame,
            level => Event::NewGameAt(level),
        }
    }

    /// Whether the event is one of player vs player (the opponent is a
    /// person, not the CPU).
    pub const fn is_pvp(self) -> bool {
        matches!(
            self,
            Event::WelcomePvp | Event::Matched { .. } | Event::Answered { .. }
        )
    }

    /// The level of a new-game event (`None` for other events).
    pub const fn new_game_level(self) -> Option<Level> {
        match self {
            Event::NewGame => Some(Level::Aleatorio),
            Event::NewGameAt(level) => Some(level),
            _ => None,
        }
    }
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
