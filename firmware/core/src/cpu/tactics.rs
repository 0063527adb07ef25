//! `facil`: one move deep. Wins when it can, blocks the opponent's
//! immediate win, else plays a random legal column.

use super::bitboard::{first_centre, Position};
use super::{choose_column, Rng};
use crate::game::Game;

/// The column that wins at once for the side to move, if any (the most
/// central one).
pub fn winning_column(pos: &Position) -> Option<usize> {
    first_centre(pos.winning() & pos.possible())
}

/// A column where the opponent would win at once if they moved now (the
/// most central one), if any.
pub fn blocking_column(pos: &Position) -> Option<usize> {
    first_centre(pos.opponent_winning() & pos.possible())
}

/// `facil`'s column in `game` for the side to move of `pos` (the same
/// board; `None`: it is full).
pub fn choose(game: &Game, pos: &Position, rng: &mut Rng) -> Option<usize> {
    winning_column(pos)
        .or_else(|| blocking_column(pos))
        .or_else(|| choose_column(game, rng).map(usize::from))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use cuatro_proto::Cell;

    /// `moves` (columns) played from the empty board, ending with the
    /// CPU to move: the game and its bitboard position.
    fn game(moves: &[u8]) -> (Game, Position) {
        let mut g = Game::new();
        for (i, &c) in moves.iter().enumerate() {
            let cpu = (moves.len() - i).is_multiple_of(2);
            g.drop_piece(i64::from(c), if cpu { Cell::Cpu } else { Cell::Player })
                .unwrap();
        }
        let p = Position::from_game(&g, Cell::Cpu);
        assert_eq!(p, Position::from_moves(moves).unwrap());
        (g, p)
    }

    #[test]
    fn takes_a_win_before_blocking() {
        // The side to move (the first player) has 0, 1, 2 on the bottom
        // and the second threatens the top of 4, 4, 4: the win (3) comes
        // first.
        let (g, p) = game(&[0, 4, 1, 4, 2, 4]);
        for seed in 0..50 {
            assert_eq!(choose(&g, &p, &mut Rng::new(seed)), Some(3));
        }
    }

    #[test]
    fn blocks_a_one_move_threat() {
        // First player has 0, 1, 2 on the bottom; the second must take 3.
        let (g, p) = game(&[0, 6, 1, 6, 2]);
        for seed in 0..50 {
            assert_eq!(choose(&g, &p, &mut Rng::new(seed)), Some(3));
        }
        // A vertical threat.
        let (g, p) = game(&[5, 0, 5, 1, 5]);
        for seed in 0..50 {
            assert_eq!(choose(&g, &p, &mut Rng::new(seed)), Some(5));
        }
    }

    #[test]
    fn otherwise_random_and_legal() {
        let (g, p) = game(&[3]);
        let mut seen = [false; 7];
        for seed in 0..200 {
            let c = choose(&g, &p, &mut Rng::new(seed)).unwrap();
            seen[c] = true;
        }
        assert!(seen.iter().all(|&s| s), "every column is played: {seen:?}");
    }
}
