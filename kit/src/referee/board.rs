//! The referee's own board checks, on purpose not shared with
//! `cuatro_core::game`: where a piece lands, gravity, four in a row, a full
//! board; and a board as text for failure messages.

use super::Check;
use cuatro_proto::{Board, Cell, COLS, ROWS};

/// The cell at `row` (0 on top), `col`; `None` off the board.
pub(super) fn cell(b: &Board, row: usize, col: usize) -> Option<Cell> {
    b.cells.get(row)?.get(col).copied()
}

/// Puts `c` at `row`, `col` (nothing off the board).
pub(super) fn put(b: &mut Board, row: usize, col: usize, c: Cell) {
    if let Some(x) = b.cells.get_mut(row).and_then(|r| r.get_mut(col)) {
        *x = c;
    }
}

/// Every owner of a line of four on `b` (one entry per line found).
pub fn lines_of_four(b: &Board) -> Vec<Cell> {
    let at = |r: i64, c: i64| -> Option<Cell> {
        cell(b, usize::try_from(r).ok()?, usize::try_from(c).ok()?)
    };
    let mut found = Vec::new();
    for r in 0..ROWS as i64 {
        for c in 0..COLS as i64 {
            let Some(first) = at(r, c).filter(|&x| x != Cell::Empty) else {
                continue;
            };
            for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                if (1..4).all(|k| at(r + dr * k, c + dc * k) == Some(first)) {
                    found.push(first);
                }
            }
        }
    }
    found
}

/// Who has four in a row on `b`, if anyone (the first line found).
pub fn winner(b: &Board) -> Option<Cell> {
    lines_of_four(b).first().copied()
}

/// Whether `who` has four in a row on `b`.
pub fn has_four(b: &Board, who: Cell) -> bool {
    lines_of_four(b).contains(&who)
}

/// Whether every cell is taken.
pub fn is_full(b: &Board) -> bool {
    b.cells.iter().flatten().all(|&c| c != Cell::Empty)
}

/// The row a piece dropped in `col` lands on (row 0 is the top), if the
/// column exists and has room.
pub fn landing_row(b: &Board, col: usize) -> Option<usize> {
    (0..ROWS)
        .rev()
        .find(|&r| cell(b, r, col) == Some(Cell::Empty))
}

/// Columns that still have room.
pub fn open_columns(b: &Board) -> Vec<usize> {
    (0..COLS).filter(|&c| landing_row(b, c).is_some()).collect()
}

/// Checks that no piece floats above an empty cell.
pub fn check_gravity(b: &Board) -> Check {
    for r in 0..ROWS - 1 {
        for c in 0..COLS {
            if cell(b, r, c) != Some(Cell::Empty) && cell(b, r + 1, c) == Some(Cell::Empty) {
                return Err(format!(
                    "piece floating at row {r}, column {c}\n{}",
                    show(b)
                ));
            }
        }
    }
    Ok(())
}

/// A board as text, row 0 on top, for failure messages.
pub fn show(b: &Board) -> String {
    let mut s = String::from(" 0123456\n");
    for row in &b.cells {
        s.push('|');
        for c in row {
            s.push(match c {
                Cell::Empty => '.',
                Cell::Player => 'X',
                Cell::Cpu => 'O',
            });
        }
        s.push_str("|\n");
    }
    s
}
