//! `cuatro strength`: how well the CPU levels play, in numbers.
//!
//! Two measures, both printed as Markdown tables (docs/CPU.md quotes
//! them):
//!
//! 1. **Matches.** Whole games between the levels, straight on the core's
//!    CPU code (no server): `dificil` as the second player (as it plays on
//!    the server) against a random player, against `facil`, and against
//!    itself at a smaller budget; the same for `facil` against random, as
//!    a reference. Games between two deterministic players open with two
//!    random plies, so that they differ.
//! 2. **Positions.** A few hundred positions with the second player to
//!    move, 9 to 29 stones, from varied play (random, `facil` and a small
//!    `dificil` mixed), without the trivial ones (a win at once, or a
//!    single move that does not lose at once). The solver
//!    ([`cuatro_kit::solver`]) labels each win, draw or loss; a level's
//!    move *keeps the value* when the position after it has the same
//!    value for that player. In a lost position every move keeps it, so
//!    the share is also given over the won and drawn ones.
//!
//! Seeded: the same options print the same tables.

use cuatro_core::cpu::bitboard::Position;
use cuatro_core::cpu::search::SearchStats;
use cuatro_core::cpu::{tactics, Level, Rng, Search, NODE_BUDGET};
use cuatro_kit::solver::Solver;
use cuatro_proto::COLS;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

/// The budget of the `dificil` player that helps make the positions
/// (fixed, so that the positions do not depend on the budget measured).
const MIXER_BUDGET: u32 = 500;

/// What to run.
#[derive(Debug, Clone)]
pub struct StrengthConfig {
    /// Games per match.
    pub games: usize,
    /// Solver-labelled positions.
    pub positions: usize,
    /// `dificil`'s node budget.
    pub budget: u32,
    /// The smaller budget of `dificil`'s opponent in self-play.
    pub small_budget: u32,
    /// Seed of everything random.
    pub seed: u64,
}

impl Default for StrengthConfig {
    fn default() -> Self {
        StrengthConfig {
            games: 1000,
            positions: 300,
            budget: NODE_BUDGET,
            small_budget: NODE_BUDGET / 8,
            seed: 1,
        }
    }
}

/// One player: a level (and `dificil`'s budget), its generator and scratch.
struct Player {
    level: Level,
    rng: Rng,
    search: Search,
    /// The largest search of a move, and the sum of nodes and depths.
    worst: SearchStats,
    nodes: u64,
    depths: u64,
    moves: u64,
}

impl Player {
    fn new(level: Level, budget: u32, seed: u64) -> Player {
        Player {
            level,
            rng: Rng::new(seed),
            search: Search::with_budget(budget),
            worst: SearchStats { nodes: 0, depth: 0 },
            nodes: 0,
            depths: 0,
            moves: 0,
        }
    }

    fn name(&self) -> String {
        match self.level {
            Level::Dificil => format!("dificil ({} nodes)", self.search.budget()),
            l => l.name().to_owned(),
        }
    }

    /// The column this player plays in `pos` (its side to move).
    fn pick(&mut self, pos: &Position) -> usize {
        let col = match self.level {
            Level::Aleatorio => random(pos, &mut self.rng),
            Level::Facil => tactics::winning_column(pos)
                .or_else(|| tactics::blocking_column(pos))
                .or_else(|| random(pos, &mut self.rng)),
            Level::Dificil => {
                let c = self.search.best_move(pos);
                let s = self.search.stats();
                if s.nodes > self.worst.nodes {
                    self.worst = s;
                }
                self.nodes += u64::from(s.nodes);
                self.depths += u64::from(s.depth);
                self.moves += 1;
                c
            }
        };
        col.unwrap_or(0)
    }
}

fn random(pos: &Position, rng: &mut Rng) -> Option<usize> {
    let legal: Vec<usize> = (0..COLS).filter(|&c| pos.can_play(c)).collect();
    legal.get(rng.below(legal.len() as u32) as usize).copied()
}

/// How a game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    First,
    Second,
    Draw,
}

