//! Connect Four rules: a 6×7 board, gravity, four in a row in any direction.

use cuatro_proto::{Board, Cell, COLS, ROWS};

/// How a move ended, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The game goes on.
    Continue,
    /// The piece just dropped made four in a row.
    Win,
    /// The board is full and nobody won.
    Draw,
}

/// Why a piece could not be dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveError {
    /// The column is outside `0..COLS`.
    OutOfRange,
    /// The column has no free cell.
    ColumnFull,
}

/// One game in progress: the board and the number of pieces on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Game {
    board: Board,
    pieces: u8,
}

/// Number of cells; a game with this many pieces is over.
pub const CELLS: u8 = (ROWS * COLS) as u8;

impl Game {
    /// An empty board.
    pub const fn new() -> Self {
        Game {
            board: Board {
                cells: [[Cell::Empty; COLS]; ROWS],
            },
            pieces: 0,
        }
    }

    /// The current board.
    pub const fn board(&self) -> &Board {
        &self.board
    }

    /// Number of pieces played so far.
    pub const fn pieces(&self) -> u8 {
        self.pieces
    }

    /// Whether `col` can take another piece.
    pub fn is_legal(&self, col: usize) -> bool {
        matches!(
            self.board.cells.first().and_then(|top| top.get(col)),
            Some(Cell::Empty)
        )
    }

    /// Drops `cell` into column `col` (any integer is accepted and checked).
    pub fn drop_piece(&mut self, col: i64, cell: Cell) -> Result<Outcome, MoveError> {
        let col = usize::try_from(col)
            .ok()
            .filter(|c| *c < COLS)
            .ok_or(MoveError::OutOfRange)?;
        // Lowest empty row in the column (gravity).
        let row = (0..ROWS)
            .rev()
            .find(|&r| self.cell(r, col) == Some(Cell::Empty))
            .ok_or(MoveError::ColumnFull)?;
        if let Some(slot) = self.board.cells.get_mut(row).and_then(|r| r.get_mut(col)) {
            *slot = cell;
        }
        self.pieces = self.pieces.saturating_add(1);
        if self.wins_through(row, col, cell) {
            Ok(Outcome::Win)
        } else if self.pieces >= CELLS {
            Ok(Outcome::Draw)
        } else {
            Ok(Outcome::Continue)
        }
    }

    fn cell(&self, row: usize, col: usize) -> Option<Cell> {
        self.board.cells.get(row).and_then(|r| r.get(col)).copied()
    }

    /// Whether the piece at (`row`, `col`) is part of four `cell`s in a row.
    fn wins_through(&self, row: usize, col: usize, cell: Cell) -> bool {
        const DIRECTIONS: [(isize, isize); 4] = [(0, 1), (1, 0), (1, 1), (1, -1)];
        DIRECTIONS.iter().any(|&(dr, dc)| {
            1 + self.run(row, col, dr, dc, cell) + self.run(row, col, -dr, -dc, cell) >= 4
        })
    }

