//! The board as two 64-bit masks, 7 bits a column (6 cells and a sentinel
//! above them), the representation the CPU levels reason on.
//!
//! Bit `col * 7 + row` is the cell of `col` at `row` (row 0 at the
//! bottom). `mask` has every stone, `current` the stones of the side to
//! move; `current + mask` (with the bottom row added) names a position
//! uniquely, which is the transposition table's key. A move is an add and
//! an xor; a four in a row is found with shifts by 1 (vertical), 7
//! (horizontal), 6 and 8 (the diagonals).

use crate::game::Game;
use cuatro_proto::{Cell, COLS, ROWS};

/// Bits per column: the cells and one sentinel bit.
const H1: u32 = ROWS as u32 + 1;

/// The bottom cell of every column.
pub const BOTTOM: u64 = bottom_mask();
/// Every cell of the board (no sentinel bits).
pub const BOARD: u64 = BOTTOM * ((1 << ROWS) - 1);

const fn bottom_mask() -> u64 {
    let mut m = 0;
    let mut c = 0;
    while c < COLS {
        m |= 1 << (c as u32 * H1);
        c += 1;
    }
    m
}

/// Every cell of column `col` (`col < 7`).
pub const fn column(col: usize) -> u64 {
    ((1u64 << ROWS) - 1) << (col as u32 * H1)
}

/// The bottom cell of column `col`.
const fn bottom(col: usize) -> u64 {
    1 << (col as u32 * H1)
}

/// The top cell of column `col`.
const fn top(col: usize) -> u64 {
    1 << (ROWS as u32 - 1 + col as u32 * H1)
}

/// Columns from the centre outwards: the order moves are tried in.
pub const CENTRE_FIRST: [usize; COLS] = [3, 2, 4, 1, 5, 0, 6];

/// The most central column with a cell in `cells`.
pub fn first_centre(cells: u64) -> Option<usize> {
    CENTRE_FIRST.into_iter().find(|&c| cells & column(c) != 0)
}

/// A position, from the point of view of the side to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The stones of the side to move.
    pub current: u64,
    /// Every stone.
    pub mask: u64,
    /// Stones played.
    pub moves: u8,
}

impl Position {
    /// The empty board.
    pub const EMPTY: Position = Position {
        current: 0,
        mask: 0,
        moves: 0,
    };

    /// The position of `game` with `to_move`'s stones as `current`.
    pub fn from_game(game: &Game, to_move: Cell) -> Position {
        let mut p = Position::EMPTY;
        for (r, row) in game.board().cells.iter().enumerate() {
            for (c, &cell) in row.iter().enumerate() {
                if cell == Cell::Empty {
                    continue;
                }
                // Row 0 of the board is the top; bit row 0 the bottom.
                let bit = 1u64 << (c as u32 * H1 + (ROWS - 1 - r) as u32);
                p.mask |= bit;
                if cell == to_move {
                    p.current |= bit;
                }
                p.moves = p.moves.saturating_add(1);
            }
        }
        p
    }

    /// The position after the moves in `cols` from the empty board
    /// (`None` if one is illegal or ends the game).
    pub fn from_moves(cols: &[u8]) -> Option<Position> {
        let mut p = Position::EMPTY;
        for &c in cols {
            let c = usize::from(c);
            if c >= COLS || !p.can_play(c) || p.is_winning_move(c) {
                return None;
            }
            p = p.play(c);
        }
        Some(p)
    }

    /// Whether `col` has room.
    pub const fn can_play(&self, col: usize) -> bool {
        self.mask & top(col) == 0
    }

    /// The position after the side to move plays `col` (which must have
    /// room); the other side is then to move.
    #[must_use]
    pub const fn play(&self, col: usize) -> Position {
        self.play_bit((self.mask + bottom(col)) & column(col))
    }

    /// The position after the side to move takes the cell `bit` (one
    /// bit of [`Position::possible`]).
    #[must_use]
    pub const fn play_bit(&self, bit: u64) -> Position {
        Position {
            current: self.current ^ self.mask,
            mask: self.mask | bit,
            moves: self.moves + 1,
        }
    }

    /// The cell each column would take next, as a mask.
    pub const fn possible(&self) -> u64 {
        (self.mask + BOTTOM) & BOARD
    }

    /// The stones of the side that just moved.
    pub const fn opponent(&self) -> u64 {
        self.current ^ self.mask
    }

    /// Whether playing `col` makes four in a row for the side to move.
    pub const fn is_winning_move(&self, col: usize) -> bool {
        self.winning() & self.possible() & column(col) != 0
    }

    /// Whether the side to move can win at once.
    pub const fn can_win_next(&self) -> bool {
        self.winning() & self.possible() != 0
    }

