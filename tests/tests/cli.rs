//! The binaries as a user runs them: `cuatro play` (in-process board,
//! `--classic`, `--addr`), `cuatro serve`, `cuatro-sim`.

use cuatro_proto::Codec;
use cuatro_tests::process::{bin, run_with_stdin, Spawned};
use cuatro_tests::runner::Runner;
use cuatro_tests::scenarios as s;
use cuatro_tests::scenarios::registry::{Offers, Scenario, SHORT_IDLE};
use cuatro_tests::scripts::{check_play_output as check_session, play_script as script};
use cuatro_tests::{bounded, Refereed, Rng, CODECS};
use std::process::Command;
use std::time::Duration;

const RUN_LIMIT: Duration = Duration::from_secs(60);
fn cuatro(args: &[&str]) -> Command {
    let mut c = Command::new(bin("cuatro"));
    c.args(args);
    c
}

#[test]
fn play_in_process_compact() {
    let out = run_with_stdin(cuatro(&["play"]), &script(2), RUN_LIMIT);
    check_session(&out, 2, "cuatro play");
}

#[test]
fn play_in_process_classic() {
    let out = run_with_stdin(cuatro(&["play", "--classic"]), &script(2), RUN_LIMIT);
    check_session(&out, 2, "cuatro play --classic");
    // The classic mode prints the server's own mensaje (the menu).
    assert!(
        out.stdout.contains("\\juego_nuevo"),
        "no menu in the classic mensaje"
    );
}

#[test]
fn play_ends_politely_at_end_of_input() {
    let out = run_with_stdin(cuatro(&["play"]), "\\juego_nuevo\n\\jugada 3\n", RUN_LIMIT);
    assert!(
        out.success(),
        "status {:?}, stderr {}",
        out.status,
        out.stderr
    );
    assert!(
        out.stdout.trim_end().ends_with("¡Hasta luego!"),
        "{}",
        out.stdout
    );
}

#[test]
fn play_unreachable_address_fails_with_one_line() {
    for extra in [&[][..], &["--classic"][..]] {
        let mut args = vec!["play", "--addr", "127.0.0.1:1"];
        args.extend_from_slice(extra);
        let out = run_with_stdin(cuatro(&args), "\\juego_nuevo\n\\salir\n", RUN_LIMIT);
        assert!(
            out.status.is_some(),
            "cuatro play hung on an unreachable address"
        );
        assert!(
            !out.success(),
            "cuatro play {args:?} succeeded against a closed port"
        );
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one stderr line, got: {:?}",
            out.stderr
        );
        assert!(
            lines[0].contains("127.0.0.1:1"),
            "the error line does not name the address: {}",
            lines[0]
        );
        assert!(
            out.elapsed < Duration::from_secs(15),
            "took {:?} to fail",
            out.elapsed
        );
    }
}

#[test]
fn play_bad_address_syntax_fails_with_one_line() {
    let out = run_with_stdin(
        cuatro(&["play", "--addr", "no-such-host.invalid:80:9"]),
        "",
        RUN_LIMIT,
    );
    assert!(out.status.is_some() && !out.success(), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "stderr: {:?}", out.stderr);
}

#[test]
fn play_against_cuatro_sim_binary_then_ctrl_c() {
    let mut sim = Spawned::sim(&["--seed", "5"]);
    assert!(
        sim.ready_line.starts_with("ready classic=127.0.0.1:"),
        "{}",
        sim.ready_line
    );
    let t = sim.target;
    let out = run_with_stdin(
        cuatro(&["play", "--addr", &t.compact.to_string()]),
        &script(1),
        RUN_LIMIT,
    );
    check_session(&out, 1, "cuatro play --addr <sim compact>");
    let out = run_with_stdin(
        cuatro(&["play", "--classic", "--addr", &t.classic.to_string()]),
        &script(1),
        RUN_LIMIT,
    );
    check_session(&out, 1, "cuatro play --classic --addr <sim classic>");
    // A client mid-game does not stop Ctrl-C.
    let _mid = s::victim(&t, Codec::Classic, "mid-game");
    let status = sim.interrupt(Duration::from_secs(5));
    let status = status.expect("cuatro-sim did not stop within 5 s of SIGINT");
    assert!(
        status.success(),
        "cuatro-sim exited with {status} on SIGINT"
    );
}

