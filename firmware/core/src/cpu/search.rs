//! `dificil`: negamax with alpha-beta pruning on the bitboards, iterative
//! deepening under a fixed work budget, and a small transposition table.
//!
//! - **Work budget.** Every call of the search on a position is one
//!   *node*; a move searches depth 1, 2, 3… until [`Search::budget`] nodes
//!   are spent (or the game is solved from here), and plays the best move
//!   of the deepest search that finished (or of the last one cut short,
//!   if it found a better move before the budget ran out). A node costs a
//!   bounded amount of work (at most 7 children, each scored once), so a
//!   move costs at most `budget` × that: [`NODE_BUDGET`] keeps the worst
//!   move of a 25 MHz Cortex-M3 under 50 ms (docs/CPU.md).
//! - **Pruning.** A side that can win at once does (no search); moves that
//!   hand the opponent an immediate win are never tried, a single threat
//!   forces its block, two threats are a loss. Scores are bounded by the
//!   earliest win still possible.
//! - **Ordering.** The transposition table's best move first, then the
//!   moves that make the most threats (cells that would complete four),
//!   ties broken centre first.
//! - **Leaves.** At the depth limit a position is scored by its threats
//!   (counted double on the rows where they tend to decide the game: odd
//!   rows for the first player, even rows for the second) and the centre
//!   column.
//! - **Memory.** [`Search`] is the whole scratch: the table
//!   ([`TT_ENTRIES`] × 8 bytes) and three counters. It is not per
//!   session: the server owns one and lends it to whichever session is
//!   moving (one search at a time in the poll loop). Entries stay valid
//!   across moves, games and sessions (a key names a position, whoever
//!   reached it). The recursion is at most [`MAX_DEPTH`] deep.

use super::bitboard::{
    column, column_of, first_centre, winning_cells, Position, BOARD, CENTRE_FIRST,
};
use crate::game::CELLS;
use cuatro_proto::COLS;

/// Nodes one `dificil` move may search (see the module docs and
/// docs/CPU.md for how it was measured).
pub const NODE_BUDGET: u32 = 1_400;

/// The fewest nodes a budget may allow: a whole depth-1 search.
pub const MIN_BUDGET: u32 = 16;

/// log2 of [`TT_ENTRIES`].
const TT_BITS: u32 = 8;

/// Entries of the transposition table (8 bytes each).
pub const TT_ENTRIES: usize = 1 << TT_BITS;

/// Deepest iteration.
pub const MAX_DEPTH: u8 = 16;

/// Deepest recursion, forced moves included (bounds the stack).
pub const MAX_PLY: u8 = 20;

/// A win scores `WIN` less the stones on the board once it is made
/// (quicker wins score higher); anything the leaves say is far smaller.
const WIN: i32 = 1_000;

/// Scores at or beyond this (in absolute value) are proven wins or losses.
const PROVEN: i32 = WIN - CELLS as i32;

/// Above every score.
const INF: i32 = WIN + 1;

const EXACT: u32 = 1;
const LOWER: u32 = 2;
const UPPER: u32 = 3;

/// The scratch of the search: shared by every session of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// `(key >> 17) << 32 | data`; 0 is an empty entry (no key's top bits
    /// are all zero: the bottom row is part of every key).
    table: [u64; TT_ENTRIES],
    /// Nodes per move; 0 stands for [`NODE_BUDGET`], so that zeroed
    /// memory is a ready scratch.
    budget: u32,
    nodes: u32,
    /// The budget of the move being searched ([`Search::budget`]).
    limit: u32,
    depth: u8,
}

impl Default for Search {
    fn default() -> Self {
        Search::new()
    }
}

/// What the last move's search did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchStats {
    /// Nodes searched.
    pub nodes: u32,
    /// Depth of the deepest iteration that finished (0: none was needed:
    /// a forced move).
    pub depth: u8,
}

impl Search {
    /// An empty table and the default budget ([`NODE_BUDGET`]). All
    /// zeros: a zeroed `Search` in memory is the same.
    pub const fn new() -> Self {
        Search {
            table: [0; TT_ENTRIES],
            budget: 0,
            nodes: 0,
            limit: 0,
            depth: 0,
        }
    }

    /// An empty table and a budget of `nodes` per move (at least
    /// [`MIN_BUDGET`]).
    pub const fn with_budget(nodes: u32) -> Self {
        Search {
            table: [0; TT_ENTRIES],
            budget: if nodes < MIN_BUDGET {
                MIN_BUDGET
            } else {
                nodes
            },
            nodes: 0,
            limit: 0,
            depth: 0,
        }
    }

