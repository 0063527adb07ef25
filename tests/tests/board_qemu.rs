//! The emulated board end to end: boots `firmware/mps2-an385/run-qemu` once
//! (QEMU `mps2-an385`, Cortex-M3 + LAN9118, ports forwarded from 127.0.0.1)
//! and runs, one after the other against it: `cuatro play` on both codecs,
//! the lecture's Python client, refereed games, the hostile and concurrency
//! scenarios of `cuatro_tests::scenarios` (all but the two that need a short
//! idle timeout: the board's is fixed at 60 s), uploads checked against the
//! board's own CRC-32 log line (0 B, 1 B, odd size, exactly 16 MiB, 16 MiB + 1
//! refused, the lecture's `enviar.py`), and a last game.
//!
//! Needs qemu-system-arm, the cross toolchain (Debian's rustc/cargo with the
//! library sources, arm-none-eabi-ld) and python3. Without them it skips
//! with a printed reason, unless `CUATRO_REQUIRE_QEMU=1`: then it fails.
//!
//! Every scenario runs bounded in time; a failing one is reported with its
//! label and the board log it produced, and the others still run.

use cuatro_proto::Codec;
use cuatro_tests::board::{missing_prerequisites, panic_text, qemu_running, Board};
use cuatro_tests::process::{bin, run_with_stdin, workspace_root, Lines};
use cuatro_tests::scenarios as s;
use cuatro_tests::scripts::{
    check_lecture_output, check_play_output as check_play, lecture_script, play_script,
};
use cuatro_tests::{bounded, Refereed, Rng, Target, CODECS};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a run of a client program (cuatro play, cliente.py) may take.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// How long the board's log may take to show a line (the relay is `tail -f`).
const LOG_WAIT: Duration = Duration::from_secs(15);
/// The board's upload storage (PSRAM).
const STORAGE: usize = 16 * 1024 * 1024;

// ---------------------------------------------------------------- scenario runner

struct Runner {
    lines: Lines,
    /// See [`Board::needle`].
    needle: String,
    failures: Vec<String>,
    passed: Vec<(String, Duration)>,
}

impl Runner {
    /// Runs `f` on its own thread, at most `limit`; a panic (or the time
    /// limit) is recorded with `label` and the board log it produced.
    fn run(&mut self, label: &str, limit: Duration, f: impl FnOnce() + Send + 'static) {
        println!("--- {label}");
        if !qemu_running(&self.needle) {
            println!("SKIP {label}: QEMU is no longer running");
            self.failures
                .push(format!("[{label}] not run: QEMU is no longer running"));
            return;
        }
        let from = self.lines.len();
        let start = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| bounded(limit, f)));
        let took = start.elapsed();
        match result {
            Ok(()) => {
                println!("ok   {label} ({took:.2?})");
                self.passed.push((label.to_owned(), took));
            }
            Err(p) => {
                let msg = panic_text(&*p);
                let log = self.lines.snapshot();
                let log = &log[from.min(log.len())..];
                let tail = &log[log.len().saturating_sub(40)..];
                println!("FAIL {label} ({took:.2?}): {msg}");
                self.failures.push(format!(
                    "[{label}] {msg}\n    board log during it (last {} of {} lines):\n      {}",
                    tail.len(),
                    log.len(),
                    tail.join("\n      ")
                ));
            }
        }
    }
}

// ---------------------------------------------------------------- (1) cuatro play

fn cuatro_play(t: Target) {
    for (classic, addr) in [(false, t.compact), (true, t.classic)] {
        let addr = addr.to_string();
        let mut args = vec!["play", "--addr", &addr];
        if classic {
            args.push("--classic");
        }
        let mut cmd = Command::new(bin("cuatro"));
        cmd.args(&args);
        let out = run_with_stdin(cmd, &play_script(2), RUN_LIMIT);
        check_play(&out, 2, &format!("cuatro {}", args.join(" ")));
        if classic {
            assert!(
                out.stdout.contains("\\juego_nuevo"),
                "cuatro play --classic: no menu in the board's mensaje"
            );
        }
        println!(
            "    cuatro {}: 2 games in {:.2?}",
            args.join(" "),
            out.elapsed
        );
    }
}

// ---------------------------------------------------------------- (2) lecture client

fn python(script: &str, args: &[String]) -> Command {
    let mut c = Command::new("python3");
    c.arg(workspace_root().join("tests/python").join(script))
        .args(args)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1");
    c
}

/// As in tests/python_client.rs: two games, garbage, a refused column 10.
fn lecture_client(t: Target) {
    let cmd = python(
        "cliente.py",
        &[t.classic.ip().to_string(), t.classic.port().to_string()],
    );
    let out = run_with_stdin(cmd, &lecture_script(), RUN_LIMIT);
    check_lecture_output(&out, "cliente.py");
    println!("    cliente.py: 2 games in {:.2?}", out.elapsed);
}

