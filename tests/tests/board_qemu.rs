//! Each emulated board end to end, one `#[test]` per board sharing
//! [`end_to_end`]: boots the board's `firmware/<board>/run-qemu` once (QEMU
//! user networking forwards 127.0.0.1 ports; see `cuatro_tests::board` for
//! the contract) and runs, one after the other against it: `cuatro play` on
//! both codecs, the lecture's Python client, refereed games, every scenario
//! of the registry (`cuatro_tests::scenarios::registry`) whose needs the
//! board meets (the idle ones need a short idle timeout: the board's is
//! fixed at 60 s; those filling a pool of 4 need 4 sessions), uploads checked
//! against the board's own CRC-32 log line (0 B, 1 B, an odd size, then
//! min(capacity, 16 MiB), capacity + 1 refused where a u32 length can say
//! it, the lecture's `enviar.py`; the capacity is the one the board logs),
//! and a last game.
//!
//! Needs qemu-system-arm, the cross toolchain (Debian's rustc/cargo with the
//! library sources, arm-none-eabi-ld) and python3. Without them it skips
//! with a printed reason, unless `CUATRO_REQUIRE_QEMU=1`: then it fails. A
//! board whose run-qemu is not in the tree yet is skipped with a printed
//! reason.
//!
//! Every scenario runs bounded in time; a failing one is reported with its
//! name and the board log it produced, and the others still run. The two
//! boards' tests may run at once (different port bases).

use cuatro_tests::board::{qemu_running, Board, BoardSpec, LM3S6965EVB, LOG_WAIT, MPS2_AN385};
use cuatro_tests::process::{bin, run_with_stdin, workspace_root, Lines};
use cuatro_tests::runner::Runner;
use cuatro_tests::scripts::{
    check_lecture_output, check_play_output as check_play, lecture_clients_play_each_other,
    lecture_script, play_script,
};
use cuatro_tests::{Refereed, Rng, Target, CODECS};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a run of a client program (cuatro play, cliente.py) may take.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// The largest upload sent: the MPS2's PSRAM; a board with more room
/// (the streaming sink) gets this much too.
const BIG_UPLOAD: u64 = 16 * 1024 * 1024;

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

/// The length one byte past `capacity`, if a u32 length header can say it.
/// (The refusal costs nothing whatever the capacity: only the header is
/// sent. A streaming sink may take any u32 length: then there is nothing
/// to refuse.)
fn one_too_many(capacity: u64) -> Option<u32> {
    u32::try_from(capacity.checked_add(1)?).ok()
}

/// 0 B, 1 B, 1 234 567 B and min(`capacity`, [`BIG_UPLOAD`]) stored and
/// logged with the right CRC-32; `capacity` + 1 refused (where it can be
/// said); the lecture's `enviar.py`.
fn uploads(addr: SocketAddr, lines: Lines, capacity: u64) {
    let before = upload_lines(&lines);
    assert!(
        before.is_empty(),
        "uploads logged before any was sent: {before:?}"
    );
    let big = usize::try_from(capacity.min(BIG_UPLOAD)).expect("16 MiB fits a usize");
    let mut n = 0;
    for (len, seed) in [(0usize, 1u64), (1, 2), (1_234_567, 3), (big, 4)] {
        assert!(
            len as u64 <= capacity,
            "the board's upload capacity ({capacity} bytes) cannot take the {len}-byte upload"
        );
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
        if len == big {
            println!(
                "UPLOAD THROUGHPUT ({mib:.2} MiB through QEMU): {:.2} MiB/s ({took:.2?})",
                mib / took.as_secs_f64()
            );
        }
    }

    // One byte too many: refused before any data is taken, nothing stored.
    match one_too_many(capacity) {
        Some(len) => refused(addr, &lines, len),
        None => println!(
            "    capacity + 1 not tested: the capacity ({capacity} bytes) is the largest length \
             a u32 header can say, so no upload is too large"
        ),
    }

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

/// An upload of `len` bytes announced: answered `Error: ...` before any
/// data is sent, and not logged as stored.
fn refused(addr: SocketAddr, lines: &Lines, len: u32) {
    let logged = upload_lines(lines).len();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(&len.to_be_bytes()).expect("sending the length");
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => reply.extend_from_slice(&buf[..k]),
            // A reset after the reply is allowed; before it, the check below fails.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "reading the reply to a {len}-byte upload (capacity + 1): {e} (got {reply:?})"
            ),
        }
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(
        reply.starts_with("Error:"),
        "a {len}-byte upload (capacity + 1) was answered {reply:?}, not `Error: ...`"
    );
    println!("    {len} bytes (capacity + 1): {reply:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let after = upload_lines(lines);
    assert_eq!(
        after.len(),
        logged,
        "the refused upload was logged as stored: {:?}",
        after.get(logged..)
    );
}