    /// Nodes a move may search.
    pub const fn budget(&self) -> u32 {
        if self.budget == 0 {
            NODE_BUDGET
        } else {
            self.budget
        }
    }

    /// What the last [`Search::best_move`] did.
    pub const fn stats(&self) -> SearchStats {
        SearchStats {
            nodes: self.nodes,
            depth: self.depth,
        }
    }

    /// Forgets every table entry.
    pub fn clear(&mut self) {
        self.table = [0; TT_ENTRIES];
    }

    /// The best column for the side to move (`None`: the board is full).
    pub fn best_move(&mut self, pos: &Position) -> Option<usize> {
        self.nodes = 0;
        self.depth = 0;
        self.limit = self.budget();
        let possible = pos.possible();
        if possible == 0 {
            return None;
        }
        let win = pos.winning() & possible;
        if win != 0 {
            return first_centre(win);
        }
        let theirs = pos.opponent_winning();
        let next = non_losing(possible, theirs);
        if next == 0 {
            // Lost whatever we do: block one threat, hoping for a mistake.
            return first_centre(theirs & possible).or(first_centre(possible));
        }
        if next & (next - 1) == 0 {
            return Some(column_of(next));
        }
        let mut best = first_centre(next)?;
        let left = CELLS.saturating_sub(pos.moves);
        for depth in 1..=left.min(MAX_DEPTH) {
            let (col, score, finished) = self.root(pos, next, depth, best);
            if let Some(col) = col {
                best = col;
            }
            if !finished {
                break;
            }
            self.depth = depth;
            if score.abs() >= PROVEN {
                break;
            }
        }
        Some(best)
    }

    /// One iteration at the root: `(best column, its score, finished)`.
    /// The column is `None` when the budget ran out before any move was
    /// searched to the end.
    fn root(
        &mut self,
        pos: &Position,
        next: u64,
        depth: u8,
        previous: usize,
    ) -> (Option<usize>, i32, bool) {
        let mut order = Order::new(pos, next, Some(previous));
        let mut alpha = -INF;
        let mut best = None;
        while let Some((bit, threats)) = order.pop(pos) {
            let child = pos.play_bit(bit);
            let score = -self.negamax(&child, threats, depth - 1, -INF, -alpha, 1);
            if self.nodes > self.limit {
                return (best, alpha, false);
            }
            if score > alpha {
                alpha = score;
                best = Some(column_of(bit));
            }
        }
        (best, alpha, true)
    }

    /// The score of `pos` for its side to move, searched `depth` more
    /// moves deep, within (`alpha`, `beta`). `theirs`: the cells that
    /// would complete four for the side that just moved (its parent
    /// computed them to order its moves).
    fn negamax(
        &mut self,
        pos: &Position,
        theirs: u64,
        depth: u8,
        mut alpha: i32,
        mut beta: i32,
        ply: u8,
    ) -> i32 {
        self.nodes = self.nodes.saturating_add(1);
        let moves = i32::from(pos.moves);
        let possible = pos.possible();
        let mine = winning_cells(pos.current, pos.mask);
        if mine & possible != 0 {
            return WIN - (moves + 1);
        }
        let next = non_losing(possible, theirs);
        if next == 0 {
            return -(WIN - (moves + 2));
        }
        if moves >= i32::from(CELLS) - 2 {
            return 0;
        }
        if self.nodes > self.limit {
            return leaf(pos, mine, theirs);
        }
        if next & (next - 1) == 0 && ply < MAX_PLY {
            // A forced move: searched without spending depth.
            let threats = winning_cells(pos.current | next, pos.mask | next);
            let child = pos.play_bit(next);
            return -self.negamax(&child, threats, depth, -beta, -alpha, ply + 1);
        }
        if depth == 0 {
            return leaf(pos, mine, theirs);
        }
        // The best still possible: winning with our move after next.
        let max = WIN - (moves + 3);
        if beta > max {
            beta = max;
            if alpha >= beta {
                return beta;
            }
        }
        let key = pos.key();
        let slot = slot(key);
        let check = (key >> 17) as u32;
        let entry = self.table.get(slot).copied().unwrap_or(0);
        let mut tt_move = None;
        if entry >> 32 == u64::from(check) {
            let data = entry as u32;
            let score = i32::from(data as u16 as i16);
            let stored_depth = (data >> 16) & 0xff;
            let flag = (data >> 24) & 3;
            let col = (data >> 26) & 7;
            if col > 0 {
                tt_move = Some(col as usize - 1);
            }
            if stored_depth >= u32::from(depth) {
                match flag {
                    EXACT => return score,
                    LOWER if score >= beta => return score,
                    UPPER if score <= alpha => return score,
                    _ => {}
                }
            }
        }
        let alpha0 = alpha;
        let mut best = -INF;
        let mut best_col = 0;
        let mut order = Order::new(pos, next, tt_move);
        while let Some((bit, threats)) = order.pop(pos) {
            let score = -self.negamax(
                &pos.play_bit(bit),
                threats,
                depth - 1,
                -beta,
                -alpha,
                ply + 1,
            );
            if score > best {
                best = score;
                best_col = column_of(bit);
            }
            if score > alpha {
                alpha = score;
                if alpha >= beta {
                    break;
                }
            }
            if self.nodes > self.limit {
                // Cut short: nothing reliable to store.
                return best;
            }
        }
        let flag = if best <= alpha0 {
            UPPER
        } else if best >= beta {
            LOWER
        } else {
            EXACT
        };
        let data = u32::from(best as i16 as u16)
            | u32::from(depth) << 16
            | flag << 24
            | ((best_col as u32 + 1) & 7) << 26;
        if let Some(e) = self.table.get_mut(slot) {
            *e = u64::from(check) << 32 | u64::from(data);
        }
        best
    }
}

