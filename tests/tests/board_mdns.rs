//! Each QEMU board's mDNS/DNS-SD responder, found by third-party software
//! on a link that carries multicast (QEMU's user network does not): the
//! board boots with `run-qemu --tap tap0` inside a network namespace this
//! test creates, its TAP's host side at 10.0.2.2/24 (the board's gateway),
//! the board at its own 10.0.2.15. In the namespace:
//!
//! 1. python-zeroconf (`tests/python/mdns_find.py`) finds the board by
//!    service type (`_cuatro._tcp.local.`, its SRV, TXT and address) and by
//!    host name (`cuatro.local.`); `cuatro discover` (the mdns-sd crate)
//!    lists it with its five ports; `cuatro play --addr cuatro.local:8080`
//!    resolves the name and plays.
//! 2. With the instance `cuatro._cuatro._tcp.local.` already held by
//!    python-zeroconf (`tests/python/mdns_claim.py`: another board called
//!    `cuatro` on the link), the board's probe meets the defence, it takes
//!    `cuatro-2`, logs `mdns: cuatro-2.local`, and is found by that name
//!    (the holder's instance is listed too).
//!
//! Needs what booting a board needs (`cuatro_tests::board`), root, `ip`,
//! /dev/net/tun and python-zeroconf: without them it skips with the
//! reason, unless `CUATRO_REQUIRE_QEMU=1` / `CUATRO_REQUIRE_TAP=1` say it
//! must run. Every wait is bounded; the namespace and what ran in it are
//! deleted at the end, failing or not.

use cuatro_tests::board::{BoardSpec, BOARD_READY_TIMEOUT, LM3S6965EVB, LOG_WAIT, MPS2_AN385};
use cuatro_tests::netns::{tap_required, tap_unavailable, Netns, TAP};
use cuatro_tests::process::{bin, workspace_root, Spawned};
use cuatro_tests::Target;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The namespace kernel's side of the TAP: the board's gateway.
const HOST_SIDE: &str = "10.0.2.2/24";
const HOST_IP: &str = "10.0.2.2";
/// The board's static address (board.conf's `board_ip`).
const BOARD_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
/// How long one client program may run.
const RUN_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn mps2_an385_found_by_mdns() {
    found_by_mdns(MPS2_AN385);
}

#[test]
fn lm3s6965evb_found_by_mdns() {
    found_by_mdns(LM3S6965EVB);
}

/// Skips (printing why) or, when required, fails.
fn skip(test: &str, reason: &str) {
    assert!(
        !tap_required(),
        "CUATRO_REQUIRE_TAP=1 but {test} cannot run: {reason}"
    );
    println!("SKIPPED {test}: {reason}");
}

