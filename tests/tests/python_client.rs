//! The lecture's own Python client (tests/python/cliente.py) plays against
//! the simulator, unmodified; and Python's json.dumps variants parse.

use cuatro_proto::{Action, Codec};
use cuatro_tests::process::{have, run_with_stdin, workspace_root, Spawned};
use cuatro_tests::referee::Referee;
use cuatro_tests::scripts::{
    check_lecture_output, lecture_clients_play_each_other, lecture_script,
};
use cuatro_tests::{in_process_sim, Target};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const RUN_LIMIT: Duration = Duration::from_secs(60);

fn python_ok() -> bool {
    if have("python3") {
        return true;
    }
    if std::env::var_os("CUATRO_REQUIRE_PYTHON").is_some() {
        panic!("python3 is required (CUATRO_REQUIRE_PYTHON is set) but not found");
    }
    eprintln!("SKIPPED: python3 not found");
    false
}

fn script(name: &str) -> PathBuf {
    workspace_root().join("tests/python").join(name)
}

fn python(name: &str, addr: SocketAddr) -> Command {
    let mut c = Command::new("python3");
    c.arg(script(name))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1");
    c
}

#[test]
fn lecture_client_plays_against_cuatro_sim_binary() {
    if !python_ok() {
        return;
    }
    let sim = Spawned::sim(&["--seed", "9"]);
    let cmds = lecture_script();
    let out = run_with_stdin(python("cliente.py", sim.target.classic), &cmds, RUN_LIMIT);
    check_lecture_output(&out, "lecture client");
}

#[test]
fn lecture_client_plays_against_cuatro_serve() {
    if !python_ok() {
        return;
    }
    let server = Spawned::serve(&[]);
    let cmds = lecture_script();
    let out = run_with_stdin(
        python("cliente.py", server.target.classic),
        &cmds,
        RUN_LIMIT,
    );
    check_lecture_output(&out, "lecture client");
}

#[test]
fn lecture_client_sessions_in_parallel() {
    if !python_ok() {
        return;
    }
    let (_sim, t) = in_process_sim(33, None);
    let threads: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                let cmds = lecture_script();
                let out = run_with_stdin(python("cliente.py", t.classic), &cmds, RUN_LIMIT);
                check_lecture_output(&out, "lecture client");
            })
        })
        .collect();
    for th in threads {
        if let Err(p) = th.join() {
            std::panic::resume_unwind(p);
        }
    }
}

#[test]
fn lecture_client_gets_the_fourth_session() {
    // Three sessions already playing on the classic port; the lecture's
    // client (the SPEC's "at least 4 simultaneous sessions") must get the
    // fourth and play as usual.
    if !python_ok() {
        return;
    }
    let (_sim, t) = in_process_sim(35, None);
    let mut others: Vec<_> = (0..3)
        .map(|i| cuatro_tests::Refereed::connect(t.classic, Codec::Classic, &format!("other {i}")))
        .collect();
    for o in &mut others {
        o.act(Action::NewGame);
    }
    let cmds = lecture_script();
    let out = run_with_stdin(python("cliente.py", t.classic), &cmds, RUN_LIMIT);
    check_lecture_output(&out, "lecture client");
    let mut rng = cuatro_tests::Rng::new(5);
    for o in &mut others {
        o.step(&mut rng);
    }
}

/// The actions variantes.py sends, in order (see its PLAN).
const PLAN: [Action; 10] = [
    Action::NewGame,
    Action::Move(3),
    Action::Move(3),
    Action::Move(2),
    Action::Move(4),
    Action::Move(1),
    Action::Move(5),
    Action::Move(6),
    Action::Move(0),
    Action::Quit,
];

fn check_variants(t: Target) {
    let out = run_with_stdin(python("variantes.py", t.classic), "", RUN_LIMIT);
    assert!(
        out.success(),
        "variantes.py: {:?}\n{}\n{}",
        out.status,
        out.stderr,
        out.stdout
    );
    let replies: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("< "))
        .collect();
    assert_eq!(replies.len(), PLAN.len() + 1, "replies:\n{}", out.stdout);
    let mut referee = Referee::new(Codec::Classic);
    let decode = |s: &str| {
        host::client::decode(Codec::Classic, s.as_bytes())
            .unwrap_or_else(|e| panic!("undecodable reply {s}: {e}"))
    };
    referee.greeting(&decode(replies[0])).expect("greeting");
    let sent: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("> "))
        .collect();
    for (i, (action, reply)) in PLAN.iter().zip(&replies[1..]).enumerate() {
        let r = decode(reply);
        if let Err(e) = referee.after(action, &r) {
            panic!(
                "variant {i} ({}) → {action:?}: {e}\nreply: {reply}",
                sent[i]
            );
        }
    }
}

#[test]
fn json_dumps_variants_against_in_process_sim() {
    if !python_ok() {
        return;
    }
    let (_sim, t) = in_process_sim(34, None);
    check_variants(t);
}

#[test]
fn json_dumps_variants_against_cuatro_sim_binary() {
    if !python_ok() {
        return;
    }
    let sim = Spawned::sim(&[]);
    check_variants(sim.target);
}

/// Two unmodified lecture clients play each other on the simulator's
/// player-vs-player port (`scripts::lecture_clients_play_each_other`).
#[test]
fn two_lecture_clients_play_each_other_on_cuatro_sim() {
    if !python_ok() {
        return;
    }
    let sim = Spawned::sim(&["--seed", "11"]);
    let (addr, _) = sim.target.pvp.expect("cuatro-sim has the PvP ports");
    lecture_clients_play_each_other(addr, RUN_LIMIT);
}
