//! The one list of end-to-end scenarios. Every target iterates it: the
//! in-process simulator (`tests/hostile.rs`, one `#[test]` per entry through
//! [`for_each_scenario!`](crate::for_each_scenario), each on a fresh
//! simulator), `cuatro serve` and `cuatro-sim` (`tests/cli.rs`), each QEMU
//! board (`tests/board_qemu.rs`, one after the other on one boot). An entry
//! says what it needs of the server ([`Needs`]); a target that cannot give
//! it skips the entry and says why ([`Needs::unmet_by`]).
//!
//! To add a scenario: write it as a function of a [`Target`] in the module
//! of its concern, then add one line to the list below.

use super::{framing::*, idle::*, levels::*, payloads::*, pipelining::*, pvp::*, sessions::*};
use crate::{bounded, Target};
use cuatro_proto::Codec::{Classic, Compact};
use cuatro_proto::Level::{Aleatorio, Dificil, Facil};
use std::time::Duration;

/// The time limit of a quick scenario (a wedged server fails it instead of
/// hanging the test).
pub const SHORT: Duration = Duration::from_secs(60);
/// The time limit of a scenario that plays many games or moves much data.
pub const LONG: Duration = Duration::from_secs(300);
/// The idle timeout of the server the idle scenarios run on: they wait it
/// out, so it is short.
pub const SHORT_IDLE: Duration = Duration::from_secs(2);

/// How many game sessions a scenario holds at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// At least this many (it holds that many at once).
    AtLeast(usize),
    /// Exactly this many: it fills the pool and expects "server full" next.
    Exactly(usize),
}

/// What a scenario needs of the server it runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The server's game sessions.
    pub sessions: Sessions,
    /// The server's idle timeout must be exactly this (the scenario waits
    /// it out); `None`: any (the scenario never idles).
    pub idle_timeout: Option<Duration>,
    /// The player-vs-player ports.
    pub pvp: bool,
}

impl Needs {
    /// One session at a time.
    pub const ONE: Needs = Needs::at_least(1);
    /// Two at once: a bystander and the client under test.
    pub const PAIR: Needs = Needs::at_least(2);
    /// Four at once.
    pub const FOUR: Needs = Needs::at_least(4);
    /// A pool of exactly four: filled, then "server full".
    pub const POOL_OF_FOUR: Needs = Needs {
        sessions: Sessions::Exactly(4),
        idle_timeout: None,
        pvp: false,
    };

    const fn at_least(n: usize) -> Needs {
        Needs {
            sessions: Sessions::AtLeast(n),
            idle_timeout: None,
            pvp: false,
        }
    }

    /// These needs, on a server whose idle timeout is [`SHORT_IDLE`].
    pub const fn short_idle(self) -> Needs {
        Needs {
            idle_timeout: Some(SHORT_IDLE),
            ..self
        }
    }

    /// These needs, and the player-vs-player ports.
    pub const fn pvp(self) -> Needs {
        Needs { pvp: true, ..self }
    }