/// The playable cells (of `possible`) that do not hand the opponent,
/// whose winning cells are `theirs`, a win at once: the one threat to
/// block if there is one, none if two, never a cell right below one.
fn non_losing(possible: u64, theirs: u64) -> u64 {
    let forced = possible & theirs;
    let possible = if forced != 0 {
        if forced & (forced - 1) != 0 {
            return 0;
        }
        forced
    } else {
        possible
    };
    possible & !(theirs >> 1)
}

/// The table slot of `key` (Fibonacci hashing).
fn slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - TT_BITS)) as usize
}

/// Rows 1, 3, 5 counted from the bottom (bit rows 0, 2, 4).
const ODD_ROWS: u64 = BOARD & 0b1_0101_0001_0101_0001_0101_0001_0101_0001_0101_0001_0101_0001_0101;
/// Rows 2, 4, 6 from the bottom.
const EVEN_ROWS: u64 = BOARD & !ODD_ROWS;

/// The static score of `pos` for its side to move (a leaf of the
/// search): `mine` and `theirs` are the empty cells that would complete
/// four for it and for its opponent.
fn leaf(pos: &Position, mine: u64, theirs: u64) -> i32 {
    // The first player's good rows are the odd ones.
    let (my_rows, their_rows) = if pos.moves & 1 == 0 {
        (ODD_ROWS, EVEN_ROWS)
    } else {
        (EVEN_ROWS, ODD_ROWS)
    };
    let count = |b: u64| b.count_ones() as i32;
    let centre = column(3);
    3 * (count(mine) - count(theirs))
        + 2 * (count(mine & my_rows) - count(theirs & their_rows))
        + count(pos.current & centre)
        - count(pos.opponent() & centre)
}

/// The children of a position, handed out best first: the table's move,
/// then the most threats made, ties centre first.
struct Order {
    /// The cells that complete four for the side that moved, after each
    /// child (they are the child's opponent's: it needs them first).
    threats: [u64; COLS],
    /// The column of each child.
    cols: [u8; COLS],
    /// Its rank (255: the table's move); 0 once handed out.
    scores: [u8; COLS],
}

impl Order {
    /// Orders the cells of `moves`; `first` (a column) leads.
    fn new(pos: &Position, moves: u64, first: Option<usize>) -> Order {
        let mut order = Order {
            threats: [0; COLS],
            cols: [0; COLS],
            scores: [0; COLS],
        };
        let slots = order
            .threats
            .iter_mut()
            .zip(order.cols.iter_mut())
            .zip(order.scores.iter_mut());
        let mut columns = CENTRE_FIRST.into_iter().filter(|&c| moves & column(c) != 0);
        for ((threats, col), score) in slots {
            let Some(c) = columns.next() else { break };
            let bit = moves & column(c);
            *col = c as u8;
            *threats = winning_cells(pos.current | bit, pos.mask | bit);
            // 1 + threats (at most 42): never 0, never 255.
            *score = if first == Some(c) {
                u8::MAX
            } else {
                threats.count_ones() as u8 + 1
            };
        }
        order
    }