// ---------------------------------------------------------------- (3), (6) games

fn refereed_games(t: Target, games: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for codec in CODECS {
        let mut p = Refereed::connect(t.addr(codec), codec, &format!("{codec:?} player"));
        let mut ends = Vec::new();
        for _ in 0..games {
            ends.push(p.play_full_game(&mut rng));
        }
        p.quit();
        println!("    {codec:?}: {ends:?}");
    }
}

// ---------------------------------------------------------------- (5) uploads

/// CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's `crc32`: bit by
/// bit, so it shares nothing with the board's table-driven one.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

/// Uploads `data` (length header + bytes) and reads the raw reply until the
/// board closes. Returns the reply and the time from the first byte sent
/// to the end of the reply.
fn upload(addr: SocketAddr, data: &[u8]) -> (String, Duration) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("connect to the upload port {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    s.set_write_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let start = Instant::now();
    s.write_all(&(data.len() as u32).to_be_bytes())
        .expect("sending the length");
    s.write_all(data)
        .unwrap_or_else(|e| panic!("sending {} bytes: {e}", data.len()));
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)
        .unwrap_or_else(|e| panic!("reading the reply to a {}-byte upload: {e}", data.len()));
    (
        String::from_utf8_lossy(&reply).into_owned(),
        start.elapsed(),
    )
}

/// `(n, bytes, crc32)` of a board log line `... upload n=<n> bytes=<len> crc32=<hex>`.
fn parse_upload_line(line: &str) -> Option<(u32, usize, u32)> {
    let rest = &line[line.find("upload n=")? + "upload ".len()..];
    let (mut n, mut bytes, mut crc) = (None, None, None);
    for word in rest.split_whitespace() {
        if let Some(v) = word.strip_prefix("n=") {
            n = v.parse().ok();
        } else if let Some(v) = word.strip_prefix("bytes=") {
            bytes = v.parse().ok();
        } else if let Some(v) = word.strip_prefix("crc32=") {
            crc = u32::from_str_radix(v, 16).ok();
        }
    }
    Some((n?, bytes?, crc?))
}

/// Waits for the board's `upload n=<n> ...` line and checks it against `data`.
fn expect_upload_line(lines: &Lines, n: u32, data: &[u8]) {
    let line = lines
        .wait_for_line(|l| parse_upload_line(l).is_some_and(|(k, _, _)| k == n), LOG_WAIT)
        .unwrap_or_else(|| {
            panic!(
                "no board log line `upload n={n} ...` within {LOG_WAIT:?} after a {}-byte upload answered Gracias",
                data.len()
            )
        });
    let (_, bytes, crc) = parse_upload_line(&line).expect("parsed above");
    let want = crc32(data);
    assert_eq!(bytes, data.len(), "upload n={n}: length in {line:?}");
    assert_eq!(
        crc, want,
        "upload n={n}: board CRC-32 {crc:08x} but the data's is {want:08x} ({line:?})"
    );
    println!("    {line}");
}

fn upload_lines(lines: &Lines) -> Vec<String> {
    lines
        .snapshot()
        .into_iter()
        .filter(|l| parse_upload_line(l).is_some())
        .collect()
}

