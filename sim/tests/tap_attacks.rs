//! Availability under attack, on a real network: `cuatro-sim --tap tap0`
//! inside a network namespace this test creates (and deletes), attacked
//! with frames injected on the TAP through an `AF_PACKET` socket and with
//! the namespace kernel's own TCP and ICMP, while legitimate players
//! (kernel TCP from the namespace) time how long they take to get a game.
//! The contract: SPEC "Availability" (nobody can lock players out).
//!
//! Needs root, `ip` and /dev/net/tun; otherwise each test prints why and
//! skips, unless `CUATRO_REQUIRE_TAP=1`, when it fails instead. Every
//! address is inside the test's own namespace; every loop and wait is
//! bounded.

mod common;

use common::net::{
    get_game, join, over, paced, parse_tcp, short_game, silent_holder, skip, spoofed_syn,
    tap_unavailable, tcp_frame, IcmpSocket, Netns, PacketSocket, Scratch, Tcp, Trickler, ACK,
    BOARD_IP, FIN, HOST_IP, RST, SYN, TAP,
};
use sim::impair::SplitMix64;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const GAME_PORT: u16 = 8080;

fn board() -> SocketAddr {
    SocketAddr::from((BOARD_IP, GAME_PORT))
}

/// A namespace with the board on its TAP, or `None` (after printing why)
/// when this machine cannot run TAP tests.
fn setup(test: &str, tag: &str) -> Option<(Netns, Scratch)> {
    if let Some(why) = tap_unavailable() {
        skip(test, &why);
        return None;
    }
    let scratch = Scratch::new(tag);
    let mut ns = match Netns::create(tag) {
        Ok(ns) => ns,
        Err(e) => {
            skip(test, &format!("cannot set up a namespace with a TAP: {e}"));
            return None;
        }
    };
    if let Err(e) = ns.start_sim(&scratch, &[]) {
        panic!("{test}: {e}");
    }
    Some((ns, scratch))
}

/// Panics with every failure (and the simulator's log) if there is any.
fn verdict(test: &str, ns: &mut Netns, fails: &[String]) {
    if !fails.is_empty() {
        panic!(
            "{test}: {} failure(s):\n  {}\n{}",
            fails.len(),
            fails.join("\n  "),
            ns.sim_report()
        );
    }
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    t ^ u64::from(std::process::id()).rotate_left(32)
}

/// 1. Spoofed SYN flood (1,000 SYN/s for 8 s from addresses that never
///    answer ARP): 4 players during it and 4 after it each get a game
///    within 3 s.
#[test]
fn tap_spoofed_syn_flood_does_not_lock_players_out() {
    let test = "tap_spoofed_syn_flood_does_not_lock_players_out";
    let Some((mut ns, _scratch)) = setup(test, "flood") else {
        return;
    };
    let bound = Duration::from_secs(3);
    let limit = Duration::from_secs(4);
    let rate = 1000;
    let flood_for = Duration::from_secs(8);
    let stop = Arc::new(AtomicBool::new(false));
    let s = seed();
    println!("{test}: seed {s}");
    let flag = stop.clone();
    let flood = ns.enter(move || {
        let tx = PacketSocket::sender(TAP)?;
        let mut rng = SplitMix64::new(s);
        paced(rate, flood_for, &flag, |_| {
            tx.send(&spoofed_syn(&mut rng, GAME_PORT))
        })
    });
    // Players start 1, 2, 3 and 4 s into the flood.
    let during: Vec<_> = (0..4u64)
        .map(|i| {
            ns.enter(move || {
                std::thread::sleep(Duration::from_secs(1 + i));
                Ok(short_game(board(), limit, 3, s.wrapping_add(i)))
            })
        })
        .collect();
    let during: Vec<Result<Duration, String>> = during
        .into_iter()
        .map(|h| join(h).and_then(|r| r))
        .collect();
    let flooded = join(flood);
    stop.store(true, Ordering::SeqCst);
    match &flooded {
        Ok((n, t)) => println!(
            "{test}: flood sent {n} spoofed SYNs in {:.2} s ({:.0}/s)",
            t.as_secs_f64(),
            *n as f64 / t.as_secs_f64()
        ),
        Err(e) => println!("{test}: flood failed: {e}"),
    }
    println!("{test}: {}", ns.tap_counters());
    let after: Vec<_> = (0..4u64)
        .map(|i| ns.enter(move || Ok(short_game(board(), limit, 3, s.wrapping_add(10 + i)))))
        .collect();
    let after: Vec<Result<Duration, String>> =
        after.into_iter().map(|h| join(h).and_then(|r| r)).collect();

    let mut fails = over("during the SYN flood", &during, bound);
    fails.extend(over("after the SYN flood", &after, bound));
    if let Err(e) = flooded {
        fails.push(format!("flood: {e}"));
    }
    verdict(test, &mut ns, &fails);
}

