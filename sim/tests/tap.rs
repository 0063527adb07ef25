//! TAP mode end to end, inside a network namespace this test creates (and
//! deletes): `cuatro-sim --tap tap0` attached to a TAP in the namespace,
//! played at 192.168.69.1 by the namespace's kernel TCP — a Rust client
//! that referees every reply (this test binary, re-run inside the
//! namespace) and the lecture's Python client.
//!
//! Needs root, `ip` and /dev/net/tun; otherwise it prints why and skips,
//! unless `CUATRO_REQUIRE_TAP=1`, when it fails instead. Touches nothing
//! outside its own namespace.

mod common;

use common::net::{ip, is_root, run_bounded, tap_required, wait_bounded};

use cuatro_proto::Codec;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BOARD: &str = "192.168.69.1";
const HOST_SIDE: &str = "192.168.69.100/24";
/// Set (to `ADDR CODEC SEED`) when this binary runs as the in-namespace client.
const HELPER_ENV: &str = "CUATRO_TAP_HELPER";

/// Skips (or, when required, fails) with a reason.
fn skip(reason: &str) {
    if tap_required() {
        panic!("CUATRO_REQUIRE_TAP=1 but the TAP test cannot run: {reason}");
    }
    println!("skipping the TAP test: {reason}");
}

/// A network namespace with a TAP, deleted (with our processes in it) on drop.
struct Netns {
    name: String,
    children: Vec<Child>,
}

