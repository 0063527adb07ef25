//! Sessions: freed by resets and churn, four at once with "server full"
//! beyond, on one port, one after the other, the spare listener, and replay
//! of a seeded game.

use super::{
    alternating, check_server_full, connect_session, expect_server_full, reset, victim, Bystander,
    RECLAIM_WITHIN,
};
use crate::{action_frame, Refereed, Rng, Target, READ_TIMEOUT};
use cuatro_proto::{Action, Codec, Error, Estado};
use host::client::Client;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Clients that reset or vanish mid-game / mid-frame give their sessions
/// back promptly: afterwards 4 sessions can be had (within
/// [`RECLAIM_WITHIN`]) and play normally.
pub fn resets_free_sessions(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    // RST mid-game.
    let a = victim(t, Codec::Classic, "rst mid-game");
    // RST mid-frame.
    let mut b = victim(t, Codec::Compact, "rst mid-frame");
    b.client.send_raw(&[0, 0, 0, 40, b'{']).expect("send");
    // FIN mid-frame.
    let mut c = victim(t, Codec::Classic, "fin mid-frame");
    c.client.send_raw(&[0, 0]).expect("send");
    std::thread::sleep(Duration::from_millis(50));
    reset(a.client);
    reset(b.client);
    drop(c.client);
    by.check();
    // The bystander leaves without \salir (FIN between frames).
    drop(by);

    let mut sessions: Vec<Refereed> = (0..4)
        .map(|i| {
            let codec = alternating(i);
            connect_session(t.addr(codec), codec, &format!("fresh {i}"), RECLAIM_WITHIN)
        })
        .collect();
    let mut rng = Rng::new(9);
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}
/// 4 sessions play `games` full games each, concurrently, while a 5th and
/// 6th client are told "server full" (`continuar: false`, then closed). The
/// 4 are unaffected (every reply refereed). Returns how the games ended.
pub fn four_sessions_and_server_full(t: &Target, games: usize) -> Vec<Estado> {
    use std::sync::{Arc, Barrier};
    // Main and the 4 players meet at: all connected; checked, go; halfway
    // (after the first game); checked again, go on.
    let meet = Arc::new(Barrier::new(5));
    let mut threads = Vec::new();
    for i in 0..4 {
        let t = *t;
        let meet = meet.clone();
        threads.push(std::thread::spawn(move || {
            let codec = alternating(i);
            let mut s =
                connect_session(t.addr(codec), codec, &format!("player {i}"), RECLAIM_WITHIN);
            let mut rng = Rng::new(100 + i as u64);
            s.act(Action::NewGame);
            s.step(&mut rng);
            meet.wait();
            meet.wait();
            let mut ends = vec![s.play_full_game(&mut rng)];
            s.act(Action::NewGame);
            s.step(&mut rng);
            meet.wait();
            meet.wait();
            // Their games go on where they were.
            s.step(&mut rng);
            for _ in 1..games {
                ends.push(s.play_full_game(&mut rng));
            }
            s.quit();
            ends
        }));
    }
    meet.wait();
    // The pool is taken: a 5th (classic) and 6th (compact) client.
    for codec in [Codec::Classic, Codec::Compact] {
        let mut c = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        expect_server_full(&mut c, &format!("extra {codec:?} client"), true);
    }
    meet.wait();
    meet.wait();
    // And again, once the rejecting sockets came back.
    for codec in [Codec::Compact, Codec::Classic] {
        let mut c = connect_until_answered(t.addr(codec), codec);
        expect_server_full(&mut c, &format!("second extra {codec:?} client"), true);
    }
    meet.wait();
    let mut ends = Vec::new();
    for th in threads {
        match th.join() {
            Ok(e) => ends.extend(e),
            Err(p) => std::panic::resume_unwind(p),
        }
    }
    // Everybody left: a session is available again.
    let s = connect_session(t.compact, Codec::Compact, "after", RECLAIM_WITHIN);
    s.quit();
    ends
}

