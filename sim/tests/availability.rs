//! Availability under attack (SPEC, "Availability"): the deterministic
//! simulator ([`sim::netsim`]) with attackers ([`sim::attack`]) on the
//! switch, beside four legitimate clients that play refereed games on the
//! default board (4 sessions, 6 game sockets, 60 s idle timeout). Some
//! clients are already playing when the attack starts (bystanders), the
//! others arrive during it (and, for the SYN flood, after it). Every test
//! asserts that every legitimate client completes its game with every reply
//! refereed (the simulation fails on any reset, eviction or wrong reply),
//! and bounds the time to a game (first connection attempt to a greeting
//! that is not "server full"). Virtual time, fixed seeds: deterministic.
//!
//! `cargo test -p sim --test availability -- --nocapture --test-threads 1`
//! prints one row per test: time to a game (max over the clients), p99
//! reply latency, retries ("server full" or refused connections), and what
//! the attacker achieved.

use sim::attack::{Attack, AttackPlan};
use sim::impair::Impairments;
use sim::netsim::{run_default_with_report, Codecs, NetConfig, Report, GAME_PORT};
use std::time::Duration;

const CLASSIC: u16 = GAME_PORT;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Four clients (classic, compact, classic, compact), one machine each,
/// thinking 2 s between actions (a game lasts about half a minute),
/// starting at `starts`, beside `attacks`; 1 ms of latency each way on the
/// board's link.
fn scenario(starts: [f64; 4], attacks: Vec<AttackPlan>) -> NetConfig {
    NetConfig {
        seed: 0x5eed,
        clients: 4,
        hosts: 4,
        codecs: Codecs::Alternate,
        think: secs(2.0),
        impair: Impairments {
            delay: Duration::from_millis(1),
            ..Default::default()
        },
        start_times: starts.iter().map(|&s| secs(s)).collect(),
        attacks,
        // The SPEC's default.
        idle_timeout: Duration::from_secs(60),
        time_limit: Duration::from_secs(300),
        step_limit: 2_000_000,
        ..Default::default()
    }
}

fn fmt(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.3} s", d.as_secs_f64()))
}

/// Runs `cfg`, prints its row, and asserts the games are undisturbed and
/// every client got a game within `bound`.
fn check(name: &str, cfg: &NetConfig, bound: Duration) -> Report {
    let (r, res) = run_default_with_report(cfg);
    let a = &r.attack;
    println!(
        "{name:<26} | {:<9} | time to game max {:>9} (bound {:>4.0} s) | p99 latency {:>9} | \
         retries {:>3} ({} reset before greeting) | attack: frames {} connects {} seated {} refused {} dropped {} \
         seat max {:.1} s | echo replies {} | {:.1} s virtual, {:.2} s wall",
        if res.is_ok() { "games ok" } else { "DISTURBED" },
        fmt(r.max_time_to_game()),
        bound.as_secs_f64(),
        fmt(r.latency_percentile(99.0)),
        r.retries,
        r.reset_before_greeting,
        a.frames,
        a.connects,
        a.seated,
        a.refused,
        a.dropped,
        a.seat_time_max.as_secs_f64(),
        r.echo_replies,
        r.virtual_time.as_secs_f64(),
        r.wall_time.as_secs_f64(),
    );
    println!("{name:<26} | per client time to game: {:?}", r.time_to_game);
    if let Err(e) = &res {
        println!("{name:<26} | error: {e}");
    }
    res.unwrap_or_else(|e| panic!("{name}: a legitimate client was disturbed: {e}"));
    assert_eq!(r.completed, cfg.clients, "{name}: games not completed");
    assert!(
        r.results.iter().all(|x| x.is_some()),
        "{name}: unfinished games: {:?}",
        r.results
    );
    let worst = r
        .max_time_to_game()
        .unwrap_or_else(|| panic!("{name}: a client never got a game"));
    assert!(
        worst <= bound,
        "{name}: time to a game {:.3} s > {:.0} s ({:?})",
        worst.as_secs_f64(),
        bound.as_secs_f64(),
        r.time_to_game
    );
    r
}

/// 1,000 spoofed SYNs a second on the classic port for 30 s (2 s..32 s),
/// from addresses that never answer ARP. Every client speaks classic: one
/// bystander playing from 0 s, two arriving during the flood, one after it.
#[test]
fn syn_flood_1000_per_sec_spoofed() {
    let mut cfg = scenario(
        [0.0, 8.0, 20.0, 33.0],
        vec![AttackPlan::new(
            Attack::SynFlood {
                rate_per_sec: 1000,
                port: CLASSIC,
            },
            secs(2.0),
            Some(secs(32.0)),
        )],
    );
    cfg.codecs = Codecs::Classic;
    let r = check("syn flood 1000/s", &cfg, secs(3.0));
    assert!(r.attack.syns >= 29_000, "{} SYNs", r.attack.syns);
}

