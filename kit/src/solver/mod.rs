//! A perfect-play Connect Four solver, to label positions in the CPU's
//! strength benchmark (host only: a large table on the heap).
//!
//! The classic techniques (after Pascal Pons' write-up of his solver,
//! reimplemented here): negamax with alpha-beta on the bitboards of
//! [`cuatro_core::cpu::bitboard`], the score window narrowed by the
//! earliest possible win or loss, moves that hand the opponent an
//! immediate win pruned (a single threat forces its block, two lose),
//! moves ordered by the threats they make (centre first on ties), a
//! transposition table of bounds keyed by the position, and a null-window
//! search that bisects the score range ([`Solver::solve`]), or just the
//! sign of it ([`Solver::value`]).
//!
//! Scores, from the side to move: 0 a draw; positive a win, the sooner
//! the higher (a win with the stone played onto `n` stones scores
//! `(43 - n) / 2`: 1 with the winner's last stone); negative a loss,
//! likewise.

#[cfg(test)]
mod tests;

use cuatro_core::cpu::bitboard::{column, winning_cells, Position, CENTRE_FIRST};

/// Cells of the board.
const CELLS: i32 = 42;
/// The lowest score a position can have.
pub const MIN_SCORE: i32 = -(CELLS / 2) + 3;
/// The highest score a position can have.
pub const MAX_SCORE: i32 = (CELLS + 1) / 2 - 3;

/// The game-theoretic value of a position for its side to move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// The side to move loses against perfect play.
    Loss,
    /// Perfect play draws.
    Draw,
    /// The side to move wins.
    Win,
}

impl Value {
    /// The value of a score (its sign).
    pub fn of(score: i32) -> Value {
        match score.signum() {
            1 => Value::Win,
            0 => Value::Draw,
            _ => Value::Loss,
        }
    }

    /// The value for the other side.
    pub fn flip(self) -> Value {
        match self {
            Value::Loss => Value::Win,
            Value::Draw => Value::Draw,
            Value::Win => Value::Loss,
        }
    }
}

/// A prime number of table entries (≈ 4 M: 36 MiB).
pub const DEFAULT_TABLE: usize = 4_194_301;

/// The solver: its transposition table and a node counter.
pub struct Solver {
    keys: Vec<u64>,
    /// Bounds: `v - MIN_SCORE + 1` an upper bound `v`, `v + MAX_SCORE -
    /// 2 * MIN_SCORE + 2` a lower bound `v`; 0 empty.
    vals: Vec<u8>,
    nodes: u64,
}

impl Default for Solver {
    fn default() -> Self {
        Solver::new()
    }
}

impl Solver {
    /// A solver with [`DEFAULT_TABLE`] entries.
    pub fn new() -> Solver {
        Solver::with_table(DEFAULT_TABLE)
    }

    /// A solver with `entries` table entries (a prime spreads keys best).
    pub fn with_table(entries: usize) -> Solver {
        let entries = entries.max(1);
        Solver {
            keys: vec![0; entries],
            vals: vec![0; entries],
            nodes: 0,
        }
    }

    /// Positions searched since the solver was made.
    pub fn nodes(&self) -> u64 {
        self.nodes
    }

    /// The exact score of `pos` (see the module docs).
    pub fn solve(&mut self, pos: &Position) -> i32 {
        self.bisect(pos, false)
    }

    /// The value of `pos` only: win, draw or loss (a faster search).
    pub fn value(&mut self, pos: &Position) -> Value {
        Value::of(self.bisect(pos, true))
    }

    fn bisect(&mut self, pos: &Position, weak: bool) -> i32 {
        let moves = i32::from(pos.moves);
        if pos.can_win_next() {
            return (CELLS + 1 - moves) / 2;
        }
        if moves >= CELLS {
            return 0;
        }
        let (mut min, mut max) = if weak {
            (-1, 1)
        } else {
            (-(CELLS - moves) / 2, (CELLS + 1 - moves) / 2)
        };
        while min < max {
            let mut med = min + (max - min) / 2;
            if med <= 0 && min / 2 < med {
                med = min / 2;
            } else if med >= 0 && max / 2 > med {
                med = max / 2;
            }
            let r = self.negamax(pos, med, med + 1);
            if r <= med {
                max = r;
            } else {
                min = r;
            }
        }
        min
    }

    /// Alpha-beta within (`alpha`, `beta`); `pos` has no immediate win
    /// for its side to move.
    fn negamax(&mut self, pos: &Position, mut alpha: i32, mut beta: i32) -> i32 {
        self.nodes += 1;
        let moves = i32::from(pos.moves);
        let next = pos.non_losing();
        if next == 0 {
            return -(CELLS - moves) / 2;
        }
        if moves >= CELLS - 2 {
            return 0;
        }
        let min = -(CELLS - 2 - moves) / 2;
        if alpha < min {
            alpha = min;
            if alpha >= beta {
                return alpha;
            }
        }
        let mut max = (CELLS - 1 - moves) / 2;
        let key = pos.key();
        let slot = (key % self.keys.len() as u64) as usize;
        if self.keys.get(slot) == Some(&key) {
            let v = i32::from(self.vals.get(slot).copied().unwrap_or(0));
            if v > MAX_SCORE - MIN_SCORE + 1 {
                let lower = v + 2 * MIN_SCORE - MAX_SCORE - 2;
                if alpha < lower {
                    alpha = lower;
                    if alpha >= beta {
                        return alpha;
                    }
                }
            } else if v > 0 {
                max = v + MIN_SCORE - 1;
            }
        }
        if beta > max {
            beta = max;
            if alpha >= beta {
                return beta;
            }
        }
        // Order: most threats made first, centre first on ties.
        let mut order: Vec<(u32, usize, u64)> = CENTRE_FIRST
            .iter()
            .enumerate()
            .filter_map(|(rank, &c)| {
                let bit = next & column(c);
                (bit != 0).then(|| {
                    let threats = winning_cells(pos.current | bit, pos.mask | bit).count_ones();
                    (threats, rank, bit)
                })
            })
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, bit) in order {
            let score = -self.negamax(&pos.play_bit(bit), -beta, -alpha);
            if score >= beta {
                self.store(slot, key, (score + MAX_SCORE - 2 * MIN_SCORE + 2) as u8);
                return score;
            }
            if score > alpha {
                alpha = score;
            }
        }
        self.store(slot, key, (alpha - MIN_SCORE + 1) as u8);
        alpha
    }

    fn store(&mut self, slot: usize, key: u64, val: u8) {
        if let (Some(k), Some(v)) = (self.keys.get_mut(slot), self.vals.get_mut(slot)) {
            *k = key;
            *v = val;
        }
    }
}
