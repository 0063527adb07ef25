//! The solver against brute force (the game rules of
//! `cuatro_core::game`, no bitboards) on late positions, and, in release
//! builds on request, against the known values of the opening.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::rng::SplitMix64 as Rng;
use cuatro_core::game::{Game, Outcome};
use cuatro_proto::{Cell, COLS};

fn other(c: Cell) -> Cell {
    if c == Cell::Player {
        Cell::Cpu
    } else {
        Cell::Player
    }
}

/// The exact score of `game` for `who` (to move) by plain minimax over
/// `Game`: a win with the stone played onto `n` stones scores
/// `(43 - n) / 2`.
fn brute(game: &Game, who: Cell) -> i32 {
    let mut best = i32::MIN;
    for c in 0..COLS {
        if !game.is_legal(c) {
            continue;
        }
        let mut g = *game;
        let score = match g.drop_piece(c as i64, who).unwrap() {
            Outcome::Win => (44 - i32::from(g.pieces())) / 2,
            Outcome::Draw => 0,
            Outcome::Continue => -brute(&g, other(who)),
        };
        best = best.max(score);
    }
    best
}

/// Random games stopped when `left` empty cells remain (and nobody has
/// won): the game and whose turn it is.
fn late_positions(n: usize, left: u8, seed: u64) -> Vec<(Game, Cell)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    while out.len() < n {
        let mut g = Game::new();
        let mut who = Cell::Player;
        let mut over = false;
        while g.pieces() < 42 - left {
            let legal: Vec<usize> = (0..COLS).filter(|&c| g.is_legal(c)).collect();
            let c = legal[rng.below(legal.len() as u64) as usize];
            if g.drop_piece(c as i64, who).unwrap() != Outcome::Continue {
                over = true;
                break;
            }
            who = other(who);
        }
        if !over {
            out.push((g, who));
        }
    }
    out
}

#[test]
fn agrees_with_brute_force_on_late_positions() {
    let mut solver = Solver::with_table(100_003);
    let mut seen = [0usize; 3];
    for (game, who) in late_positions(150, 7, 3) {
        let pos = Position::from_game(&game, who);
        let want = brute(&game, who);
        assert_eq!(solver.solve(&pos), want, "{pos:?}");
        assert_eq!(solver.value(&pos), Value::of(want), "{pos:?}");
        seen[Value::of(want) as usize] += 1;
    }
    // The sample has wins, draws and losses.
    assert!(seen.iter().all(|&k| k > 0), "values seen: {seen:?}");
}

#[test]
fn a_fresh_and_a_warm_table_agree() {
    let positions = late_positions(40, 12, 9);
    let mut warm = Solver::with_table(1_000_003);
    for (game, who) in positions {
        let pos = Position::from_game(&game, who);
        let mut fresh = Solver::with_table(1_009);
        assert_eq!(fresh.solve(&pos), warm.solve(&pos), "{pos:?}");
    }
}

/// The opening's known values: only the centre column wins for the first
/// player; after 2 or 4 (the columns next to it) the game is drawn, and
/// after any other the second player wins. Minutes in a debug build:
/// `cargo test --release -p cuatro-kit -- --ignored`.
#[test]
#[ignore = "slow: run with --release -- --ignored"]
fn the_opening() {
    let mut solver = Solver::new();
    for (first, value) in [
        (3, Value::Loss),
        (2, Value::Draw),
        (4, Value::Draw),
        (0, Value::Win),
        (6, Value::Win),
    ] {
        let pos = Position::from_moves(&[first]).unwrap();
        assert_eq!(solver.value(&pos), value, "after column {first}");
    }
    assert_eq!(solver.value(&Position::EMPTY), Value::Win);
    assert_eq!(solver.solve(&Position::EMPTY), 1);
}