/// 2. Half-open connections whose sender never answers ARP: 4, then 16
///    spoofed SYNs once; a player then gets a game within 5 s each time.
#[test]
fn tap_half_open_syns_without_arp_do_not_hold_sockets() {
    let test = "tap_half_open_syns_without_arp_do_not_hold_sockets";
    let Some((mut ns, _scratch)) = setup(test, "halfopen") else {
        return;
    };
    let bound = Duration::from_secs(5);
    let limit = Duration::from_secs(6);
    let s = seed();
    println!("{test}: seed {s}");
    let mut fails = Vec::new();
    for (round, syns) in [4usize, 16].into_iter().enumerate() {
        let got = join(ns.enter(move || {
            let tx = PacketSocket::sender(TAP)?;
            let mut rng = SplitMix64::new(s.wrapping_add(round as u64));
            for _ in 0..syns {
                tx.send(&spoofed_syn(&mut rng, GAME_PORT))?;
            }
            std::thread::sleep(Duration::from_millis(50));
            Ok(short_game(board(), limit, 3, s))
        }))
        .and_then(|r| r);
        fails.extend(over(&format!("after {syns} half-open SYNs"), &[got], bound));
    }
    verdict(test, &mut ns, &fails);
}

/// 3a. Four connections that take every session and never send: a player
///     gets a game within 10 s (waits at most 20 s for the figure).
#[test]
fn tap_silent_holders_yield_to_a_player() {
    let test = "tap_silent_holders_yield_to_a_player";
    let Some((mut ns, _scratch)) = setup(test, "silent") else {
        return;
    };
    let s = seed();
    let got = join(ns.enter(move || {
        let holders: Vec<TcpStream> = (0..4)
            .map(|_| silent_holder(board()))
            .collect::<Result<_, _>>()?;
        let r = short_game(board(), Duration::from_secs(20), 3, s);
        drop(holders);
        Ok(r)
    }))
    .and_then(|r| r);
    let fails = over(
        "4 silent holders, 1 player",
        &[got],
        Duration::from_secs(10),
    );
    verdict(test, &mut ns, &fails);
}

/// 3b. Four connections that take every session and trickle a frame one
///     byte every 5 s: a player gets a game within 10 s (waits at most
///     25 s for the figure).
#[test]
fn tap_tricklers_yield_to_a_player() {
    let test = "tap_tricklers_yield_to_a_player";
    let Some((mut ns, _scratch)) = setup(test, "trickle") else {
        return;
    };
    let s = seed();
    let got = join(ns.enter(move || {
        let tricklers: Vec<Trickler> = (0..4)
            .map(|_| Trickler::start(board(), Duration::from_secs(5)))
            .collect::<Result<_, _>>()?;
        let r = short_game(board(), Duration::from_secs(25), 3, s);
        for (i, t) in tricklers.into_iter().enumerate() {
            println!("trickler {i}: {}", t.stop());
        }
        Ok(r)
    }))
    .and_then(|r| r);
    let fails = over("4 tricklers, 1 player", &[got], Duration::from_secs(10));
    verdict(test, &mut ns, &fails);
}

/// What the sniffer learned about one client connection.
#[derive(Debug, Clone, Copy, Default)]
struct Track {
    /// The client's next sequence number (after its last data, SYN or FIN).
    client_next: Option<u32>,
    /// The board's last acknowledgment (its RCV.NXT).
    board_ack: Option<u32>,
    client_mac: [u8; 6],
    board_mac: [u8; 6],
    /// Segments from the board to the client so far.
    from_board: u64,
}

fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Sniffs `tap0` for the segments of the connection from `HOST_IP:port`.
fn sniff(port: Arc<Mutex<Option<u16>>>, track: Arc<Mutex<Track>>, stop: Arc<AtomicBool>) {
    let Ok(rx) = PacketSocket::sniffer(TAP, Duration::from_millis(50)) else {
        return;
    };
    let mut buf = [0u8; 2048];
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
        let Ok(Some((n, _))) = rx.recv(&mut buf) else {
            continue;
        };
        let Some(t) = buf.get(..n).and_then(parse_tcp) else {
            continue;
        };
        let Some(p) = *port.lock().unwrap_or_else(|e| e.into_inner()) else {
            continue;
        };
        let mut tr = track.lock().unwrap_or_else(|e| e.into_inner());
        if t.src == HOST_IP && t.dst == BOARD_IP && t.sport == p && t.dport == GAME_PORT {
            if t.flags & RST != 0 {
                continue; // ours, injected
            }
            let extra = u32::from(t.flags & SYN != 0) + u32::from(t.flags & FIN != 0);
            let end = t.seq.wrapping_add(t.len as u32).wrapping_add(extra);
            if tr.client_next.is_none_or(|c| seq_after(end, c)) {
                tr.client_next = Some(end);
            }
            tr.client_mac = t.eth_src;
            tr.board_mac = t.eth_dst;
        } else if t.src == BOARD_IP && t.dst == HOST_IP && t.sport == GAME_PORT && t.dport == p {
            tr.from_board += 1;
            if t.flags & ACK != 0 {
                tr.board_ack = Some(t.ack);
            }
        }
    }
}