/// Connects until the server sends something (retrying refused/closed
/// connections for up to [`RECLAIM_WITHIN`]); the reply is left unread.
fn connect_until_answered(addr: SocketAddr, codec: Codec) -> Client {
    let deadline = Instant::now() + RECLAIM_WITHIN;
    loop {
        let mut c = Client::connect(addr, codec, READ_TIMEOUT).expect("connect");
        let mut peek = [0u8; 1];
        if matches!(c.stream().peek(&mut peek), Ok(n) if n > 0) {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "the server never answered a new connection"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `n` sessions one after the other: connect, play a short game, `\salir`;
/// each must take less than `max_each`. Returns the slowest.
pub fn sequential_sessions(t: &Target, n: usize, max_each: Duration) -> Duration {
    let mut slowest = Duration::ZERO;
    let mut rng = Rng::new(11);
    for i in 0..n {
        let codec = alternating(i);
        let start = Instant::now();
        let mut s = Refereed::connect(t.addr(codec), codec, &format!("sequential {i}"));
        if i % 3 != 2 {
            s.act(Action::NewGame);
            for _ in 0..3 {
                if s.step(&mut rng).estado != Estado::Jugando {
                    break;
                }
            }
        }
        s.quit();
        let took = start.elapsed();
        assert!(
            took < max_each,
            "session {i} took {took:?} (limit {max_each:?})"
        );
        slowest = slowest.max(took);
    }
    slowest
}
/// `n` connections opened and dropped at once, cycling through `kinds`:
/// 0 reset, 1 closed, 2 reset mid-frame, 3 closed right after an action;
/// none reading: afterwards 4 sessions can be had and play.
pub fn churn(t: &Target, n: usize, kinds: &[usize]) {
    let mut by = Bystander::start(t, Codec::Classic);
    for i in 0..n {
        let codec = alternating(i);
        let Ok(mut c) = Client::connect(t.addr(codec), codec, READ_TIMEOUT) else {
            continue;
        };
        match kinds[i % kinds.len()] {
            0 => reset(c),
            1 => drop(c),
            2 => {
                let _ = c.send_raw(&[0, 0, 0, 9, 1]);
                reset(c);
            }
            _ => {
                let _ = c.send_raw(&action_frame(codec, &Action::NewGame));
                drop(c);
            }
        }
        if i % 10 == 0 {
            by.check();
        }
    }
    by.check();
    drop(by);
    let mut rng = Rng::new(12);
    let mut sessions: Vec<Refereed> = (0..4)
        .map(|i| {
            let codec = alternating(i);
            connect_session(
                t.addr(codec),
                codec,
                &format!("after churn {i}"),
                RECLAIM_WITHIN,
            )
        })
        .collect();
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}

/// All 4 sessions on the same port (`codec`), each playing a game, then a
/// 5th client on that port and a 6th on the other are told "server full".
/// (SPEC: at least 4 simultaneous sessions, whichever port they use.)
pub fn four_sessions_on_one_port(t: &Target, codec: Codec) {
    let mut rng = Rng::new(13);
    let mut sessions = Vec::new();
    for i in 0..4 {
        let label = format!("{codec:?} session {i}");
        // The previous scenario's sessions may still be closing (on
        // `cuatro serve` a thread frees its session just after its last
        // reply): each of the four waits for one, within RECLAIM_WITHIN.
        let mut s = connect_session(t.addr(codec), codec, &label, RECLAIM_WITHIN);
        s.act(Action::NewGame);
        s.step(&mut rng);
        sessions.push(s);
    }
    let other = match codec {
        Codec::Classic => Codec::Compact,
        Codec::Compact => Codec::Classic,
    };
    for c in [codec, other] {
        let mut x = Client::connect(t.addr(c), c, READ_TIMEOUT).expect("connect");
        expect_server_full(&mut x, &format!("5th client on the {c:?} port"), false);
    }
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}

/// The board of each reply to the same moves, on a fresh connection: used
/// to check that the CPU's generator is seeded (same seed, same game).
pub fn replay(addr: SocketAddr, codec: Codec, moves: &[i64]) -> Vec<cuatro_proto::Board> {
    let mut s = Refereed::connect(addr, codec, "replay");
    s.act(Action::NewGame);
    let mut boards = Vec::new();
    for &m in moves {
        if s.referee.game().is_none() {
            s.act(Action::NewGame);
        }
        boards.push(s.act(Action::Move(m)).tablero);
    }
    s.quit();
    boards
}

/// With every session taken and one "server full" reply closing, a
/// newcomer on either port still hears "server full": the one spare
/// listener follows demand to the port asked for. A regression guard: over
/// the simulator's relay the closing socket is short-lived (the relay
/// closes its end at once), so this passes on the code from before the
/// availability work too; the case that refused connections then, a closing
/// socket whose client never reads, is covered by the netsim's zero-window
/// test (`sim/tests/availability.rs`).
pub fn spare_listener_follows_demand(t: &Target) {
    let mut rng = Rng::new(12);
    // Four players, all on the classic port: the two spare sockets end up
    // one listening on each port.
    let mut players: Vec<Refereed> = (0..4)
        .map(|i| {
            let mut p = Refereed::connect(t.classic, Codec::Classic, &format!("player {i}"));
            p.act(Action::NewGame);
            p
        })
        .collect();
    for codec in [Codec::Compact, Codec::Classic, Codec::Compact] {
        // A client told "server full" that keeps its end open: its socket
        // is closing on the board.
        let mut lingering = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        let r = lingering.recv().expect("server_full reply");
        assert_eq!(r.error, Some(Error::ServerFull), "{codec:?}: {r:?}");
        // A newcomer on the same port at once: answered, not refused.
        let mut newcomer = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        match newcomer.recv() {
            Ok(r) => check_server_full(&mut newcomer, &r, &format!("{codec:?} newcomer"), false),
            Err(e) => panic!("{codec:?} newcomer refused while a listener could take it: {e}"),
        }
        drop(lingering);
        for p in &mut players {
            p.step(&mut rng);
        }
    }
    for p in players {
        p.quit();
    }
}
