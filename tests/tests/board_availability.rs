//! Availability on each emulated board (SPEC, "Availability"), one
//! `#[test]` per board: boots `firmware/<board>/run-qemu` on its own port
//! base (the board's sessions, `S` below: 4 on both, and its 60 s idle
//! timeout) and, one after the other:
//!
//! 1. **silent holders**: `S` connections to the classic port that read their
//!    greeting and never send (kept open); a player retrying every 200 ms on
//!    `server_full` or a refused connection must get a game (a greeting,
//!    then `\juego_nuevo` answered `jugando`) within 10 s, play a few
//!    refereed moves and `\salir`; a holder that lost its seat was told
//!    `evicted`;
//! 2. **tricklers**: `S` connections to the classic port that each complete a
//!    `\juego_nuevo` (so the newcomer grace cannot be what frees a seat)
//!    and then send one byte of a valid `\jugada` frame every 2 s; a player
//!    must get a game within 10 s the same way;
//! 3. throughout both, a **bystander** on the compact port, already playing
//!    when the attacks start, acts every ≤ 2 s: every reply is refereed and
//!    it is never evicted.
//!
//! Behind QEMU's user networking every connection comes from 10.0.2.2, so
//! the board cannot tell holders from players by address: seats are freed
//! by the time rules alone (`cuatro_core::admission`: 5 s without a first
//! action, 5 s on one frame), so the expected time to a game is about 5 s.
//! The bystander holds one of the `S` sessions, so `S` - 1 attackers are
//! seated and the last is told `server_full`.
//!
//! Needs qemu-system-arm, the cross toolchain (Debian's rustc/cargo with the
//! library sources, arm-none-eabi-ld) and python3 (run-qemu's readiness
//! probe). Without them it skips with a printed reason, unless
//! `CUATRO_REQUIRE_QEMU=1`: then it fails; a board whose run-qemu is not in
//! the tree yet is skipped with a printed reason. The boards run one at a
//! time (the figures are times). Every wait is bounded; the
//! scenarios take about 15 s after the boot (about 25 s when both fail; the
//! board image build, if run-qemu has to do it, is not counted).

use cuatro_proto::{Action, Codec, Error, Estado};
use cuatro_tests::board::{panic_text, Board, BoardSpec, LM3S6965EVB, MPS2_AN385};
use cuatro_tests::process::Lines;
use cuatro_tests::referee::Referee;
use cuatro_tests::{action_frame, bounded, Refereed, Rng, Target, READ_TIMEOUT};
use host::client::Client;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A player must have a game this soon after its first attempt.
const TIME_TO_GAME: Duration = Duration::from_secs(10);
/// The player's pause between attempts.
const RETRY_EVERY: Duration = Duration::from_millis(200);
/// How long one attempt may wait for the board's first frame.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// A trickler's pause between bytes.
const TRICKLE_EVERY: Duration = Duration::from_secs(2);
/// The bystander's pause between a reply and its next action.
const BYSTANDER_THINK: Duration = Duration::from_millis(700);
/// The bystander's actions are never further apart than this.
const BYSTANDER_GAP: Duration = Duration::from_secs(2);
/// One scenario, all its waits included.
const SCENARIO_LIMIT: Duration = Duration::from_secs(30);
/// How long the board may take to log that the attackers' sessions ended.
const SETTLE: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------- the bystander

/// What the bystander saw.
#[derive(Debug, Default)]
struct BystanderReport {
    actions: usize,
    games_finished: usize,
    max_gap: Duration,
    max_latency: Duration,
}

/// A compact client already in a game, playing on in its own thread (an
/// action every [`BYSTANDER_THINK`] plus the reply's latency) until
/// stopped; then it says `\salir`.
struct Bystander {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<BystanderReport, String>>,
}

impl Bystander {
    fn start(t: &Target) -> Bystander {
        let mut p = Refereed::connect(t.compact, Codec::Compact, "bystander");
        let mut rng = Rng::new(0xB1_5747);
        p.act(Action::NewGame);
        p.step(&mut rng);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || bystander_loop(p, rng, &flag));
        Bystander { stop, thread }
    }

    fn finish(self) -> Result<BystanderReport, String> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.join() {
            Ok(r) => r,
            Err(p) => Err(format!("bystander thread panicked: {}", panic_text(&*p))),
        }
    }
}