    /// Why a server that `offers` what it offers cannot run a scenario
    /// with these needs; `None` when it can.
    pub fn unmet_by(&self, offers: &Offers) -> Option<String> {
        let have = offers.sessions;
        let sessions = match self.sessions {
            Sessions::AtLeast(n) if have < n => {
                Some(format!("needs {n} sessions at once, the server has {have}"))
            }
            Sessions::Exactly(n) if have != n => Some(format!(
                "fills a pool of exactly {n} sessions, the server has {have}"
            )),
            _ => None,
        };
        let idle = match self.idle_timeout {
            Some(want) if want != offers.idle_timeout => Some(format!(
                "needs an idle timeout of {want:?}, the server's is {:?}",
                offers.idle_timeout
            )),
            _ => None,
        };
        let pvp = (self.pvp && !offers.pvp).then(|| "needs the player-vs-player ports".to_owned());
        let why: Vec<String> = [sessions, idle, pvp].into_iter().flatten().collect();
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// What a server under test gives, to match against [`Needs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offers {
    /// Its game sessions.
    pub sessions: usize,
    /// Its idle timeout.
    pub idle_timeout: Duration,
    /// Whether it serves the player-vs-player ports.
    pub pvp: bool,
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name: an identifier (the simulator's `#[test]` is named after it).
    pub name: &'static str,
    /// How long it may take, on the slowest target (the QEMU board).
    pub limit: Duration,
    /// What it needs of the server.
    pub needs: Needs,
    /// The scenario, against a server's addresses; panics on a deviation.
    pub run: fn(&Target),
}

impl Scenario {
    /// Runs it against `t` on its own thread, failing past [`Self::limit`].
    pub fn run_bounded(&self, t: Target) {
        let run = self.run;
        bounded(self.limit, move || run(&t));
    }
}

/// Every scenario, once.
pub fn all() -> &'static [Scenario] {
    ALL
}

/// The scenario named `name`.
pub fn get(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// Defines `ALL` and [`for_each_scenario!`](crate::for_each_scenario) from
/// one list (`$d` is a literal `$`, so that the inner macro can have
/// metavariables of its own).
macro_rules! registry {
    ($d:tt $($name:ident, $limit:expr, $needs:expr, $run:expr;)*) => {
        const ALL: &[Scenario] = &[$(Scenario {
            name: stringify!($name),
            limit: $limit,
            needs: $needs,
            run: $run,
        }),*];

        /// Calls `$m!(name);` for the name of every scenario of
        /// [`registry::all`](crate::scenarios::registry::all), in order: a
        /// test file makes one `#[test]` per scenario with it.
        #[macro_export]
        macro_rules! for_each_scenario {
            ($d m:ident) => { $($d m!($name);)* };
        }
    };
}

registry! { $
    // framing
    frame_empty_classic, SHORT, Needs::PAIR, |t| frame_empty(t, Classic);
    frame_empty_compact, SHORT, Needs::PAIR, |t| frame_empty(t, Compact);
    frame_huge_classic, SHORT, Needs::PAIR, |t| frame_huge(t, Classic);
    frame_huge_compact, SHORT, Needs::PAIR, |t| frame_huge(t, Compact);
    frame_over_max_classic, SHORT, Needs::PAIR, |t| frame_over_max(t, Classic);
    frame_over_max_compact, SHORT, Needs::PAIR, |t| frame_over_max(t, Compact);
    frame_at_max, SHORT, Needs::PAIR, frame_at_max;
    nothing_after_framing_error_classic, SHORT, Needs::PAIR,
        |t| nothing_after_framing_error(t, Classic);
    nothing_after_framing_error_compact, SHORT, Needs::PAIR,
        |t| nothing_after_framing_error(t, Compact);
    // payloads
    invalid_json, SHORT, Needs::PAIR, invalid_json;
    invalid_utf8, SHORT, Needs::PAIR, invalid_utf8;
    wrong_types, SHORT, Needs::PAIR, wrong_types;
    unknown_tipo, SHORT, Needs::PAIR, unknown_tipo;
    deep_nesting, SHORT, Needs::PAIR, deep_nesting;
    numbers_out_of_range, SHORT, Needs::PAIR, numbers_out_of_range;
    compact_garbage, SHORT, Needs::PAIR, compact_garbage;
    json_variants, SHORT, Needs::PAIR, json_variants;
    // CPU levels
    level_aleatorio_classic, SHORT, Needs::PAIR, |t| levels_play(t, Classic, Aleatorio);
    level_aleatorio_compact, SHORT, Needs::PAIR, |t| levels_play(t, Compact, Aleatorio);
    level_facil_classic, SHORT, Needs::PAIR, |t| levels_play(t, Classic, Facil);
    level_facil_compact, SHORT, Needs::PAIR, |t| levels_play(t, Compact, Facil);
    level_dificil_classic, SHORT, Needs::PAIR, |t| levels_play(t, Classic, Dificil);
    level_dificil_compact, SHORT, Needs::PAIR, |t| levels_play(t, Compact, Dificil);
    bad_level, SHORT, Needs::PAIR, bad_level;
    default_level, SHORT, Needs::ONE, default_level;
    // player vs player
    pvp_classic_vs_classic, SHORT, Needs::PAIR.pvp(), |t| pvp_game(t, Classic, Classic);
    pvp_compact_vs_compact, SHORT, Needs::PAIR.pvp(), |t| pvp_game(t, Compact, Compact);
    pvp_classic_vs_compact, SHORT, Needs::PAIR.pvp(), |t| pvp_game(t, Classic, Compact);
    pvp_leaver, SHORT, Needs::PAIR.pvp(), pvp_leaver;
    pvp_half_closed, SHORT, Needs::PAIR.pvp(), pvp_half_closed;
    pvp_two_matches, SHORT, Needs::FOUR.pvp(), pvp_two_matches;
    // pipelining
    pipelined_10_classic, SHORT, Needs::PAIR, |t| pipelined(t, Classic, 10);
    pipelined_10_compact, SHORT, Needs::PAIR, |t| pipelined(t, Compact, 10);
    // More requests than the board's receive buffer, more reply bytes than
    // its transmit buffer: everything answered, in order.
    pipelined_80_classic_backpressure, LONG, Needs::PAIR, |t| pipelined(t, Classic, 80);
    pipelined_200_compact_backpressure, LONG, Needs::PAIR, |t| pipelined(t, Compact, 200);
    pipelined_mixed, SHORT, Needs::PAIR, pipelined_mixed;
    byte_by_byte_classic, SHORT, Needs::PAIR, |t| byte_by_byte(t, Classic);
    byte_by_byte_compact, SHORT, Needs::PAIR, |t| byte_by_byte(t, Compact);
    half_close_classic, SHORT, Needs::PAIR, |t| half_close(t, Classic);
    half_close_compact, SHORT, Needs::PAIR, |t| half_close(t, Compact);
    slow_reader_400_classic, LONG, Needs::PAIR, |t| slow_reader(t, Classic, 400);
    slow_reader_2000_compact, LONG, Needs::PAIR, |t| slow_reader(t, Compact, 2000);
    // sessions
    resets_free_sessions, LONG, Needs::FOUR, resets_free_sessions;
    churn_200, LONG, Needs::FOUR, |t| churn(t, 200, &[0, 1, 2, 3]);
    four_sessions_and_server_full, LONG, Needs::POOL_OF_FOUR, |t| {
        let ends = four_sessions_and_server_full(t, 3);
        assert_eq!(ends.len(), 12, "game results: {ends:?}");
    };
    four_sessions_on_one_port_classic, LONG, Needs::POOL_OF_FOUR,
        |t| four_sessions_on_one_port(t, Classic);
    four_sessions_on_one_port_compact, LONG, Needs::POOL_OF_FOUR,
        |t| four_sessions_on_one_port(t, Compact);
    spare_listener_follows_demand, LONG, Needs::POOL_OF_FOUR, spare_listener_follows_demand;
    sequential_sessions_30_each_under_1s, LONG, Needs::ONE, |t| {
        let slowest = sequential_sessions(t, 30, Duration::from_secs(1));
        println!("    slowest sequential session: {slowest:.2?}");
    };
    // idle: a flood, a staller, a trickler on a server with a short idle timeout
    idle_flood, LONG, Needs::FOUR.short_idle(), |t| idle_flood(t, SHORT_IDLE);
    stalled_mid_frame, SHORT, Needs::PAIR.short_idle(), |t| stalled_mid_frame(t, SHORT_IDLE);
    trickler_idles_out, SHORT, Needs::ONE.short_idle(), |t| trickler_idles_out(t, SHORT_IDLE);
}