/// Four SYNs on the classic port from addresses that never answer ARP,
/// while two bystanders play; then a classic and a compact client arrive.
#[test]
fn half_open_without_arp() {
    let cfg = scenario(
        [0.0, 0.0, 3.0, 3.5],
        vec![AttackPlan::new(
            Attack::HalfOpenNoArp {
                count: 4,
                port: CLASSIC,
            },
            secs(2.0),
            None,
        )],
    );
    check("half-open, no ARP (4)", &cfg, secs(5.0));
}

/// The holders' scenario: two bystanders from 0 s, four holder connections
/// on the classic port from 2 s (until the end), a classic newcomer at 5 s
/// and a compact one at 8 s.
fn holders(kind: Attack) -> NetConfig {
    scenario(
        [0.0, 0.0, 5.0, 8.0],
        vec![AttackPlan::new(kind, secs(2.0), None)],
    )
}

#[test]
fn silent_holders() {
    let cfg = holders(Attack::SilentHolders {
        count: 4,
        port: CLASSIC,
    });
    check("silent holders (4)", &cfg, secs(10.0));
}

#[test]
fn tricklers_one_byte_per_5s() {
    let cfg = holders(Attack::Tricklers {
        count: 4,
        port: CLASSIC,
        interval: secs(5.0),
    });
    check("tricklers 1 B/5 s (4)", &cfg, secs(10.0));
}

/// One whole frame a minute: honest bound 35 s (a client acting every
/// 30 s is never evicted, so the board may wait for that to lapse).
#[test]
fn frame_per_minute() {
    let cfg = holders(Attack::FramePerMinute {
        count: 4,
        port: CLASSIC,
    });
    check("one frame a minute (4)", &cfg, secs(35.0));
}

#[test]
fn zero_window_pipeliners() {
    let cfg = holders(Attack::ZeroWindow {
        count: 4,
        port: CLASSIC,
    });
    check("zero window (4)", &cfg, secs(10.0));
}

/// Forged resets on every client connection, every 2 s from 1 s: two
/// bystanders from 0 s, two clients arriving at 4 s and 6 s (attacked as
/// soon as they are established).
fn forged(kind: Attack) -> NetConfig {
    scenario(
        [0.0, 0.0, 4.0, 6.0],
        vec![AttackPlan::new(kind, secs(1.0), None)],
    )
}

#[test]
fn rst_in_window_gets_challenge_ack() {
    let cfg = forged(Attack::Rst { in_window: true });
    let r = check("RST in window (+100)", &cfg, secs(3.0));
    assert!(r.attack.rsts >= 10, "only {} RSTs injected", r.attack.rsts);
    assert_eq!(r.reset_before_greeting, 0, "a connection was reset");
}

#[test]
fn rst_out_of_window_is_dropped() {
    let cfg = forged(Attack::Rst { in_window: false });
    let r = check("RST out of window (+2^30)", &cfg, secs(3.0));
    assert!(r.attack.rsts >= 10, "only {} RSTs injected", r.attack.rsts);
    assert_eq!(r.reset_before_greeting, 0, "a connection was reset");
}

#[test]
fn syn_on_established() {
    let cfg = forged(Attack::SynOnEstablished);
    let r = check("SYN on established", &cfg, secs(3.0));
    assert!(
        r.attack.syns_on_established >= 10,
        "only {} SYNs injected",
        r.attack.syns_on_established
    );
    assert_eq!(r.reset_before_greeting, 0, "a connection was reset");
}

/// 1,000 echo requests a second for 20 s (2 s..22 s) from a real address:
/// ping keeps working (at least one reply a second) and the games go on.
#[test]
fn ping_flood_1000_per_sec() {
    let cfg = scenario(
        [0.0, 0.0, 5.0, 10.0],
        vec![AttackPlan::new(
            Attack::PingFlood { rate_per_sec: 1000 },
            secs(2.0),
            Some(secs(22.0)),
        )],
    );
    let r = check("ping flood 1000/s", &cfg, secs(3.0));
    assert!(
        r.echo_replies >= 20,
        "{} echo replies to {} requests in 20 s",
        r.echo_replies,
        r.attack.echo_requests
    );
}

/// 1,000 garbage frames a second for 20 s (2 s..22 s) at the board's MAC.
#[test]
fn garbage_flood_1000_per_sec() {
    let cfg = scenario(
        [0.0, 0.0, 5.0, 10.0],
        vec![AttackPlan::new(
            Attack::Garbage { rate_per_sec: 1000 },
            secs(2.0),
            Some(secs(22.0)),
        )],
    );
    let r = check("garbage flood 1000/s", &cfg, secs(3.0));
    assert!(
        r.attack.garbage >= 19_000,
        "{} garbage frames",
        r.attack.garbage
    );
}
