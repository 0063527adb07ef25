//! `facil`: one move deep. Wins when it can, blocks the opponent's
//! immediate win, else plays a random legal column.

use super::bitboard::{column, Position, CENTRE_FIRST};
use super::{random_column, Rng};

/// The column that wins at once for the side to move, if any (the most
/// central one).
pub fn winning_column(pos: &Position) -> Option<usize> {
    let cells = pos.winning() & pos.possible();
    CENTRE_FIRST.into_iter().find(|&c| cells & column(c) != 0)
}

/// A column where the opponent would win at once if they moved now (the
/// most central one), if any.
pub fn blocking_column(pos: &Position) -> Option<usize> {
    let cells = pos.opponent_winning() & pos.possible();
    CENTRE_FIRST.into_iter().find(|&c| cells & column(c) != 0)
}

/// `facil`'s column for the side to move of `pos` (`None`: the board is
/// full).
pub fn choose(pos: &Position, rng: &mut Rng) -> Option<usize> {
    winning_column(pos)
        .or_else(|| blocking_column(pos))
        .or_else(|| random_column(pos, rng))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_win_before_blocking() {
        // The side to move (the first player) has 0, 1, 2 on the bottom
        // and the second threatens the top of 4, 4, 4: the win (3) comes
        // first.
        let p = Position::from_moves(&[0, 4, 1, 4, 2, 4]).unwrap();
        for seed in 0..50 {
            assert_eq!(choose(&p, &mut Rng::new(seed)), Some(3));
        }
    }

    #[test]
    fn blocks_a_one_move_threat() {
        // First player has 0, 1, 2 on the bottom; the second must take 3.
        let p = Position::from_moves(&[0, 6, 1, 6, 2]).unwrap();
        for seed in 0..50 {
            assert_eq!(choose(&p, &mut Rng::new(seed)), Some(3));
        }
        // A vertical threat.
        let p = Position::from_moves(&[5, 0, 5, 1, 5]).unwrap();
        for seed in 0..50 {
            assert_eq!(choose(&p, &mut Rng::new(seed)), Some(5));
        }
    }

    #[test]
    fn otherwise_random_and_legal() {
        let p = Position::from_moves(&[3]).unwrap();
        let mut seen = [false; 7];
        for seed in 0..200 {
            let c = choose(&p, &mut Rng::new(seed)).unwrap();
            seen[c] = true;
        }
        assert!(seen.iter().all(|&s| s), "every column is played: {seen:?}");
    }
}