impl Netns {
    fn create() -> Result<Netns, String> {
        let name = format!("cuatro-test-{}", std::process::id());
        // A leftover from a crashed run with our pid: ours to remove.
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name])?;
        let ns = Netns {
            name,
            children: Vec::new(),
        };
        let n = ns.name.as_str();
        ip(&["-n", n, "link", "set", "lo", "up"])?;
        ip(&["-n", n, "tuntap", "add", "dev", "tap0", "mode", "tap"])?;
        ip(&["-n", n, "addr", "add", HOST_SIDE, "dev", "tap0"])?;
        ip(&["-n", n, "link", "set", "tap0", "up"])?;
        Ok(ns)
    }

    /// `ip netns exec NAME program args...`
    fn exec(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// The in-namespace client: plays when `HELPER_ENV` is set, else does nothing.
#[test]
fn tap_kernel_client_helper() {
    let Ok(spec) = std::env::var(HELPER_ENV) else {
        return;
    };
    let mut words = spec.split_whitespace();
    let addr: SocketAddr = words.next().and_then(|a| a.parse().ok()).expect("address");
    let codec = match words.next() {
        Some("compact") => Codec::Compact,
        _ => Codec::Classic,
    };
    let seed = words.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    match common::play(addr, codec, 2, false, seed) {
        Ok(n) => println!("HELPER OK {n} replies"),
        Err(e) => panic!("HELPER FAILED: {e}"),
    }
}

#[test]
fn tap_end_to_end_in_a_namespace() {
    if !is_root() {
        return skip("not root");
    }
    if !Path::new("/dev/net/tun").exists() {
        return skip("no /dev/net/tun");
    }
    if run_bounded(Command::new("ip").arg("-V"), Duration::from_secs(5)).is_err() {
        return skip("no `ip` command (iproute2)");
    }
    let mut ns = match Netns::create() {
        Ok(ns) => ns,
        Err(e) => return skip(&format!("cannot set up a namespace with a TAP: {e}")),
    };
    let sim = PathBuf::from(env!("CARGO_BIN_EXE_cuatro-sim"));
    let dir = std::env::temp_dir().join(format!("cuatro-tap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("tap.pcap");

    // Clear errors, no panics: a missing interface, no permission.
    let out = run_bounded(
        ns.exec(&sim).args(["--tap", "nosuch0"]),
        Duration::from_secs(30),
    )
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no network interface \"nosuch0\""), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    if run_bounded(
        Command::new("setpriv").arg("--version"),
        Duration::from_secs(5),
    )
    .is_ok()
    {
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &ns.name,
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
        ])
        .arg("--clear-groups")
        .arg(&sim)
        .args(["--tap", "tap0"]);
        let out = run_bounded(&mut c, Duration::from_secs(30)).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("permission denied") || err.contains("not permitted"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }

    // Discovery first, on a clean link: python-zeroconf, a third-party
    // resolver, finds the board by service type and by host name.
    mdns_found_by_zeroconf(&ns, &sim);

    // The board on tap0, its link mildly impaired, captured.
    let mut child = ns
        .exec(&sim)
        .args(["--tap", "tap0", "--seed", "5", "--delay", "2"])
        .args([
            "--loss",
            "3",
            "--duplicate",
            "1",
            "--reorder",
            "2",
            "--corrupt",
            "1",
        ])
        .arg("--pcap")
        .arg(&capture)
        .arg("--upload-dir")
        .arg(dir.join("up"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let rx = stdout_lines(&mut child);
    ns.children.push(child);
    let ready = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no ready line in 30 s");
    assert_eq!(
        ready,
        "ready tap=tap0 ip=192.168.69.1 classic=192.168.69.1:8080 \
         compact=192.168.69.1:8081 upload=192.168.69.1:8082 \
         pvp=192.168.69.1:8083 pvp_compact=192.168.69.1:8084"
    );

    // The namespace's kernel TCP, both codecs at once, refereed.
    let exe = std::env::current_exe().unwrap();
    let helpers: Vec<Child> = [("8080", "classic", 1), ("8081", "compact", 2)]
        .iter()
        .map(|(port, codec, seed)| {
            ns.exec(&exe)
                .args(["--exact", "tap_kernel_client_helper", "--nocapture"])
                .env(HELPER_ENV, format!("{BOARD}:{port} {codec} {seed}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut h in helpers {
        let out = wait_bounded(&mut h, Duration::from_secs(120)).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("HELPER OK"),
            "kernel client failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{}",
            text.lines().find(|l| l.contains("HELPER OK")).unwrap_or("")
        );
    }

    // The lecture's Python client, unmodified.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/cliente.py");
    if script.exists()
        && run_bounded(Command::new("python3").arg("-V"), Duration::from_secs(5)).is_ok()
    {
        let mut py = ns
            .exec(Path::new("python3"))
            .arg(&script)
            .args([BOARD, "8080"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(mut stdin) = py.stdin.take() {
            let _ = stdin.write_all(b"\\juego_nuevo\n\\jugada 3\nhola\n\\jugada 3\n\\salir\n");
        }
        let out = wait_bounded(&mut py, Duration::from_secs(60)).unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "cliente.py failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Input invalido."), "{text}");
        // Two pieces of ours in column 3, one on the other.
        assert!(text.matches("|X|").count() >= 2, "{text}");
        println!("cliente.py played {} lines", text.lines().count());
    } else if tap_required() {
        panic!("tests/python/cliente.py or python3 missing");
    } else {
        println!("tests/python/cliente.py or python3 missing: lecture client not run");
    }

    // The capture: Ethernet frames from the board's stable MAC.
    drop(ns);
    let bytes = std::fs::read(&capture).unwrap();
    let records = sim::pcap::parse(&bytes).unwrap_or_else(|e| panic!("bad pcap: {e}"));
    let from_board = records
        .iter()
        .filter(|r| r.data.get(6..12) == Some(&sim::tap::TAP_MAC.0[..]))
        .count();
    println!(
        "capture: {} frames, {from_board} from the board",
        records.len()
    );
    assert!(from_board > 20);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `cuatro-sim --tap tap0` in `ns` (no impairment), waits for its
/// ready line, and runs `tests/python/mdns_find.py` in the namespace: the
/// board must be found as `_cuatro._tcp.local.` (SRV port 8080, TXT with the
/// five ports, address 192.168.69.1) and as `cuatro.local.`. Skips (or, when
/// required, fails) without python-zeroconf.
fn mdns_found_by_zeroconf(ns: &Netns, sim: &Path) {
    let have = run_bounded(
        Command::new("python3").args(["-c", "import zeroconf"]),
        Duration::from_secs(30),
    )
    .map(|o| o.status.success())
    .unwrap_or(false);
    if !have {
        if tap_required() {
            panic!(
                "CUATRO_REQUIRE_TAP=1 but python3 has no zeroconf module (pip install zeroconf)"
            );
        }
        println!("skipping the mDNS check: no python3 zeroconf module");
        return;
    }
    let mut child = ns
        .exec(sim)
        .args(["--tap", "tap0", "--seed", "4"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let rx = stdout_lines(&mut child);
    let ready = rx.recv_timeout(Duration::from_secs(30));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/mdns_find.py");
    let out = ready.as_ref().ok().map(|_| {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &ns.name, "python3"])
            .arg(&script)
            .arg(HOST_SIDE.split('/').next().unwrap_or(HOST_SIDE));
        run_bounded(&mut c, Duration::from_secs(60))
    });
    // The host's own side: `cuatro discover` lists it, and `cuatro play`
    // reaches it by name.
    let cuatro = cuatro_binary();
    let listed = ready.is_ok().then(|| {
        let mut c = ns.exec(&cuatro);
        c.args(["discover", "--wait", "3"]);
        run_bounded(&mut c, Duration::from_secs(60))
    });
    let played = ready.is_ok().then(|| {
        let mut c = ns.exec(&cuatro);
        c.args(["play", "--classic", "--addr", "cuatro.local:8080"])
            .stdin(Stdio::piped());
        play_with_stdin(c, "\\juego_nuevo\n\\jugada 3\n\\salir\n")
    });
    let _ = child.kill();
    let _ = child.wait();
    let listed = listed.expect("ready").expect("cuatro discover ran");
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "cuatro discover failed: {text} {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert_eq!(
        text.trim(),
        "cuatro  cuatro.local  192.168.69.1  classic=8080 compact=8081 upload=8082 pvp=8083 pvp_compact=8084"
    );
    let played = played.expect("ready");
    assert!(
        played.contains("Jugaste en la columna 3"),
        "cuatro play --addr cuatro.local:8080: {played}"
    );
    println!("cuatro discover: {}", text.trim());
    let out = out
        .expect("no ready line in 30 s")
        .expect("mdns_find.py ran");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mdns_find.py failed:\n{text}\n{err}");
    assert!(
        text.contains("service cuatro._cuatro._tcp.local. server cuatro.local. port 8080 addresses 192.168.69.1"),
        "{text}"
    );
    assert!(
        text.contains("txt classic=8080 compact=8081 pvp=8083 pvp_compact=8084 upload=8082"),
        "{text}"
    );
    assert!(
        text.contains("host cuatro.local. addresses 192.168.69.1"),
        "{text}"
    );
    println!("mDNS: {}", text.trim());
}

/// The host's `cuatro` binary, built with this test's profile.
fn cuatro_binary() -> PathBuf {
    let release = !cfg!(debug_assertions);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut c = Command::new(cargo);
    c.current_dir(&root)
        .args(["build", "--quiet", "-p", "host", "--bin", "cuatro"]);
    if release {
        c.arg("--release");
    }
    let out = run_bounded(&mut c, Duration::from_secs(600)).expect("cargo build -p host");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target
        .join(if release { "release" } else { "debug" })
        .join("cuatro")
}

/// Runs `c` (stdin piped) with `input`, bounded; its stdout.
fn play_with_stdin(mut c: Command, input: &str) -> String {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cuatro play");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take();
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut o) = out {
            let _ = std::io::Read::read_to_string(&mut o, &mut s);
        }
        let _ = tx.send(s);
    });
    let text = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    text
}

/// The lines `child` prints on its piped stdout, as they come.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// Two boards powered on together on one link: two `cuatro-sim --tap` in a
/// namespace, their TAPs bridged, started within milliseconds of each
/// other with the same default name. Their probes overlap; one keeps
/// `cuatro` and the other renames itself `cuatro-2` (the later prober
/// hears the first one's announcement while still probing, or, when the
/// probes coincide, RFC 6762 §8.2's tiebreak makes the earlier address
/// defer: the unit test `simultaneous_probes_the_earlier_data_defers_a_second`
/// pins that case, which process start-up here cannot force). python-zeroconf
/// then finds both instances, one at each address, and each host name
/// resolves to its own board.
#[test]
fn two_boards_started_together_take_two_names() {
    let test = "two_boards_started_together_take_two_names";
    if !is_root() {
        return skip_named(test, "not root");
    }
    if !Path::new("/dev/net/tun").exists() {
        return skip_named(test, "no /dev/net/tun");
    }
    let have = run_bounded(
        Command::new("python3").args(["-c", "import zeroconf"]),
        Duration::from_secs(30),
    )
    .map(|o| o.status.success())
    .unwrap_or(false);
    if !have {
        return skip_named(test, "python3 has no zeroconf module");
    }
    let name = format!("cuatro-pair-{}", std::process::id());
    let _ = ip(&["netns", "del", &name]);
    ip(&["netns", "add", &name]).unwrap();
    let mut ns = Netns {
        name: name.clone(),
        children: Vec::new(),
    };
    let n = name.as_str();
    ip(&["-n", n, "link", "set", "lo", "up"]).unwrap();
    ip(&["-n", n, "link", "add", "br0", "type", "bridge"]).unwrap();
    ip(&["-n", n, "addr", "add", HOST_SIDE, "dev", "br0"]).unwrap();
    for tap in ["tap0", "tap1"] {
        ip(&["-n", n, "tuntap", "add", "dev", tap, "mode", "tap"]).unwrap();
        ip(&["-n", n, "link", "set", tap, "master", "br0"]).unwrap();
        ip(&["-n", n, "link", "set", tap, "up"]).unwrap();
    }
    ip(&["-n", n, "link", "set", "br0", "up"]).unwrap();

    let sim = PathBuf::from(env!("CARGO_BIN_EXE_cuatro-sim"));
    let boards = [
        ("tap0", "192.168.69.1/24", "02:00:00:00:00:01"),
        ("tap1", "192.168.69.2/24", "02:00:00:00:00:02"),
    ];
    // Spawned back to back: their probes (3 × 250 ms) overlap.
    let mut ready = Vec::new();
    for (tap, addr, mac) in boards {
        let mut child = ns
            .exec(&sim)
            .args(["--tap", tap, "--ip", addr, "--mac", mac])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        ready.push(stdout_lines(&mut child));
        ns.children.push(child);
    }
    for rx in &ready {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("no ready line in 30 s");
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/mdns_find.py");
    let find = |host: &str| {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", n, "python3"])
            .arg(&script)
            .args(["192.168.69.100", host]);
        let out = run_bounded(&mut c, Duration::from_secs(60)).expect("mdns_find.py ran");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "mdns_find.py {host}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let first = find("cuatro.local.");
    let second = find("cuatro-2.local.");
    println!("{}\n{}", first.trim(), second.trim());
    let address_of = |text: &str, host: &str| -> String {
        let prefix = format!("host {host} addresses ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{host} not resolved: {text}"))
            .to_owned()
    };
    let a = address_of(&first, "cuatro.local.");
    let b = address_of(&second, "cuatro-2.local.");
    let mut both = [a.as_str(), b.as_str()];
    both.sort_unstable();
    assert_eq!(
        both,
        ["192.168.69.1", "192.168.69.2"],
        "one name per board: cuatro.local at {a}, cuatro-2.local at {b}"
    );
    for (instance, host, addr) in [
        ("cuatro", "cuatro.local.", &a),
        ("cuatro-2", "cuatro-2.local.", &b),
    ] {
        let line = format!(
            "service {instance}._cuatro._tcp.local. server {host} port 8080 addresses {addr} "
        );
        assert!(first.contains(&line), "{line:?} not in {first}");
    }
    drop(ns);
}

/// Skips `test` (or, when required, fails) with a reason.
fn skip_named(test: &str, reason: &str) {
    if tap_required() {
        panic!("CUATRO_REQUIRE_TAP=1 but {test} cannot run: {reason}");
    }
    println!("skipping {test}: {reason}");
}