#[test]
fn sim_binary_port_in_use_fails_with_one_line() {
    let sim = Spawned::sim(&[]);
    let port = sim.target.classic.port().to_string();
    let mut cmd = Command::new(bin("cuatro-sim"));
    cmd.args(["--port-base", &port]);
    let out = run_with_stdin(cmd, "", Duration::from_secs(20));
    assert!(
        out.status.is_some() && !out.success(),
        "second cuatro-sim on a used port: {out:?}"
    );
    assert!(
        !out.stdout.contains("ready"),
        "printed ready although the port is taken"
    );
    assert!(
        out.stderr.contains(&port),
        "error does not name the port: {}",
        out.stderr
    );
}

#[test]
fn sim_binary_takes_a_memory_budget_and_refuses_one_too_small() {
    // A budget of its own: 2 sessions, 3 sockets, small buffers; it plays.
    let sim = Spawned::sim(&[
        "--sessions",
        "2",
        "--sockets",
        "3",
        "--rx-buffer",
        "256",
        "--tx-buffer",
        "604",
        "--upload-buffer",
        "512",
    ]);
    let t = sim.target;
    bounded(Duration::from_secs(60), move || {
        s::sequential_sessions(&t, 3, Duration::from_secs(1));
    });
    // One byte short of the largest reply frame: refused in one line that
    // names the minimum, before any port is bound.
    let mut cmd = Command::new(bin("cuatro-sim"));
    cmd.args(["--port-base", "0", "--tx-buffer", "603"]);
    let out = run_with_stdin(cmd, "", Duration::from_secs(20));
    assert!(out.status.is_some() && !out.success(), "{out:?}");
    assert!(!out.stdout.contains("ready"), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "stderr: {:?}", out.stderr);
    assert!(
        out.stderr.contains("604"),
        "does not name the minimum: {}",
        out.stderr
    );
}

#[test]
fn serve_then_play() {
    let server = Spawned::serve(&[]);
    let t = server.target;
    for (args, addr) in [
        (vec!["play"], t.compact),
        (vec!["play", "--classic"], t.classic),
    ] {
        let mut args = args.clone();
        let addr = addr.to_string();
        args.extend(["--addr", &addr]);
        let out = run_with_stdin(cuatro(&args), &script(2), RUN_LIMIT);
        check_session(&out, 2, &format!("cuatro {args:?} against cuatro serve"));
    }
    // Refereed games against the kernel-TCP server too.
    let mut rng = Rng::new(31);
    for codec in CODECS {
        let mut p = Refereed::connect(t.addr(codec), codec, "serve player");
        for _ in 0..5 {
            p.play_full_game(&mut rng);
        }
        p.quit();
    }
}

#[test]
fn serve_same_core_same_answers() {
    // `cuatro serve` runs the same core: every scenario of the registry
    // must hold there too (those needing a short idle timeout below).
    let server = Spawned::serve(&[]);
    registry_on(&server, "cuatro serve", DEFAULT_IDLE, |s| {
        s.needs.idle_timeout.is_none()
    });
}

#[test]
fn sim_binary_idle_timeout_flag() {
    let idle = SHORT_IDLE.as_secs().to_string();
    let sim = Spawned::sim(&["--idle-timeout", &idle]);
    registry_on(&sim, "cuatro-sim --idle-timeout", SHORT_IDLE, |s| {
        s.needs.idle_timeout.is_some()
    });
}

#[test]
fn serve_idle_timeout_flag() {
    let idle = SHORT_IDLE.as_secs().to_string();
    let server = Spawned::serve(&["--idle-timeout", &idle]);
    registry_on(&server, "cuatro serve --idle-timeout", SHORT_IDLE, |s| {
        s.needs.idle_timeout.is_some()
    });
}

/// The idle timeout of `cuatro serve` and `cuatro-sim` without the flag.
const DEFAULT_IDLE: Duration = Duration::from_secs(60);

/// Runs the registry's scenarios that `pick` selects one after the other on
/// `server` (4 sessions, as `cuatro serve` and `cuatro-sim` have by default,
/// and the idle timeout `idle`); fails naming every scenario that failed, or
/// that the server could not run.
fn registry_on(server: &Spawned, what: &str, idle: Duration, pick: impl Fn(&Scenario) -> bool) {
    let offers = Offers {
        sessions: cuatro_core::server::SESSIONS,
        idle_timeout: idle,
        pvp: server.target.pvp.is_some(),
    };
    let mut r = Runner::new(server.lines.clone(), "its output", 20);
    r.registry(server.target, &offers, pick);
    r.print_summary(what);
    assert!(
        r.skipped.is_empty(),
        "{what} could not run: {:?}",
        r.skipped
    );
    assert!(
        !r.passed.is_empty() || !r.failures.is_empty(),
        "{what}: no scenario picked"
    );
    r.assert_all_passed(what);
}

