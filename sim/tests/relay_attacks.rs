//! Availability under attack in relay mode: `cuatro-sim --port-base 0` on
//! 127.0.0.1, every session taken by connections that never send (or that
//! trickle a frame one byte every 5 s), while 4 legitimate players each
//! must get a game within 10 s. The contract: SPEC "Availability" (a
//! connection that sends nothing, or trickles a frame byte by byte, cannot
//! keep a session from a player who wants one).
//!
//! Only 127.0.0.1; every loop and wait is bounded.

mod common;

use common::net::{join, over, short_game, silent_holder, start_relay, Scratch, Trickler};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The players' bound on the time to a game.
const BOUND: Duration = Duration::from_secs(10);

/// Four players at once, each waiting at most `limit` for a game.
fn four_players(addr: SocketAddr, limit: Duration) -> Vec<Result<Duration, String>> {
    let players: Vec<_> = (0..4u64)
        .map(|i| std::thread::spawn(move || Ok(short_game(addr, limit, 3, 100 + i))))
        .collect();
    players
        .into_iter()
        .map(|h| join(h).and_then(|r| r))
        .collect()
}

#[test]
fn relay_silent_holders_yield_to_players() {
    let test = "relay_silent_holders_yield_to_players";
    let scratch = Scratch::new("relay-silent");
    let (mut sim, addr) = start_relay(&scratch, &[]).unwrap_or_else(|e| panic!("{test}: {e}"));
    let holders: Vec<TcpStream> = (0..4)
        .map(|_| silent_holder(addr))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    let results = four_players(addr, Duration::from_secs(20));
    drop(holders);
    let fails = over("relay, 4 silent holders, 4 players", &results, BOUND);
    assert!(
        fails.is_empty(),
        "{test}:\n  {}\nsimulator alive: {}; its stderr:\n{}",
        fails.join("\n  "),
        sim.alive(),
        sim.log_tail()
    );
}

#[test]
fn relay_tricklers_yield_to_players() {
    let test = "relay_tricklers_yield_to_players";
    let scratch = Scratch::new("relay-trickle");
    let (mut sim, addr) = start_relay(&scratch, &[]).unwrap_or_else(|e| panic!("{test}: {e}"));
    let tricklers: Vec<Trickler> = (0..4)
        .map(|_| Trickler::start(addr, Duration::from_secs(5)))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    let results = four_players(addr, Duration::from_secs(25));
    for (i, t) in tricklers.into_iter().enumerate() {
        println!("{test}: trickler {i}: {}", t.stop());
    }
    let fails = over("relay, 4 tricklers, 4 players", &results, BOUND);
    assert!(
        fails.is_empty(),
        "{test}:\n  {}\nsimulator alive: {}; its stderr:\n{}",
        fails.join("\n  "),
        sim.alive(),
        sim.log_tail()
    );
}
