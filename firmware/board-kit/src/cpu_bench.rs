//! `cpu-bench`: before serving, times `dificil` moves on the board and
//! logs them, for docs/CPU.md's worst-move table. Run the image under
//! `run-qemu --icount` (31.25 M instructions/s of virtual time, which
//! SysTick counts), so a millisecond here is 31,250 instructions.
//!
//! The CPU answers the seven first moves (the opening: the widest
//! positions, where the search always spends its whole budget), then
//! plays [`GAMES`] games as the second player against a seeded random
//! first player. Logs the worst move (its milliseconds, nodes and ply),
//! the mean, and the instructions per node at 31.25 MIPS.

use crate::{clock, log};
use cuatro_core::cpu::bitboard::Position;
use cuatro_core::cpu::{Rng, Search};
use cuatro_proto::COLS;

/// Games played after the openings.
pub const GAMES: u32 = 6;

/// Runs the benchmark and logs its lines.
pub fn run() {
    // One scratch, as the server has (in .bss; this build only).
    static mut SEARCH: Search = Search::new();
    // SAFETY: the only reference to SEARCH, taken once before serving.
    let search = unsafe { &mut *core::ptr::addr_of_mut!(SEARCH) };
    log::info()
        .s("cpu bench: dificil, ")
        .dec(search.budget())
        .s(" nodes a move")
        .end();
    let mut worst = (0u32, 0u32, 0u32); // (ms, nodes, ply)
    let mut total_ms = 0u32;
    let mut total_nodes = 0u32;
    let mut moves = 0u32;
    let mut time = |pos: &Position, search: &mut Search| -> Option<usize> {
        let t0 = clock::millis();
        let col = search.best_move(pos);
        let ms = clock::millis().wrapping_sub(t0);
        let nodes = search.stats().nodes;
        if ms > worst.0 {
            worst = (ms, nodes, u32::from(pos.moves));
        }
        total_ms = total_ms.wrapping_add(ms);
        total_nodes = total_nodes.wrapping_add(nodes);
        moves += 1;
        col
    };
    for first in 0..COLS {
        let pos = Position::EMPTY.play(first);
        // A cold table, as after boot: the worst case.
        search.clear();
        let _ = time(&pos, search);
    }
    let mut rng = Rng::new(0xC0FFEE);
    for _ in 0..GAMES {
        let mut pos = Position::EMPTY;
        'game: loop {
            // The random first player.
            let legal = (0..COLS).filter(|&c| pos.can_play(c)).count() as u32;
            if legal == 0 {
                break;
            }
            let pick = rng.below(legal) as usize;
            let Some(c) = (0..COLS).filter(|&c| pos.can_play(c)).nth(pick) else {
                break;
            };
            if pos.is_winning_move(c) {
                break 'game;
            }
            pos = pos.play(c);
            let Some(c) = time(&pos, search) else {
                break;
            };
            if pos.is_winning_move(c) {
                break;
            }
            pos = pos.play(c);
        }
    }
    log::info()
        .s("cpu bench: worst move ")
        .dec(worst.0)
        .s(" ms (")
        .dec(worst.1)
        .s(" nodes, ply ")
        .dec(worst.2)
        .s("), ")
        .dec(moves)
        .s(" moves, mean ")
        .dec(total_ms / moves.max(1))
        .s(" ms, ")
        .dec(total_nodes / moves.max(1))
        .s(" nodes; at 31.25 MIPS ")
        .dec(
            (u64::from(total_ms) * 31_250 / u64::from(total_nodes.max(1)))
                .try_into()
                .unwrap_or(u32::MAX),
        )
        .s(" instructions a node")
        .end();
}