fn bystander_loop(
    mut p: Refereed,
    mut rng: Rng,
    stop: &AtomicBool,
) -> Result<BystanderReport, String> {
    let mut report = BystanderReport::default();
    let mut last_sent = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(BYSTANDER_THINK);
        let action = match p.referee.game() {
            None => Action::NewGame,
            Some(_) => Action::Move(i64::from(rng.pick(&p.referee.legal_columns()))),
        };
        let gap = last_sent.elapsed();
        last_sent = Instant::now();
        report.max_gap = report.max_gap.max(gap);
        if gap > BYSTANDER_GAP {
            return Err(format!(
                "bystander: {gap:.2?} between two actions (more than {BYSTANDER_GAP:?}): \
                 a reply took {:.2?}",
                gap.saturating_sub(BYSTANDER_THINK)
            ));
        }
        p.client
            .send(&action)
            .map_err(|e| format!("bystander: cannot send {action:?}: {e}"))?;
        let reply = p
            .client
            .recv()
            .map_err(|e| format!("bystander: no reply to {action:?}: {e}"))?;
        report.max_latency = report.max_latency.max(last_sent.elapsed());
        report.actions += 1;
        if reply.error.is_some_and(|e| e.code() == "evicted") {
            return Err(format!(
                "bystander: evicted after {} actions (reply {reply:?})",
                report.actions
            ));
        }
        p.referee
            .after(&action, &reply)
            .map_err(|e| format!("bystander: wrong reply to {action:?}: {e}\nreply: {reply:?}"))?;
        if matches!(action, Action::Move(_)) && reply.estado != Estado::Jugando {
            report.games_finished += 1;
        }
    }
    let reply = p
        .client
        .call(&Action::Quit)
        .map_err(|e| format!("bystander: no reply to \\salir: {e}"))?;
    p.referee
        .after(&Action::Quit, &reply)
        .map_err(|e| format!("bystander: wrong reply to \\salir: {e}\nreply: {reply:?}"))?;
    if !p.client.closed_by_server() {
        return Err("bystander: the board did not close after \\salir".into());
    }
    Ok(report)
}

// ---------------------------------------------------------------- attackers

/// An attacking connection to the classic port.
struct Attacker {
    client: Client,
    label: String,
    /// Got a greeting (else: `server_full`).
    seated: bool,
}

impl Attacker {
    /// Connects and reads the board's first frame (reading is not sending:
    /// a silent holder stays silent).
    fn connect(addr: SocketAddr, label: String) -> Attacker {
        let mut client = Client::connect(addr, Codec::Classic, ATTEMPT_TIMEOUT)
            .unwrap_or_else(|e| panic!("{label}: cannot connect: {e}"));
        let first = client
            .recv()
            .unwrap_or_else(|e| panic!("{label}: no first frame: {e}"));
        let seated = first.error != Some(Error::ServerFull);
        assert!(
            !seated || first.error.is_none(),
            "{label}: first frame is an error: {first:?}"
        );
        Attacker {
            client,
            label,
            seated,
        }
    }

    /// The next frame the board sent (after those the attacker read
    /// itself), as text; `None` if nothing came within 500 ms or the
    /// connection ended first.
    fn next_frame(&mut self) -> Option<String> {
        let _ = self
            .client
            .stream()
            .set_read_timeout(Some(Duration::from_millis(500)));
        self.client
            .recv_payload()
            .ok()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
    }
}

/// `count` attackers on the classic port; panics unless at least one was
/// seated (the bystander holds one of the board's sessions).
fn attackers(t: &Target, what: &str, count: usize) -> Vec<Attacker> {
    let list: Vec<Attacker> = (0..count)
        .map(|i| Attacker::connect(t.classic, format!("{what} {i}")))
        .collect();
    let seated = list.iter().filter(|a| a.seated).count();
    println!(
        "    {count} {what}s connected: {seated} seated, {} told server_full",
        count - seated
    );
    assert!(seated > 0, "no {what} got a seat: nothing to test");
    list
}

/// Checks, after a player got in, that the seated attacker(s) it displaced
/// were told `evicted`. Returns how many were.
fn evicted(list: &mut [Attacker], what: &str) -> usize {
    let mut told = Vec::new();
    let mut other = Vec::new();
    for a in list.iter_mut().filter(|a| a.seated) {
        match a.next_frame() {
            Some(p) if p.contains("\"evicted\"") => told.push(a.label.clone()),
            Some(p) => other.push(format!("{}: {p}", a.label)),
            None => {}
        }
    }
    assert!(other.is_empty(), "{what}s got unexpected frames: {other:?}");
    assert!(
        !told.is_empty(),
        "a player got a seat but no {what} was told `evicted`"
    );
    println!("    told `evicted`: {told:?}");
    told.len()
}