    /// Number of consecutive `cell`s from (`row`, `col`) in direction
    /// (`dr`, `dc`), not counting the start.
    fn run(&self, row: usize, col: usize, dr: isize, dc: isize, cell: Cell) -> usize {
        let mut n = 0;
        let (mut r, mut c) = (row, col);
        loop {
            match (r.checked_add_signed(dr), c.checked_add_signed(dc)) {
                (Some(nr), Some(nc)) if self.cell(nr, nc) == Some(cell) => {
                    n += 1;
                    r = nr;
                    c = nc;
                }
                _ => return n,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn play(game: &mut Game, cols: &[(i64, Cell)]) -> Outcome {
        let mut last = Outcome::Continue;
        for &(c, who) in cols {
            last = game.drop_piece(c, who).unwrap();
        }
        last
    }

    #[test]
    fn gravity_stacks_from_the_bottom() {
        let mut g = Game::new();
        g.drop_piece(3, Cell::Player).unwrap();
        g.drop_piece(3, Cell::Cpu).unwrap();
        assert_eq!(g.board().cells[5][3], Cell::Player);
        assert_eq!(g.board().cells[4][3], Cell::Cpu);
        assert_eq!(g.board().cells[3][3], Cell::Empty);
        assert_eq!(g.pieces(), 2);
    }

    #[test]
    fn refuses_out_of_range_and_full_columns() {
        let mut g = Game::new();
        for c in [-1, 7, i64::MAX, i64::MIN] {
            assert_eq!(g.drop_piece(c, Cell::Player), Err(MoveError::OutOfRange));
        }
        for i in 0..ROWS {
            let who = if i % 2 == 0 { Cell::Player } else { Cell::Cpu };
            assert_eq!(g.drop_piece(0, who), Ok(Outcome::Continue));
        }
        assert!(!g.is_legal(0));
        let before = g;
        assert_eq!(g.drop_piece(0, Cell::Player), Err(MoveError::ColumnFull));
        assert_eq!(g, before, "a refused move changes nothing");
    }

    #[test]
    fn four_in_a_row_every_direction() {
        let p = Cell::Player;
        let o = Cell::Cpu;
        // Horizontal.
        let mut g = Game::new();
        assert_eq!(play(&mut g, &[(0, p), (1, p), (2, p)]), Outcome::Continue);
        assert_eq!(play(&mut g, &[(3, p)]), Outcome::Win);
        // Horizontal, completed in the middle.
        let mut g = Game::new();
        assert_eq!(play(&mut g, &[(0, p), (1, p), (3, p)]), Outcome::Continue);
        assert_eq!(play(&mut g, &[(2, p)]), Outcome::Win);
        // Vertical.
        let mut g = Game::new();
        assert_eq!(play(&mut g, &[(6, o), (6, o), (6, o)]), Outcome::Continue);
        assert_eq!(play(&mut g, &[(6, o)]), Outcome::Win);
        // Diagonal rising to the right (/).
        let mut g = Game::new();
        let setup = [(1, o), (2, o), (2, o), (3, o), (3, o), (3, p)];
        assert_eq!(play(&mut g, &setup), Outcome::Continue);
        assert_eq!(play(&mut g, &[(0, p), (1, p), (2, p)]), Outcome::Continue);
        assert_eq!(g.board().cells[3][3], Cell::Player);
        let mut g2 = Game::new();
        let setup = [(1, o), (2, o), (2, o), (3, o), (3, o), (3, o)];
        play(&mut g2, &setup);
        assert_eq!(play(&mut g2, &[(0, p), (1, p), (2, p)]), Outcome::Continue);
        assert_eq!(play(&mut g2, &[(3, p)]), Outcome::Win);
        // Diagonal falling to the right (\).
        let mut g = Game::new();
        let setup = [(5, o), (4, o), (4, o), (3, o), (3, o), (3, o)];
        play(&mut g, &setup);
        assert_eq!(play(&mut g, &[(6, p), (5, p), (4, p)]), Outcome::Continue);
        assert_eq!(play(&mut g, &[(3, p)]), Outcome::Win);
    }

    #[test]
    fn three_is_not_four_and_colours_do_not_mix() {
        let p = Cell::Player;
        let o = Cell::Cpu;
        let mut g = Game::new();
        assert_eq!(
            play(&mut g, &[(0, p), (1, p), (2, p), (3, o)]),
            Outcome::Continue
        );
        assert_eq!(play(&mut g, &[(4, p)]), Outcome::Continue);
    }

    #[test]
    fn full_board_without_a_line_is_a_draw() {
        // Columns alternate owners bottom-up; column 3 starts with the other
        // owner, so no row, column or diagonal holds four.
        let mut g = Game::new();
        let mut last = Outcome::Continue;
        for col in 0..COLS as i64 {
            for row in 0..ROWS as i64 {
                let flip = (row % 2 + i64::from(col == 3)) % 2 == 0;
                let who = if flip { Cell::Player } else { Cell::Cpu };
                last = g.drop_piece(col, who).unwrap();
                if g.pieces() < CELLS {
                    assert_eq!(last, Outcome::Continue, "col {col} row {row}");
                }
            }
        }
        assert_eq!(last, Outcome::Draw);
    }
}