fn have_zeroconf() -> bool {
    Command::new("python3")
        .args(["-c", "import zeroconf"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn found_by_mdns(board: BoardSpec) {
    let test = format!("{}_found_by_mdns", board.name);
    if !board.can_boot(&test) {
        return;
    }
    if let Some(why) = tap_unavailable() {
        return skip(&test, &why);
    }
    if !have_zeroconf() {
        return skip(
            &test,
            "python3 has no zeroconf module (pip install zeroconf)",
        );
    }
    let ns = Netns::create(board.name, HOST_SIDE).unwrap_or_else(|e| panic!("{test}: {e}"));
    let cuatro = bin("cuatro");
    let python = workspace_root().join("tests/python");

    // (1) A clean link: found by service and by name, listed, played.
    let qemu = boot(&ns, board, "clean");
    let named = qemu
        .lines
        .wait_for_line(|l| l.contains("mdns: cuatro.local"), LOG_WAIT);
    assert!(
        named.is_some(),
        "{}: no `mdns: cuatro.local` log line",
        board.name
    );
    let found = ns.run(
        "python3",
        &[&python.join("mdns_find.py").display().to_string(), HOST_IP],
        "",
        RUN_LIMIT,
    );
    assert!(
        found.success(),
        "mdns_find.py: {}\n{}",
        found.stdout,
        found.stderr
    );
    let text = &found.stdout;
    assert!(
        text.contains(
            "service cuatro._cuatro._tcp.local. server cuatro.local. port 8080 addresses 10.0.2.15"
        ),
        "{text}"
    );
    assert!(
        text.contains("txt classic=8080 compact=8081 pvp=8083 pvp_compact=8084 upload=8082"),
        "{text}"
    );
    assert!(
        text.contains("host cuatro.local. addresses 10.0.2.15"),
        "{text}"
    );
    println!("{}: python-zeroconf: {}", board.name, text.trim());

    let listed = ns.run(&cuatro, &["discover", "--wait", "3"], "", RUN_LIMIT);
    assert!(
        listed.success(),
        "cuatro discover: {}\n{}",
        listed.stdout,
        listed.stderr
    );
    assert_eq!(
        listed.stdout.trim(),
        "cuatro  cuatro.local  10.0.2.15  classic=8080 compact=8081 upload=8082 pvp=8083 pvp_compact=8084"
    );
    println!("{}: cuatro discover: {}", board.name, listed.stdout.trim());

    let played = ns.run(
        &cuatro,
        &["play", "--classic", "--addr", "cuatro.local:8080"],
        "\\juego_nuevo\n\\jugada 3\n\\salir\n",
        RUN_LIMIT,
    );
    assert!(
        played.stdout.contains("Jugaste en la columna 3"),
        "cuatro play --addr cuatro.local:8080: {}\n{}",
        played.stdout,
        played.stderr
    );
    drop(qemu);

    // (2) The name already taken on the link: the board renames itself.
    let mut claim = ns.exec("python3");
    claim.arg(python.join("mdns_claim.py")).arg(HOST_IP);
    let holder = Spawned::start_with(claim, Duration::from_secs(60), |l| {
        // Not a server: its "addresses" are unused.
        l.contains("claimed cuatro._cuatro._tcp.local.")
            .then(board_target)
    });
    let qemu = boot(&ns, board, "conflict");
    let renamed = qemu
        .lines
        .wait_for_line(|l| l.contains("mdns: cuatro-2.local"), LOG_WAIT);
    assert!(
        renamed.is_some(),
        "{}: no `mdns: cuatro-2.local` after a conflict; log: {:?}",
        board.name,
        qemu.lines.snapshot()
    );
    let found = ns.run(
        "python3",
        &[
            &python.join("mdns_find.py").display().to_string(),
            HOST_IP,
            "cuatro-2.local.",
        ],
        "",
        RUN_LIMIT,
    );
    assert!(
        found.success(),
        "mdns_find.py cuatro-2.local.: {}\n{}",
        found.stdout,
        found.stderr
    );
    assert!(
        found
            .stdout
            .contains("server cuatro-2.local. port 8080 addresses 10.0.2.15"),
        "{}",
        found.stdout
    );
    assert!(
        found
            .stdout
            .contains("host cuatro-2.local. addresses 10.0.2.15"),
        "{}",
        found.stdout
    );
    println!("{}: after a conflict: {}", board.name, found.stdout.trim());
    drop(qemu);
    drop(holder);
    drop(ns);
}

/// Boots `board` on the namespace's TAP (run-qemu `--tap`), its log in a
/// temporary file named after `label`.
fn boot(ns: &Netns, board: BoardSpec, label: &str) -> Spawned {
    let log = std::env::temp_dir().join(format!(
        "cuatro-{}-mdns-{label}-{}.log",
        board.name,
        std::process::id()
    ));
    let mut cmd = ns.exec(board.run_qemu());
    cmd.args(["--tap", TAP, "--ready-timeout", "120", "--log"])
        .arg(&log);
    let start = Instant::now();
    let qemu = Spawned::start_with(cmd, BOARD_READY_TIMEOUT, move |line| {
        line.contains("10.0.2.15:8080 ").then(board_target)
    });
    println!(
        "{} ({label}) ready on {TAP} in {:.1?}: {}",
        board.name,
        start.elapsed(),
        qemu.ready_line
    );
    qemu
}

/// The board's game ports at its own address.
fn board_target() -> Target {
    Target {
        classic: SocketAddr::from((BOARD_IP, 8080)),
        compact: SocketAddr::from((BOARD_IP, 8081)),
        pvp: Some((
            SocketAddr::from((BOARD_IP, 8083)),
            SocketAddr::from((BOARD_IP, 8084)),
        )),
    }
}