// ---------------------------------------------------------------- the player

/// Retries every [`RETRY_EVERY`] until the board greets it and answers its
/// `\juego_nuevo` with `jugando`, at most [`TIME_TO_GAME`]. Returns the
/// player and the time from its first attempt to that reply.
fn player_gets_game(t: &Target, label: &str) -> (Refereed, Duration) {
    let start = Instant::now();
    let deadline = start + TIME_TO_GAME;
    let (mut full, mut refused) = (0u32, 0u32);
    let mut last = String::from("no attempt");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!(
                "{label}: no game within {TIME_TO_GAME:?} ({full} server_full, \
                 {refused} refused or closed; last: {last})"
            );
        }
        match Client::connect(t.classic, Codec::Classic, left.min(ATTEMPT_TIMEOUT)) {
            Ok(mut client) => match client.recv() {
                Ok(r) if r.error == Some(Error::ServerFull) => {
                    full += 1;
                    last = "server_full".into();
                }
                Ok(greeting) => {
                    let mut referee = Referee::new(Codec::Classic);
                    if let Err(e) = referee.greeting(&greeting) {
                        panic!("{label}: bad greeting: {e}\n{greeting:?}");
                    }
                    client
                        .stream()
                        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                        .expect("read timeout");
                    let mut p = Refereed {
                        client,
                        referee,
                        label: label.into(),
                    };
                    let reply = p.act(Action::NewGame);
                    let took = start.elapsed();
                    assert_eq!(
                        reply.estado,
                        Estado::Jugando,
                        "{label}: \\juego_nuevo answered {reply:?}"
                    );
                    assert!(
                        took <= TIME_TO_GAME,
                        "{label}: a game only after {took:.2?} (bound {TIME_TO_GAME:?})"
                    );
                    p.client
                        .stream()
                        .set_read_timeout(Some(READ_TIMEOUT))
                        .expect("read timeout");
                    println!(
                        "    {label}: game after {took:.2?} ({} attempts: {full} server_full, \
                         {refused} refused or closed)",
                        full + refused + 1
                    );
                    return (p, took);
                }
                Err(e) => {
                    refused += 1;
                    last = format!("no first frame: {e}");
                }
            },
            Err(e) => {
                refused += 1;
                last = format!("connect: {e}");
            }
        }
        std::thread::sleep(RETRY_EVERY.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// A few refereed moves, then `\salir` (checked: goodbye, then closed).
fn play_a_little_and_quit(mut p: Refereed, seed: u64) {
    let mut rng = Rng::new(seed);
    for _ in 0..3 {
        p.step(&mut rng);
    }
    p.quit();
}

// ---------------------------------------------------------------- scenarios

/// (1) As many silent holders as the board has sessions, then a player.
fn silent_holders(t: Target, count: usize) -> Duration {
    let mut holders = attackers(&t, "silent holder", count);
    let (p, took) = player_gets_game(&t, "player (silent holders)");
    println!("TIME TO GAME past {count} silent holders: {took:.2?}");
    play_a_little_and_quit(p, 11);
    evicted(&mut holders, "silent holder");
    took
}

/// Stops the trickling thread when dropped (also on a panic).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// (2) As many tricklers (each with one action done) as the board has
/// sessions, then a player.
fn tricklers(t: Target, count: usize) -> Duration {
    let mut list = attackers(&t, "trickler", count);
    for a in list.iter_mut().filter(|a| a.seated) {
        let reply = a
            .client
            .call(&Action::NewGame)
            .unwrap_or_else(|e| panic!("{}: no reply to \\juego_nuevo: {e}", a.label));
        assert_eq!(
            reply.estado,
            Estado::Jugando,
            "{}: \\juego_nuevo answered {reply:?}",
            a.label
        );
    }
    // Each sends the bytes of one valid frame, one every 2 s (35 bytes:
    // it would complete after more than a minute).
    let frame = action_frame(Codec::Classic, &Action::Move(3));
    let stop = Arc::new(AtomicBool::new(false));
    let guard = StopOnDrop(stop.clone());
    let trickling = std::thread::spawn(move || {
        let mut sent = 0;
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) && sent < frame.len() {
            if Instant::now() >= next {
                for a in list.iter_mut() {
                    // An evicted or refused one fails: it is done.
                    let _ = a.client.send_raw(&frame[sent..=sent]);
                }
                sent += 1;
                next += TRICKLE_EVERY;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        list
    });
    let (p, took) = player_gets_game(&t, "player (tricklers)");
    println!("TIME TO GAME past {count} tricklers (1 B / 2 s): {took:.2?}");
    play_a_little_and_quit(p, 12);
    drop(guard);
    let mut list = trickling.join().expect("trickling thread");
    evicted(&mut list, "trickler");
    took
}

// ---------------------------------------------------------------- the test

/// Runs `f` against `t` with `attackers` attackers, bounded; the error
/// names `label` and shows the board log it produced.
fn run(
    label: &str,
    lines: &Lines,
    t: Target,
    attackers: usize,
    f: fn(Target, usize) -> Duration,
) -> Result<Duration, String> {
    println!("--- {label}");
    let from = lines.len();
    let start = Instant::now();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        bounded(SCENARIO_LIMIT, move || f(t, attackers))
    }));
    let result = match result {
        Ok(took) => {
            println!("ok   {label} ({:.2?})", start.elapsed());
            Ok(took)
        }
        Err(p) => {
            let msg = panic_text(&*p);
            println!("FAIL {label} ({:.2?}): {msg}", start.elapsed());
            let log = lines.snapshot();
            let log = &log[from.min(log.len())..];
            let tail = &log[log.len().saturating_sub(20)..];
            Err(format!(
                "[{label}] {msg}\n    board log during it (last {} of {} lines):\n      {}",
                tail.len(),
                log.len(),
                tail.join("\n      ")
            ))
        }
    };
    let settled = lines
        .wait_for_line_from(from, |l| l.contains("sessions: 1 active"), SETTLE)
        .is_some();
    if !settled {
        println!("    (no `sessions: 1 active` in the board log within {SETTLE:?}; going on)");
    }
    result
}