/// One blind RST and what became of the session.
struct RstCase {
    label: &'static str,
    /// The next move's reply came, normal.
    survived: Result<(), String>,
    /// Segments from the board to the client in the 300 ms after the RST
    /// (a challenge ACK is one).
    answered: u64,
}

/// Waits (up to 2 s) until the board has acknowledged everything the
/// client sent; returns that sequence number.
fn synced(track: &Mutex<Track>) -> Result<Track, String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let t = *track.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(c), Some(a)) = (t.client_next, t.board_ack) {
            if c == a {
                return Ok(t);
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the sniffer never saw the connection settle: {t:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 4. RSTs from the client's own 4-tuple: one far out of the window
///    (next + 2^30) and one in the window but not exact (next + 100);
///    the session survives both (RFC 5961: a challenge ACK, no reset).
#[test]
fn tap_blind_rst_does_not_end_a_session() {
    let test = "tap_blind_rst_does_not_end_a_session";
    let Some((mut ns, _scratch)) = setup(test, "rst") else {
        return;
    };
    let s = seed();
    let got = join(ns.enter(move || {
        let port = Arc::new(Mutex::new(None));
        let track = Arc::new(Mutex::new(Track::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let sniffer = {
            let (p, t, st) = (port.clone(), track.clone(), stop.clone());
            std::thread::spawn(move || sniff(p, t, st))
        };
        std::thread::sleep(Duration::from_millis(100));
        let tx = PacketSocket::sender(TAP)?;
        let result = (|| -> Result<Vec<RstCase>, String> {
            // The kernel's first connection: no retries needed here.
            let mut g = get_game(board(), Duration::from_secs(5), s)?;
            let local = g.conn.stream.local_addr().map_err(|e| e.to_string())?;
            *port.lock().unwrap_or_else(|e| e.into_inner()) = Some(local.port());
            g.conn.play_move()?;
            let mut out = Vec::new();
            for (label, offset) in [
                ("out-of-window RST (next + 2^30)", 1u32 << 30),
                ("in-window RST (next + 100)", 100),
            ] {
                let t = synced(&track)?;
                let next = t.board_ack.unwrap_or(0);
                let rst = Tcp {
                    eth_dst: t.board_mac,
                    eth_src: t.client_mac,
                    src: HOST_IP,
                    dst: BOARD_IP,
                    sport: local.port(),
                    dport: GAME_PORT,
                    seq: next.wrapping_add(offset),
                    ack: 0,
                    flags: RST,
                    window: 0,
                    len: 0,
                };
                tx.send(&tcp_frame(&rst, 0x5961))?;
                std::thread::sleep(Duration::from_millis(300));
                let answered = track
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .from_board
                    .saturating_sub(t.from_board);
                let survived = g.conn.play_move().and_then(|seen| {
                    if seen.error.is_some() || !seen.continuar {
                        Err(format!("move after the RST answered {seen:?}"))
                    } else {
                        Ok(())
                    }
                });
                let dead = survived.is_err();
                out.push(RstCase {
                    label,
                    survived,
                    answered,
                });
                if dead {
                    return Ok(out);
                }
            }
            g.conn.quit()?;
            Ok(out)
        })();
        stop.store(true, Ordering::SeqCst);
        let _ = sniffer.join();
        result
    }));
    let mut fails = Vec::new();
    match got {
        Ok(cases) => {
            for RstCase {
                label,
                survived,
                answered,
            } in &cases
            {
                println!(
                    "{test}: {label}: session {}; board segments to the client within 300 ms: {answered}",
                    match survived {
                        Ok(()) => "survived".to_string(),
                        Err(e) => format!("ended ({e})"),
                    }
                );
                if let Err(e) = survived {
                    fails.push(format!("{label}: the session did not survive: {e}"));
                }
            }
            if cases.len() < 2 {
                fails.push("the in-window RST case did not run".into());
            }
        }
        Err(e) => fails.push(e),
    }
    verdict(test, &mut ns, &fails);
}

/// 5. `ping` gets answers; an ICMP echo flood (1,000/s) while 2 players
///    play full games leaves their games intact.
#[test]
fn tap_ping_is_answered_and_a_ping_flood_is_harmless() {
    let test = "tap_ping_is_answered_and_a_ping_flood_is_harmless";
    let Some((mut ns, _scratch)) = setup(test, "ping") else {
        return;
    };
    let mut fails = Vec::new();
    let id = (std::process::id() & 0xffff) as u16;

    // `ping -c 3 -W 1`, in code (iputils may not be installed).
    let pinged = join(ns.enter(move || {
        let icmp = IcmpSocket::open(Duration::from_secs(1))?;
        let mut rtts = Vec::new();
        for seq in 1..=3u16 {
            let sent = Instant::now();
            icmp.send_echo(BOARD_IP, id, seq)?;
            while sent.elapsed() < Duration::from_secs(1) {
                match icmp.recv_echo(BOARD_IP, true)? {
                    Some((i, q)) if i == id && q == seq => {
                        rtts.push(sent.elapsed());
                        break;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        }
        Ok(rtts)
    }));
    match pinged {
        Ok(rtts) => {
            let ms: Vec<String> = rtts
                .iter()
                .map(|r| format!("{:.3}", r.as_secs_f64() * 1e3))
                .collect();
            println!(
                "{test}: ping: {} of 3 answered, rtt [{}] ms",
                rtts.len(),
                ms.join(", ")
            );
            if rtts.len() < 3 {
                fails.push(format!("ping: {} of 3 echo requests answered", rtts.len()));
            }
        }
        Err(e) => fails.push(format!("ping: {e}")),
    }
    // The real `ping` too, where it is installed.
    let have_ping = common::net::run_bounded(
        std::process::Command::new("ping").arg("-V"),
        Duration::from_secs(5),
    )
    .is_ok_and(|o| o.status.success());
    if have_ping {
        let out = common::net::run_bounded(
            ns.exec(std::path::Path::new("ping"))
                .args(["-c", "3", "-W", "1"])
                .arg(BOARD_IP.to_string()),
            Duration::from_secs(10),
        );
        match out {
            Ok(o) if o.status.success() => println!(
                "{test}: ping(8): {}",
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
            Ok(o) => fails.push(format!(
                "ping -c 3 -W 1 {BOARD_IP} failed: {}",
                String::from_utf8_lossy(&o.stdout).trim()
            )),
            Err(e) => fails.push(format!("ping(8): {e}")),
        }
    } else {
        println!("{test}: ping(8) not installed; the in-code ping stands for it");
    }

    // The flood, with two players at it: they play 2-game connections
    // over and over while it lasts.
    let flooding = Arc::new(AtomicBool::new(true));
    let never = Arc::new(AtomicBool::new(false));
    let flag = flooding.clone();
    let flood = ns.enter(move || {
        let icmp = IcmpSocket::open(Duration::from_millis(1))?;
        let mut replies = 0u64;
        let sent = paced(1000, Duration::from_secs(4), &never, |i| {
            while let Ok(Some(_)) = icmp.recv_echo(BOARD_IP, false) {
                replies += 1;
            }
            icmp.send_echo(BOARD_IP, id.wrapping_add(1), i as u16)
        });
        flag.store(false, Ordering::SeqCst);
        Ok((sent?, replies))
    });
    let players: Vec<_> = (0..2u64)
        .map(|i| {
            let flooding = flooding.clone();
            ns.enter(move || {
                std::thread::sleep(Duration::from_millis(200));
                let start = Instant::now();
                let mut games = 0u64;
                let mut replies = 0u64;
                // Bounded by the flood's end, by time and by count.
                while flooding.load(Ordering::SeqCst)
                    && start.elapsed() < Duration::from_secs(10)
                    && games < 2000
                {
                    let seed = 7 + i * 1000 + games;
                    let n = common::play(board(), cuatro_proto::Codec::Classic, 2, true, seed)
                        .map_err(|e| format!("after {games} games: {e}"))?;
                    games += 2;
                    replies += n;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok((games, replies, start.elapsed()))
            })
        })
        .collect();
    for (i, p) in players.into_iter().enumerate() {
        match join(p) {
            Ok((games, n, t)) => {
                println!(
                    "{test}: player {i}: {games} games, {n} replies refereed, in {:.3} s",
                    t.as_secs_f64()
                );
                if games == 0 {
                    fails.push(format!("player {i} played no game during the ping flood"));
                }
            }
            Err(e) => fails.push(format!("player {i} during the ping flood: {e}")),
        }
    }
    match join(flood) {
        Ok(((n, t), replies)) => println!(
            "{test}: ping flood: {n} echo requests in {:.2} s, {replies} replies",
            t.as_secs_f64()
        ),
        Err(e) => fails.push(format!("ping flood: {e}")),
    }
    verdict(test, &mut ns, &fails);
}