fn uploads(addr: SocketAddr, lines: Lines) {
    let before = upload_lines(&lines);
    assert!(
        before.is_empty(),
        "uploads logged before any was sent: {before:?}"
    );
    let mut n = 0;
    for (len, seed) in [(0usize, 1u64), (1, 2), (1_234_567, 3), (STORAGE, 4)] {
        let data = random_bytes(len, seed);
        let (reply, took) = upload(addr, &data);
        assert_eq!(
            reply, "Gracias",
            "a {len}-byte upload was answered {reply:?}"
        );
        n += 1;
        expect_upload_line(&lines, n, &data);
        let mib = len as f64 / (1024.0 * 1024.0);
        println!(
            "    {len} bytes: Gracias in {took:.2?} ({:.2} MiB/s)",
            mib / took.as_secs_f64()
        );
        if len == STORAGE {
            println!(
                "UPLOAD THROUGHPUT (16 MiB through QEMU): {:.2} MiB/s ({took:.2?})",
                mib / took.as_secs_f64()
            );
        }
    }

    // One byte too many: refused before any data is taken, nothing stored.
    let logged = upload_lines(&lines).len();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(&((STORAGE + 1) as u32).to_be_bytes())
        .expect("sending the length");
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => reply.extend_from_slice(&buf[..k]),
            // A reset after the reply is allowed; before it, the check below fails.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the reply to a 16 MiB + 1 upload: {e} (got {reply:?})"),
        }
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(
        reply.starts_with("Error:"),
        "a 16 MiB + 1 upload was answered {reply:?}, not `Error: ...`"
    );
    println!("    16 MiB + 1: {reply:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let after = upload_lines(&lines);
    assert_eq!(
        after.len(),
        logged,
        "the refused upload was logged as stored: {:?}",
        &after[logged..]
    );

    // The lecture's file-transfer client, unmodified.
    let data = random_bytes(300_001, 5);
    let file = std::env::temp_dir().join(format!(
        "cuatro-board-qemu-{}-enviar.bin",
        std::process::id()
    ));
    std::fs::write(&file, &data).expect("writing the file to send");
    let out = run_with_stdin(
        python(
            "enviar.py",
            &[
                addr.ip().to_string(),
                addr.port().to_string(),
                file.display().to_string(),
            ],
        ),
        "",
        RUN_LIMIT,
    );
    let _ = std::fs::remove_file(&file);
    assert!(
        out.success() && out.stdout.contains("Respuesta: Gracias"),
        "enviar.py: status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
    n += 1;
    expect_upload_line(&lines, n, &data);
    println!("    enviar.py: {:?}", out.stdout.trim());
}

// ---------------------------------------------------------------- the test

#[test]
fn board_in_qemu_end_to_end() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        let what = missing.join(", ");
        if std::env::var("CUATRO_REQUIRE_QEMU").as_deref() == Ok("1") {
            panic!("CUATRO_REQUIRE_QEMU=1 but the QEMU board test cannot run; missing: {what}");
        }
        println!(
            "SKIPPED board_qemu: missing {what} (set CUATRO_REQUIRE_QEMU=1 to make this a failure)"
        );
        return;
    }
    let wall = Instant::now();
    // The host binaries first, so their build does not count in a scenario.
    bin("cuatro");
    let board = Board::boot("board-qemu", 0);
    let t = board.qemu.target;
    let lines = board.qemu.lines.clone();
    println!("board log: {}", board.log.display());
    let mut r = Runner {
        lines: lines.clone(),
        needle: board.needle(),
        failures: Vec::new(),
        passed: Vec::new(),
    };
    let upload_addr = board.upload_addr();
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        run_scenarios(&mut r, t, upload_addr, &lines);
    }));

    let high_water = lines.snapshot().iter().rev().find_map(|l| {
        l.split_once("stack high-water=")
            .and_then(|(_, v)| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    });
    let board_log = board.log.clone();
    let leftover = board.shut_down();
    println!("\n=== board_qemu summary ===");
    for (label, took) in &r.passed {
        println!("ok   {label} ({took:.2?})");
    }
    match high_water {
        Some(b) => println!("STACK HIGH-WATER (last logged): {b} bytes"),
        None => println!("STACK HIGH-WATER: no `stack high-water=` line in the board log"),
    }
    println!("wall time: {:.1?}", wall.elapsed());
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
    let mut problems = r.failures;
    if let Some(l) = leftover {
        problems.push(l);
    }
    if high_water.is_none() {
        problems.push("no `stack high-water=` line in the board log".into());
    }
    cuatro_tests::board::assert_no_problems(&problems, &board_log);
}

