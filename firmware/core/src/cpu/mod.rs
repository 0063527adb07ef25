//! The CPU opponent, at three levels ([`Level`], the `nivel` of
//! `\juego_nuevo`):
//!
//! - `aleatorio`, the lecture's: a uniformly random legal column from a
//!   seeded generator ([`choose_column`]);
//! - `facil` (cargo feature `facil`): wins when it can, blocks an
//!   immediate loss, else random ([`tactics`]);
//! - `dificil` (cargo feature `dificil`): negamax with alpha-beta on
//!   bitboards under a fixed work budget ([`search`]).
//!
//! The files: `rng.rs` the generator, `bitboard.rs` the board as two
//! 64-bit masks, `tactics.rs` `facil`, `search.rs` `dificil` and its
//! scratch ([`Search`]), which a server owns once and lends to the session
//! that moves.

pub mod bitboard;
mod rng;
#[cfg(feature = "dificil")]
pub mod search;
#[cfg(feature = "facil")]
pub mod tactics;

use crate::game::Game;
#[cfg(any(feature = "facil", feature = "dificil"))]
use bitboard::Position;
#[cfg(any(feature = "facil", feature = "dificil"))]
use cuatro_proto::Cell;
pub use cuatro_proto::Level;
use cuatro_proto::COLS;
pub use rng::Rng;
#[cfg(feature = "dificil")]
pub use search::{Search, NODE_BUDGET};

/// The search's scratch in a build without `dificil`: nothing.
#[cfg(not(feature = "dificil"))]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search;

#[cfg(not(feature = "dificil"))]
impl Search {
    /// Nothing to set up.
    pub const fn new() -> Self {
        Search
    }
}

/// Whether this build plays `level` (its cargo feature is on).
pub const fn available(level: Level) -> bool {
    match level {
        Level::Aleatorio => true,
        Level::Facil => cfg!(feature = "facil"),
        Level::Dificil => cfg!(feature = "dificil"),
    }
}

/// The CPU's column at `level` in `game` (the CPU to move); `None` if
/// the board is full. A level this build leaves out plays `aleatorio`.
/// `search` is only used by `dificil`.
pub fn choose(level: Level, game: &Game, rng: &mut Rng, search: &mut Search) -> Option<u8> {
    #[cfg(not(feature = "dificil"))]
    let _ = &search;
    let col: Option<usize> = match level {
        #[cfg(feature = "facil")]
        Level::Facil => tactics::choose(game, &Position::from_game(game, Cell::Cpu), rng),
        #[cfg(feature = "dificil")]
        Level::Dificil => search.best_move(&Position::from_game(game, Cell::Cpu)),
        #[allow(unreachable_patterns)]
        _ => choose_column(game, rng).map(usize::from),
    };
    col.map(|c| c as u8)
}

/// Picks the CPU's column: uniform among the legal ones, `None` if the board
/// is full.
pub fn choose_column(game: &Game, rng: &mut Rng) -> Option<u8> {
    let legal = (0..COLS).filter(|&c| game.is_legal(c)).count() as u32;
    if legal == 0 {
        return None;
    }
    let pick = rng.below(legal) as usize;
    (0..COLS)
        .filter(|&c| game.is_legal(c))
        .nth(pick)
        .map(|c| c as u8)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use cuatro_proto::Cell;

    #[test]
    fn same_seed_same_sequence_different_seed_different() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let sa: [u64; 4] = core::array::from_fn(|_| a.next_u64());
        let sb: [u64; 4] = core::array::from_fn(|_| b.next_u64());
        let sc: [u64; 4] = core::array::from_fn(|_| c.next_u64());
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }

    #[test]
    fn choice_is_legal_and_roughly_uniform() {
        let mut game = Game::new();
        // Fill column 2 so it is never legal.
        for i in 0..6 {
            let who = if i % 2 == 0 { Cell::Player } else { Cell::Cpu };
            game.drop_piece(2, who).unwrap();
        }
        let mut rng = Rng::new(42);
        let mut counts = [0u32; COLS];
        let n = 60_000;
        for _ in 0..n {
            let c = choose_column(&game, &mut rng).unwrap() as usize;
            counts[c] += 1;
        }
        assert_eq!(counts[2], 0, "a full column is never chosen");
        let expected = n / 6;
        for (c, &k) in counts.iter().enumerate() {
            if c != 2 {
                assert!(
                    k.abs_diff(expected) < expected / 10,
                    "column {c}: {k} of {n}"
                );
            }
        }
    }

    #[test]
    fn full_board_has_no_choice() {
        let mut game = Game::new();
        for col in 0..7 {
            for row in 0..6 {
                let who = if (row % 2 + i32::from(col == 3)) % 2 == 0 {
                    Cell::Player
                } else {
                    Cell::Cpu
                };
                let _ = game.drop_piece(col, who);
            }
        }
        assert_eq!(choose_column(&game, &mut Rng::new(1)), None);
    }
}