// ---------------------------------------------------------------- the tests

#[test]
fn the_upload_plan_follows_the_logged_capacity() {
    // The MPS2's PSRAM: 16 MiB, and 16 MiB + 1 refused.
    let mps2 = "listening on 10.0.2.15:8080 (classic), :8081 (compact), \
                :8082 (upload, 16777216 bytes), gateway 10.0.2.2";
    let capacity = cuatro_tests::board::parse_upload_capacity(mps2);
    assert_eq!(capacity, Some(BIG_UPLOAD));
    assert_eq!(one_too_many(BIG_UPLOAD), Some(16 * 1024 * 1024 + 1));
    // A streaming sink that takes any u32 length: nothing to refuse.
    let sink = mps2.replace("16777216", "4294967295");
    let capacity = cuatro_tests::board::parse_upload_capacity(&sink);
    assert_eq!(capacity, Some(u64::from(u32::MAX)));
    assert_eq!(one_too_many(u64::from(u32::MAX)), None);
    assert_eq!(one_too_many(u64::from(u32::MAX) - 1), Some(u32::MAX));
    assert_eq!(
        cuatro_tests::board::parse_upload_capacity("upload n=1 bytes=3 crc32=0"),
        None
    );
}

#[test]
fn mps2_an385_end_to_end() {
    end_to_end(MPS2_AN385, 0);
}

#[test]
fn lm3s6965evb_end_to_end() {
    end_to_end(LM3S6965EVB, 750);
}

/// Boots `board` on a port base picked from `port_offset` (each board its
/// own, so that both can run at once) and runs everything against it.
fn end_to_end(board: BoardSpec, port_offset: u32) {
    let test = format!("board_qemu {}", board.name);
    if !board.can_boot(&test) {
        return;
    }
    let wall = Instant::now();
    // The host binaries first, so their build does not count in a scenario.
    bin("cuatro");
    let board = Board::boot(board, "board-qemu", port_offset);
    let lines = board.qemu.lines.clone();
    println!("board log: {}", board.log.display());
    let needle = board.needle();
    let mut r = Runner::new(lines.clone(), "board log", 40).with_liveness(move || {
        (!qemu_running(&needle)).then(|| "QEMU is no longer running".to_owned())
    });
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        run_all(&mut r, &board);
    }));

    let high_water = lines.snapshot().iter().rev().find_map(|l| {
        l.split_once("stack high-water=")
            .and_then(|(_, v)| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    });
    let board_log = board.log.clone();
    let leftover = board.shut_down();
    r.print_summary(&test);
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

fn run_all(r: &mut Runner, board: &Board) {
    let t = board.qemu.target;
    let long = Duration::from_secs(300);

    // (1) The CLI client on both codecs.
    r.run("cuatro play (compact, then --classic)", long, move || {
        cuatro_play(t)
    });
    // (2) The lecture's Python client.
    r.run("lecture client cliente.py", long, move || lecture_client(t));
    // (2b) Two lecture clients play each other on the player-vs-player port.
    r.run(
        "two cliente.py play each other (player vs player)",
        long,
        move || {
            lecture_clients_play_each_other(t.pvp_addr(cuatro_proto::Codec::Classic), RUN_LIMIT)
        },
    );
    // (3) Refereed full games on both codecs.
    r.run("refereed games, both codecs", long, move || {
        refereed_games(t, 5, 41)
    });

    // (4) The registry: hostile and concurrency scenarios.
    r.registry(t, &board.offers(), |_| true);
    r.run(
        "a new full game after the hostile scenarios",
        long,
        move || refereed_games(t, 1, 42),
    );

    // (5) Uploads, checked against the board's CRC-32 log line.
    let capacity = board.upload_capacity;
    let big = capacity.min(BIG_UPLOAD);
    let too_many = match one_too_many(capacity) {
        Some(len) => format!("{len} B refused"),
        None => "no refusal".to_owned(),
    };
    let (upload_addr, l) = (board.upload_addr(), board.qemu.lines.clone());
    r.run(
        &format!("uploads (0 B, 1 B, 1234567 B, {big} B, {too_many}, enviar.py)"),
        Duration::from_secs(900),
        move || uploads(upload_addr, l, capacity),
    );

    // (6) Still playing after all that.
    r.run("a last game on both codecs", long, move || {
        refereed_games(t, 1, 43)
    });
}