fn run_scenarios(r: &mut Runner, t: Target, upload_addr: SocketAddr, lines: &Lines) {
    let short = Duration::from_secs(60);
    let long = Duration::from_secs(300);

    // (1) The CLI client on both codecs.
    r.run("cuatro play (compact, then --classic)", long, move || {
        cuatro_play(t)
    });
    // (2) The lecture's Python client.
    r.run("lecture client cliente.py", long, move || lecture_client(t));
    // (3) Refereed full games on both codecs.
    r.run("refereed games, both codecs", long, move || {
        refereed_games(t, 5, 41)
    });

    // (4) Hostile and concurrency scenarios (not idle_flood and
    // stalled_mid_frame: they need a short idle timeout).
    type Scenario = (&'static str, Duration, Box<dyn FnOnce(Target) + Send>);
    let hostile: Vec<Scenario> = vec![
        (
            "frame_empty classic",
            short,
            Box::new(|t| s::frame_empty(&t, Codec::Classic)),
        ),
        (
            "frame_empty compact",
            short,
            Box::new(|t| s::frame_empty(&t, Codec::Compact)),
        ),
        (
            "frame_huge classic",
            short,
            Box::new(|t| s::frame_huge(&t, Codec::Classic)),
        ),
        (
            "frame_huge compact",
            short,
            Box::new(|t| s::frame_huge(&t, Codec::Compact)),
        ),
        (
            "frame_over_max classic",
            short,
            Box::new(|t| s::frame_over_max(&t, Codec::Classic)),
        ),
        (
            "frame_over_max compact",
            short,
            Box::new(|t| s::frame_over_max(&t, Codec::Compact)),
        ),
        ("frame_at_max", short, Box::new(|t| s::frame_at_max(&t))),
        ("invalid_json", short, Box::new(|t| s::invalid_json(&t))),
        ("invalid_utf8", short, Box::new(|t| s::invalid_utf8(&t))),
        ("wrong_types", short, Box::new(|t| s::wrong_types(&t))),
        ("unknown_tipo", short, Box::new(|t| s::unknown_tipo(&t))),
        ("deep_nesting", short, Box::new(|t| s::deep_nesting(&t))),
        (
            "numbers_out_of_range",
            short,
            Box::new(|t| s::numbers_out_of_range(&t)),
        ),
        (
            "compact_garbage",
            short,
            Box::new(|t| s::compact_garbage(&t)),
        ),
        ("json_variants", short, Box::new(|t| s::json_variants(&t))),
        (
            "pipelined 10 classic",
            short,
            Box::new(|t| s::pipelined(&t, Codec::Classic, 10)),
        ),
        (
            "pipelined 10 compact",
            short,
            Box::new(|t| s::pipelined(&t, Codec::Compact, 10)),
        ),
        (
            "pipelined 80 classic (backpressure)",
            long,
            Box::new(|t| s::pipelined(&t, Codec::Classic, 80)),
        ),
        (
            "pipelined 200 compact (backpressure)",
            long,
            Box::new(|t| s::pipelined(&t, Codec::Compact, 200)),
        ),
        (
            "pipelined_mixed",
            short,
            Box::new(|t| s::pipelined_mixed(&t)),
        ),
        (
            "byte_by_byte classic",
            short,
            Box::new(|t| s::byte_by_byte(&t, Codec::Classic)),
        ),
        (
            "byte_by_byte compact",
            short,
            Box::new(|t| s::byte_by_byte(&t, Codec::Compact)),
        ),
        (
            "half_close classic",
            short,
            Box::new(|t| s::half_close(&t, Codec::Classic)),
        ),
        (
            "half_close compact",
            short,
            Box::new(|t| s::half_close(&t, Codec::Compact)),
        ),
        (
            "nothing_after_framing_error classic",
            short,
            Box::new(|t| s::nothing_after_framing_error(&t, Codec::Classic)),
        ),
        (
            "nothing_after_framing_error compact",
            short,
            Box::new(|t| s::nothing_after_framing_error(&t, Codec::Compact)),
        ),
        (
            "slow_reader classic 400",
            long,
            Box::new(|t| s::slow_reader(&t, Codec::Classic, 400)),
        ),
        (
            "slow_reader compact 2000",
            long,
            Box::new(|t| s::slow_reader(&t, Codec::Compact, 2000)),
        ),
        (
            "resets_free_sessions",
            long,
            Box::new(|t| s::resets_free_sessions(&t)),
        ),
        (
            "churn 200",
            long,
            Box::new(|t| s::churn(&t, 200, &[0, 1, 2, 3])),
        ),
        (
            "four_sessions_and_server_full",
            long,
            Box::new(|t| {
                let ends = s::four_sessions_and_server_full(&t, 3);
                assert_eq!(ends.len(), 12, "game results: {ends:?}");
            }),
        ),
        (
            "four_sessions_on_one_port classic",
            long,
            Box::new(|t| s::four_sessions_on_one_port(&t, Codec::Classic)),
        ),
        (
            "four_sessions_on_one_port compact",
            long,
            Box::new(|t| s::four_sessions_on_one_port(&t, Codec::Compact)),
        ),
        (
            "sequential_sessions 30 (each < 1 s)",
            long,
            Box::new(|t| {
                let slowest = s::sequential_sessions(&t, 30, Duration::from_secs(1));
                println!("    slowest sequential session: {slowest:.2?}");
            }),
        ),
    ];
    for (label, limit, f) in hostile {
        r.run(label, limit, move || f(t));
    }
    r.run(
        "a new full game after the hostile scenarios",
        long,
        move || refereed_games(t, 1, 42),
    );

    // (5) Uploads, checked against the board's CRC-32 log line.
    let l = lines.clone();
    r.run(
        "uploads (0 B, 1 B, 1234567 B, 16 MiB, 16 MiB + 1, enviar.py)",
        Duration::from_secs(900),
        move || uploads(upload_addr, l),
    );

    // (6) Still playing after all that.
    r.run("a last game on both codecs", long, move || {
        refereed_games(t, 1, 43)
    });
}