#[test]
fn mps2_an385_availability() {
    availability(MPS2_AN385, 1_500);
}

#[test]
fn lm3s6965evb_availability() {
    availability(LM3S6965EVB, 2_250);
}

/// One board at a time: these scenarios measure time (a seat within 10 s,
/// the bystander's replies within 2 s), and two QEMUs on a loaded 2-core
/// machine skew each other's.
static ONE_BOARD_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Boots `board` on a port base picked from `port_offset` (each board its
/// own) and runs both scenarios, the bystander throughout.
fn availability(board: BoardSpec, port_offset: u32) {
    let test = format!("board_availability {}", board.name);
    if !board.can_boot(&test) {
        return;
    }
    // A panic in the other board's test poisons the lock; the lock's
    // purpose (one at a time) still holds.
    let _turn = ONE_BOARD_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let attackers = board.sessions;
    let board = Board::boot(board, "board-availability", port_offset);
    let t = board.qemu.target;
    let lines = board.qemu.lines.clone();
    let wall = Instant::now();

    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let bystander = Bystander::start(&t);
        let holders = run("silent holders", &lines, t, attackers, silent_holders);
        let tricklers = run("tricklers", &lines, t, attackers, tricklers);
        let bystander = bystander.finish();
        (holders, tricklers, bystander)
    }));
    let board_log = board.log.clone();
    let leftover = board.shut_down();
    let (holders, tricklers, bystander) = match outcome {
        Ok(r) => r,
        Err(p) => std::panic::resume_unwind(p),
    };

    println!("\n=== {test} summary ===");
    let show = |r: &Result<Duration, String>| match r {
        Ok(d) => format!("{:.2} s", d.as_secs_f64()),
        Err(_) => "FAILED".to_owned(),
    };
    println!("time to a game past silent holders: {}", show(&holders));
    println!("time to a game past tricklers:      {}", show(&tricklers));
    match &bystander {
        Ok(b) => println!(
            "bystander: {} actions, {} games finished, longest gap {:.2?}, slowest reply {:.2?}, never evicted",
            b.actions, b.games_finished, b.max_gap, b.max_latency
        ),
        Err(e) => println!("bystander: {e}"),
    }
    println!("wall time after the boot: {:.1?}", wall.elapsed());

    let mut problems: Vec<String> = [holders.err(), tricklers.err(), bystander.err()]
        .into_iter()
        .flatten()
        .collect();
    problems.extend(leftover);
    cuatro_tests::board::assert_no_problems(&problems, &board_log);
}