/// Plays one game; `opening` plies are random first.
fn game(first: &mut Player, second: &mut Player, opening: usize, rng: &mut Rng) -> End {
    let mut pos = Position::EMPTY;
    loop {
        if pos.possible() == 0 {
            return End::Draw;
        }
        let first_to_move = pos.moves.is_multiple_of(2);
        let col = if usize::from(pos.moves) < opening {
            random(&pos, rng).unwrap_or(0)
        } else if first_to_move {
            first.pick(&pos)
        } else {
            second.pick(&pos)
        };
        if !pos.can_play(col) {
            // Cannot happen: every level plays a legal column.
            return if first_to_move {
                End::Second
            } else {
                End::First
            };
        }
        if pos.is_winning_move(col) {
            return if first_to_move {
                End::First
            } else {
                End::Second
            };
        }
        pos = pos.play(col);
    }
}

/// A match's row: the second player's wins, draws, losses.
struct MatchRow {
    first: String,
    second: String,
    opening: usize,
    games: usize,
    wins: usize,
    draws: usize,
    losses: usize,
}

fn play_match(
    mut first: Player,
    mut second: Player,
    games: usize,
    opening: usize,
    seed: u64,
) -> (MatchRow, Player) {
    let mut rng = Rng::new(seed);
    let (mut wins, mut draws, mut losses) = (0, 0, 0);
    for _ in 0..games {
        match game(&mut first, &mut second, opening, &mut rng) {
            End::Second => wins += 1,
            End::Draw => draws += 1,
            End::First => losses += 1,
        }
    }
    let row = MatchRow {
        first: first.name(),
        second: second.name(),
        opening,
        games,
        wins,
        draws,
        losses,
    };
    (row, second)
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        return "—".into();
    }
    format!("{:.1} %", 100.0 * n as f64 / of as f64)
}

/// A position for the second player to move, from varied play: `None` if
/// the game ended first or the position is trivial.
fn varied_position(stones: u8, mixers: &mut [Player], rng: &mut Rng) -> Option<Position> {
    let mut pos = Position::EMPTY;
    while pos.moves < stones {
        let pick = rng.below(10);
        let col = match pick {
            0..=3 => random(&pos, rng)?,
            4..=6 => mixers.get_mut(0)?.pick(&pos),
            _ => mixers.get_mut(1)?.pick(&pos),
        };
        if !pos.can_play(col) || pos.is_winning_move(col) {
            return None;
        }
        pos = pos.play(col);
    }
    let next = pos.non_losing();
    let trivial = pos.can_win_next() || next & next.wrapping_sub(1) == 0;
    (!trivial).then_some(pos)
}

/// Runs both measures; progress goes to `progress`, the tables are
/// returned (Markdown).
pub fn run(config: &StrengthConfig, progress: &mut impl Write) -> String {
    let mut out = String::new();
    let n = config.games;
    let s = config.seed;
    let b = config.budget;
    let small = config.small_budget;
    let _ = writeln!(
        out,
        "Matches, {n} games each (`cuatro strength --games {n} --budget {b} --seed {s}`):\n"
    );
    let _ = writeln!(
        out,
        "| first player | second player | random opening plies | second wins | draws | second loses |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    let matches: Vec<(Player, Player, usize)> = vec![
        (
            Player::new(Level::Aleatorio, b, s ^ 1),
            Player::new(Level::Dificil, b, s ^ 2),
            0,
        ),
        (
            Player::new(Level::Facil, b, s ^ 3),
            Player::new(Level::Dificil, b, s ^ 4),
            0,
        ),
        (
            Player::new(Level::Dificil, small, s ^ 5),
            Player::new(Level::Dificil, b, s ^ 6),
            2,
        ),
        (
            Player::new(Level::Dificil, b, s ^ 7),
            Player::new(Level::Dificil, small, s ^ 8),
            2,
        ),
        (
            Player::new(Level::Aleatorio, b, s ^ 9),
            Player::new(Level::Facil, b, s ^ 10),
            0,
        ),
        (
            Player::new(Level::Aleatorio, b, s ^ 11),
            Player::new(Level::Aleatorio, b, s ^ 12),
            0,
        ),
    ];
    let mut searched = Vec::new();
    for (i, (first, second, opening)) in matches.into_iter().enumerate() {
        let t = Instant::now();
        let (row, second) = play_match(first, second, n, opening, s ^ (100 + i as u64));
        let _ = writeln!(
            progress,
            "strength: {} vs {}: {:.1?}",
            row.first,
            row.second,
            t.elapsed()
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} ({}) | {} ({}) | {} ({}) |",
            row.first,
            row.second,
            row.opening,
            row.wins,
            pct(row.wins, row.games),
            row.draws,
            pct(row.draws, row.games),
            row.losses,
            pct(row.losses, row.games),
        );
        if second.moves > 0 {
            searched.push(second);
        }
    }
    let _ = writeln!(out);
    for p in &searched {
        let _ = writeln!(
            out,
            "{} as second player: {} moves searched, mean {:.0} nodes and depth {:.1}, largest {} nodes.",
            p.name(),
            p.moves,
            p.nodes as f64 / p.moves as f64,
            p.depths as f64 / p.moves as f64,
            p.worst.nodes
        );
    }
    out.push('\n');
    out.push_str(&positions(config, progress));
    out
}

