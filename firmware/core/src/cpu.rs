//! The lecture's CPU opponent: a uniformly random legal column from a seeded
//! generator.

use crate::game::Game;
use cuatro_proto::COLS;

/// A small, seedable pseudo-random generator (xorshift64*).
///
/// Deterministic: the same seed gives the same games, which the simulator and
/// the tests rely on. Not for cryptography.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator from `seed` (any value, 0 included).
    pub const fn new(seed: u64) -> Self {
        // Mix the seed (splitmix64 finaliser) so nearby seeds diverge and the
        // state is never 0, which xorshift cannot leave.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A uniform value in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift with rejection.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u64::from(self.next_u64() as u32) * u64::from(n);
            if (m as u32) >= threshold {
                return (m >> 32) as u32;
            }
        }
    }
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