/// `--cpu LEVEL` sets the level of a `\juego_nuevo` without `nivel`, on
/// both servers; `nivel` still picks another; a level that does not exist
/// is refused at start, naming the three.
#[test]
fn cpu_flag_sets_the_default_level() {
    use cuatro_proto::{Action, Level};
    for (name, server) in [
        ("cuatro-sim", Spawned::sim(&["--cpu", "dificil"])),
        ("cuatro serve", Spawned::serve(&["--cpu", "facil"])),
    ] {
        let want = if name == "cuatro serve" {
            Level::Facil
        } else {
            Level::Dificil
        };
        let mut rng = Rng::new(41);
        for codec in CODECS {
            let mut p = Refereed::connect(server.target.addr(codec), codec, name);
            p.referee = p.referee.clone().with_default_level(want);
            p.act(Action::NewGame);
            assert_eq!(p.referee.level(), Some(want), "{name} {codec:?}");
            p.step(&mut rng);
            p.act(Action::NewGameAt(Level::Aleatorio));
            p.act(Action::NewGame);
            assert_eq!(p.referee.level(), Some(want), "{name} {codec:?}");
            p.quit();
        }
    }
    for bin_name in ["cuatro-sim", "cuatro"] {
        let mut c = Command::new(bin(bin_name));
        if bin_name == "cuatro" {
            c.arg("serve");
        }
        c.args(["--port-base", "0", "--cpu", "imposible"]);
        let out = run_with_stdin(c, "", RUN_LIMIT);
        assert!(!out.success(), "{bin_name} --cpu imposible started");
        assert!(
            out.stderr.contains("aleatorio, facil or dificil"),
            "{bin_name}: {}",
            out.stderr
        );
    }
}

/// `cuatro play --nivel dificil` asks for that level on every new game
/// (the compact rendering and the classic mensaje both name it).
#[test]
fn play_nivel_flag() {
    for extra in [&[][..], &["--classic"][..]] {
        let mut args = vec!["play", "--nivel", "dificil"];
        args.extend_from_slice(extra);
        let out = run_with_stdin(cuatro(&args), &script(2), RUN_LIMIT);
        check_session(&out, 2, &format!("cuatro {args:?}"));
        assert_eq!(
            out.stdout.matches("nivel dificil").count(),
            2,
            "{args:?}: {}",
            out.stdout
        );
    }
}

/// `cuatro play --addr` on the player-vs-player ports: it says it waits
/// for an opponent (its `\juego_nuevo` held), is matched once a second
/// player joins (a raw client here, connected only after the hint is
/// printed: no timing), plays, and waits again for the opponent's move.
#[test]
fn play_on_the_pvp_port_shows_the_wait() {
    use cuatro_proto::Action;
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let server = Spawned::sim(&["--seed", "12"]);
    let (classic, compact) = server.target.pvp.expect("cuatro-sim has the PvP ports");
    let mut child = cuatro(&["play", "--addr", &compact.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cuatro play");
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |want: &str| {
        let deadline = std::time::Instant::now() + RUN_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(want);
                    seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no {want:?} from cuatro play; it printed:\n{}",
                    seen.join("\n")
                ),
            }
        }
    };
    writeln!(stdin, "\\juego_nuevo").expect("write");
    wait_for("(esperando a un rival…)");
    // The opponent joins now (classic): the player is matched and moves first.
    let mut other = host::client::Client::connect(classic, Codec::Classic, Duration::from_secs(10))
        .expect("connect the opponent");
    other.recv().expect("greeting");
    other.send(&Action::NewGame).expect("join");
    wait_for("empiezas");
    writeln!(stdin, "\\jugada 3").expect("write");
    wait_for("(esperando la jugada del rival…)");
    let r = other.recv().expect("the opening move");
    assert!(
        r.mensaje
            .as_deref()
            .is_some_and(|m| m.contains("empezó en la columna 3")),
        "{r:?}"
    );
    other.send(&Action::Move(4)).expect("answer");
    wait_for("tu rival jugó en la 4");
    writeln!(stdin, "\\salir").expect("write");
    drop(stdin);
    let status = child.wait().expect("cuatro play exits");
    assert!(status.success());
    let r = other.recv().expect("told the opponent left");
    assert_eq!(r.error, Some(cuatro_proto::Error::OpponentLeft), "{r:?}");
}