/// The solver-labelled positions table.
fn positions(config: &StrengthConfig, progress: &mut impl Write) -> String {
    let mut out = String::new();
    let s = config.seed;
    let mut rng = Rng::new(s ^ 0x5EED);
    // Fixed players, so that every budget is measured on the same positions.
    let mut mixers = [
        Player::new(Level::Facil, MIXER_BUDGET, s ^ 21),
        Player::new(Level::Dificil, MIXER_BUDGET, s ^ 22),
    ];
    let mut levels = [
        Player::new(Level::Dificil, config.budget, s ^ 23),
        Player::new(Level::Facil, config.budget, s ^ 24),
        Player::new(Level::Aleatorio, config.budget, s ^ 25),
    ];
    let mut solver = Solver::new();
    // kept[level][value of the position], of[value]
    let mut kept = [[0usize; 3]; 3];
    let mut of = [0usize; 3];
    let t = Instant::now();
    let mut done = 0;
    while done < config.positions {
        // Odd stone counts 9..=29: the second player to move.
        let stones = 9 + 2 * rng.below(11) as u8;
        let Some(pos) = varied_position(stones, &mut mixers, &mut rng) else {
            continue;
        };
        let value = solver.value(&pos);
        if let Some(n) = of.get_mut(value as usize) {
            *n += 1;
        }
        for (level, kept) in levels.iter_mut().zip(kept.iter_mut()) {
            let col = level.pick(&pos);
            let after = solver.value(&pos.play(col)).flip();
            if after == value {
                if let Some(n) = kept.get_mut(value as usize) {
                    *n += 1;
                }
            }
        }
        done += 1;
        if done % 50 == 0 {
            let _ = writeln!(
                progress,
                "strength: {done} positions labelled, {:.1?}, {} solver nodes",
                t.elapsed(),
                solver.nodes()
            );
        }
    }
    let total = config.positions;
    let [loss, draw, win] = of;
    let _ = writeln!(
        out,
        "Solver-labelled positions (`--positions {total}`): {total} positions, second player to move, \
         9–29 stones: {win} won, {draw} drawn, {loss} lost for the side to move \
         (labelled in {:.1?}).\n",
        t.elapsed()
    );
    let _ = writeln!(
        out,
        "| level | keeps the value: all | of won | of drawn | won and drawn |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (level, &[kl, kd, kw]) in levels.iter().zip(kept.iter()) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            level.name(),
            pct(kl + kd + kw, total),
            pct(kw, win),
            pct(kd, draw),
            pct(kw + kd, win + draw),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny run: the tables come out, with every row, and `dificil`
    /// beats a random player most of the time even at a small budget.
    #[test]
    fn a_small_run_prints_both_tables() {
        let config = StrengthConfig {
            games: 20,
            positions: 6,
            budget: 300,
            small_budget: 50,
            seed: 3,
        };
        let text = run(&config, &mut std::io::sink());
        assert!(
            text.contains("| aleatorio | dificil (300 nodes) |"),
            "{text}"
        );
        assert!(text.contains("| facil | dificil (300 nodes) |"), "{text}");
        assert!(text.contains("| level | keeps the value"), "{text}");
        let row = text
            .lines()
            .find(|l| l.starts_with("| aleatorio | dificil"))
            .unwrap_or_default();
        let wins: usize = row
            .split('|')
            .nth(4)
            .and_then(|c| c.split_whitespace().next())
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(wins >= 15, "{row}");
    }
}