    /// The best child left of `pos`: its cell and its threats.
    fn pop(&mut self, pos: &Position) -> Option<(u64, u64)> {
        let mut best: Option<usize> = None;
        let mut top = 0;
        for (i, &s) in self.scores.iter().enumerate() {
            if s > top {
                top = s;
                best = Some(i);
            }
        }
        let i = best?;
        if let Some(s) = self.scores.get_mut(i) {
            *s = 0;
        }
        let col = usize::from(self.cols.get(i).copied().unwrap_or(0));
        Some((
            pos.possible() & column(col),
            self.threats.get(i).copied().unwrap_or(0),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn best(moves: &[u8]) -> usize {
        let p = Position::from_moves(moves).unwrap();
        Search::new().best_move(&p).unwrap()
    }

    #[test]
    fn takes_an_immediate_win() {
        assert_eq!(best(&[0, 4, 1, 4, 2, 4]), 3);
        // The second player's vertical three.
        assert_eq!(best(&[0, 4, 1, 4, 6, 4, 6]), 4);
    }

    #[test]
    fn blocks_a_one_move_threat() {
        assert_eq!(best(&[0, 6, 1, 6, 2]), 3);
    }

    /// Positions where the side to move wins with its second move (a
    /// double threat, or a threat on top of a threat) and not with its
    /// first: the search must play a move that does. Two by hand, and
    /// every such position met in 300 seeded random games; each is checked
    /// by brute force here, independently of the search.
    #[test]
    fn never_misses_a_win_in_two() {
        let by_hand: [&[u8]; 2] = [
            // First player: 2, 3 on the bottom with 1 and 4 open; playing
            // 1 or 4 makes three with both ends open.
            &[2, 2, 3, 3],
            // Second player to move: 3, 4 on the bottom, 2 makes 2-3-4
            // with 1 and 5 open.
            &[0, 3, 0, 4, 6],
        ];
        let mut positions: std::vec::Vec<Position> = by_hand
            .iter()
            .map(|m| Position::from_moves(m).unwrap())
            .collect();
        let mut rng = crate::cpu::Rng::new(11);
        for _ in 0..300 {
            let mut p = Position::EMPTY;
            while p.possible() != 0 && !p.can_win_next() {
                positions.push(p);
                let legal: std::vec::Vec<usize> = (0..COLS).filter(|&c| p.can_play(c)).collect();
                p = p.play(legal[rng.below(legal.len() as u32) as usize]);
            }
        }
        let mut search = Search::new();
        let mut checked = 0;
        for p in positions {
            if p.can_win_next() {
                continue;
            }
            let winning: std::vec::Vec<usize> = (0..COLS).filter(|&c| wins_in_two(&p, c)).collect();
            if winning.is_empty() {
                continue;
            }
            checked += 1;
            let c = search.best_move(&p).unwrap();
            assert!(
                winning.contains(&c),
                "{p:?}: played {c}, wins in two: {winning:?}"
            );
        }
        assert!(checked >= 100, "only {checked} positions with a win in two");
    }

    /// Whether playing `c` wins at the side's next move whatever the
    /// opponent answers (brute force, independent of the search).
    fn wins_in_two(p: &Position, c: usize) -> bool {
        if !p.can_play(c) {
            return false;
        }
        if p.is_winning_move(c) {
            return true;
        }
        let q = p.play(c);
        (0..COLS).filter(|&r| q.can_play(r)).all(|r| {
            if q.is_winning_move(r) {
                return false;
            }
            let s = q.play(r);
            (0..COLS).any(|w| s.can_play(w) && s.is_winning_move(w))
        })
    }

    #[test]
    fn respects_its_budget_and_memory() {
        let mut s = Search::with_budget(500);
        let p = Position::from_moves(&[3]).unwrap();
        s.best_move(&p).unwrap();
        // The last node may overshoot by the children it had started.
        assert!(s.stats().nodes <= 500 + 1, "{:?}", s.stats());
        assert!(s.stats().depth >= 2, "{:?}", s.stats());
        assert!(core::mem::size_of::<Search>() <= 4096 + 16);
    }

    #[test]
    fn deeper_with_more_budget_and_table_is_reusable() {
        let p = Position::from_moves(&[3, 3]).unwrap();
        let mut small = Search::with_budget(200);
        let mut big = Search::with_budget(20_000);
        small.best_move(&p).unwrap();
        big.best_move(&p).unwrap();
        assert!(big.stats().depth > small.stats().depth);
        // A second search on the warm table gives a legal move again.
        let c = big.best_move(&p).unwrap();
        assert!(p.can_play(c));
    }
}