    /// Empty cells that would complete four for the side to move.
    pub const fn winning(&self) -> u64 {
        winning_cells(self.current, self.mask)
    }

    /// Empty cells that would complete four for the side that just moved.
    pub const fn opponent_winning(&self) -> u64 {
        winning_cells(self.opponent(), self.mask)
    }

    /// The playable cells that do not hand the opponent a win at once:
    /// if the opponent threatens to win in one cell, only that cell; if
    /// in two, none (the game is lost). Cells right below an opponent's
    /// winning cell are left out. Assumes the side to move cannot win at
    /// once (check [`Position::can_win_next`] first).
    pub const fn non_losing(&self) -> u64 {
        let mut possible = self.possible();
        let threats = self.opponent_winning();
        let forced = possible & threats;
        if forced != 0 {
            if forced & (forced - 1) != 0 {
                return 0;
            }
            possible = forced;
        }
        possible & !(threats >> 1)
    }

    /// The key of the position (unique for every reachable position).
    pub const fn key(&self) -> u64 {
        self.current + self.mask + BOTTOM
    }
}

/// Empty cells (of `mask`'s board) that would complete four of `stones`.
pub const fn winning_cells(stones: u64, mask: u64) -> u64 {
    let p = stones;
    // Vertical: three above one another, the cell on top.
    let mut r = (p << 1) & (p << 2) & (p << 3);
    // Horizontal (shift 7) and the two diagonals (6 and 8).
    r |= line(p, H1);
    r |= line(p, H1 - 1);
    r |= line(p, H1 + 1);
    r & (BOARD ^ mask)
}

/// Cells completing four of `p` along the direction of shift `s`.
/// Always inlined: with `s` a constant its ten 64-bit shifts are a few
/// instructions each on a 32-bit core, not a variable-shift sequence
/// (2.5 times fewer instructions a search node on the Cortex-M3).
#[inline(always)]
const fn line(p: u64, s: u32) -> u64 {
    let pair = (p << s) & (p << (2 * s));
    let mut r = pair & (p << (3 * s));
    r |= pair & (p >> s);
    let pair = (p >> s) & (p >> (2 * s));
    r |= pair & (p << s);
    r |= pair & (p >> (3 * s));
    r
}

/// Whether `stones` hold four in a row.
pub const fn has_four(stones: u64) -> bool {
    four(stones, 1) || four(stones, H1) || four(stones, H1 - 1) || four(stones, H1 + 1)
}

/// Whether `p` holds four in a row along the direction of shift `s`.
const fn four(p: u64, s: u32) -> bool {
    let m = p & (p >> s);
    m & (m >> (2 * s)) != 0
}

/// The column of a one-bit cell mask.
pub const fn column_of(bit: u64) -> usize {
    (bit.trailing_zeros() / H1) as usize
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::game::Outcome;
    use std::vec::Vec;

    /// Plays `cols` alternately (player first) on both the game and the
    /// bitboards, checking they agree about wins after every move.
    #[test]
    fn agrees_with_the_game_rules() {
        let mut rng = crate::cpu::Rng::new(5);
        for _ in 0..300 {
            let mut game = Game::new();
            let mut pos = Position::EMPTY;
            let mut who = Cell::Player;
            loop {
                let legal: Vec<usize> = (0..COLS).filter(|&c| pos.can_play(c)).collect();
                let rules: Vec<usize> = (0..COLS).filter(|&c| game.is_legal(c)).collect();
                assert_eq!(legal, rules);
                let col = legal[rng.below(legal.len() as u32) as usize];
                let wins = pos.is_winning_move(col);
                let outcome = game.drop_piece(col as i64, who).unwrap();
                pos = pos.play(col);
                assert_eq!(pos, Position::from_game(&game, other(who)));
                assert_eq!(has_four(pos.opponent()), outcome == Outcome::Win);
                assert_eq!(wins, outcome == Outcome::Win);
                if outcome != Outcome::Continue {
                    break;
                }
                who = other(who);
            }
        }
    }

    fn other(c: Cell) -> Cell {
        if c == Cell::Player {
            Cell::Cpu
        } else {
            Cell::Player
        }
    }

    #[test]
    fn non_losing_forces_the_block_and_sees_double_threats() {
        // Player (to move after the CPU's reply) has 0,1,2 on the bottom.
        let p = Position::from_moves(&[0, 0, 1, 1, 2]).unwrap();
        // The side to move (second player) must block at 3.
        assert!(!p.can_win_next());
        assert_eq!(p.non_losing(), column(3) & p.possible());
        // Two open ends: 1, 2, 3 with 0 and 4 free is lost.
        let p = Position::from_moves(&[1, 1, 2, 2, 3]).unwrap();
        assert_eq!(p.non_losing(), 0);
    }
}
