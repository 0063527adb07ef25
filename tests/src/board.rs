//! The QEMU boards as test fixtures: which boards there are ([`BoardSpec`]),
//! what booting one needs, a free port base, boot through the board's
//! `firmware/<board>/run-qemu`, and a shut-down that checks no QEMU is left
//! behind. Shared by `tests/board_qemu.rs` and `tests/board_availability.rs`.
//!
//! What the tests rely on from a board (the run-qemu contract, the same for
//! every board): `run-qemu --port-base N --ready-timeout S --log FILE`
//! forwards 127.0.0.1:N to N+4 to classic, compact, upload and the two
//! player-vs-player ports, prints a
//! line beginning `ready` naming `127.0.0.1:N ` once the game ports answer,
//! and relays the board's UART log to stdout, in which the board logs
//! `listening on ... (upload, <capacity> bytes) ...` at boot,
//! `upload n=<k> bytes=<len> crc32=<hex8>` per stored upload and
//! `stack high-water=<bytes>`.

use crate::process::{workspace_root, Lines, Spawned};
use crate::scenarios::registry::Offers;
use crate::Target;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The first build of the board image can take a minute or more (2 cores,
/// other builds running): the whole start, build included, is bounded by this.
pub const BOARD_READY_TIMEOUT: Duration = Duration::from_secs(900);

/// Whether `program` is an executable on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let p = d.join(program);
            p.is_file()
                && std::fs::metadata(&p)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
                    .unwrap_or(false)
        })
    })
}

/// A QEMU board the tests boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSpec {
    /// Its crate's directory under `firmware/` (QEMU's machine name).
    pub name: &'static str,
    /// Its game sessions (the board's `ServerMemory`; its log does not say).
    pub sessions: usize,
}

/// QEMU `mps2-an385`: Cortex-M3 + SMSC LAN9118, 16 MiB PSRAM for uploads.
pub const MPS2_AN385: BoardSpec = BoardSpec {
    name: "mps2-an385",
    sessions: 4,
};

/// QEMU `lm3s6965evb`: TI Stellaris LM3S6965, Cortex-M3 + its Ethernet MAC,
/// 64 KiB SRAM, uploads streamed into a length + CRC-32 sink.
pub const LM3S6965EVB: BoardSpec = BoardSpec {
    name: "lm3s6965evb",
    sessions: 4,
};

/// The board's idle timeout (the core's default; no board changes it).
pub const BOARD_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl BoardSpec {
    /// Its `run-qemu`.
    pub fn run_qemu(&self) -> PathBuf {
        workspace_root()
            .join("firmware")
            .join(self.name)
            .join("run-qemu")
    }

    /// Whether `test` can boot this board here. Prints why not and returns
    /// `false` (a skip) when something is missing, unless
    /// `CUATRO_REQUIRE_QEMU=1`: then a missing prerequisite fails. A board
    /// whose `run-qemu` is not in the tree yet is always a skip.
    pub fn can_boot(&self, test: &str) -> bool {
        let run_qemu = self.run_qemu();
        if !run_qemu.is_file() {
            println!(
                "SKIPPED {test}: {} does not exist (yet); nothing to boot",
                run_qemu.display()
            );
            return false;
        }
        let missing = missing_prerequisites();
        if missing.is_empty() {
            return true;
        }
        let what = missing.join(", ");
        if std::env::var("CUATRO_REQUIRE_QEMU").as_deref() == Ok("1") {
            panic!("CUATRO_REQUIRE_QEMU=1 but {test} cannot run; missing: {what}");
        }
        println!(
            "SKIPPED {test}: missing {what} (set CUATRO_REQUIRE_QEMU=1 to make this a failure)"
        );
        false
    }
}

/// What is missing to build and boot a board.
pub fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    for program in ["qemu-system-arm", "arm-none-eabi-ld", "python3"] {
        if !on_path(program) {
            missing.push(format!("{program} (not on PATH)"));
        }
    }
    for file in ["/usr/bin/rustc", "/usr/bin/cargo"] {
        if !Path::new(file).is_file() {
            missing.push(file.to_owned());
        }
    }
    let core = "/usr/lib/rustlib/src/rust/library/core";
    if !Path::new(core).is_dir() {
        missing.push(format!("{core} (rust-web-src)"));
    }
    missing
}

/// Ports run-qemu forwards from a base N: N to N + 4 (classic, compact,
/// upload, player vs player classic and compact).
pub const BOARD_PORTS: u16 = 5;

/// A port base N in 20000..=29995 with N to N + 4 free on 127.0.0.1
/// (probed by binding them, then released), starting from one the pid and
/// `offset` pick (tests booting boards at once pass different offsets, so
/// they rarely probe the same ports).
pub fn free_port_base(offset: u32) -> u16 {
    let n = BOARD_PORTS;
    let slots = 10_000 / n;
    let first = ((std::process::id() + offset) % u32::from(slots)) as u16;
    for i in 0..slots {
        let base = 20_000 + ((first + i) % slots) * n;
        let held: Vec<_> = (0..n)
            .map_while(|k| TcpListener::bind((Ipv4Addr::LOCALHOST, base + k)).ok())
            .collect();
        if held.len() == usize::from(n) {
            return base;
        }
    }
    panic!("no {n} consecutive free ports in 20000..30000 on 127.0.0.1");
}

/// A board booted in QEMU by its run-qemu.
pub struct Board {
    /// Which board.
    pub spec: BoardSpec,
    /// run-qemu, with its ready line parsed into the game ports.
    pub qemu: Spawned,
    /// The port base (classic, compact, upload).
    pub base: u16,
    /// The board's UART log.
    pub log: PathBuf,
    /// The upload storage's capacity in bytes, from the board's
    /// `listening on ... (upload, <capacity> bytes)` line.
    pub upload_capacity: u64,
}

/// How long the board's log may take to show a line (run-qemu relays it
/// with `tail -f`).
pub const LOG_WAIT: Duration = Duration::from_secs(15);

impl Board {
    /// Boots `spec` on a free port base (see [`free_port_base`]), its log
    /// in a temporary file named after the board and `label`, and reads its
    /// upload capacity from the boot log.
    pub fn boot(spec: BoardSpec, label: &str, port_offset: u32) -> Board {
        let base = free_port_base(port_offset);
        let log = std::env::temp_dir().join(format!(
            "cuatro-{}-{label}-{}.log",
            spec.name,
            std::process::id()
        ));
        let mut cmd = Command::new(spec.run_qemu());
        cmd.args(["--port-base", &base.to_string(), "--ready-timeout", "120"])
            .arg("--log")
            .arg(&log);
        let start = Instant::now();
        // run-qemu's ready line is prose (`ready: cuatro on QEMU ... at
        // 127.0.0.1:N (classic JSON), ...`): the addresses follow from N.
        let target = Target {
            classic: SocketAddr::from((Ipv4Addr::LOCALHOST, base)),
            compact: SocketAddr::from((Ipv4Addr::LOCALHOST, base + 1)),
            pvp: Some((
                SocketAddr::from((Ipv4Addr::LOCALHOST, base + 3)),
                SocketAddr::from((Ipv4Addr::LOCALHOST, base + 4)),
            )),
        };
        let qemu = Spawned::start_with(cmd, BOARD_READY_TIMEOUT, move |line| {
            line.contains(&format!("127.0.0.1:{base} "))
                .then_some(target)
        });
        println!(
            "{} ready in {:.1?} on 127.0.0.1:{base}..{} ({})",
            spec.name,
            start.elapsed(),
            base + 2,
            qemu.ready_line
        );
        let upload_capacity = upload_capacity(&qemu.lines).unwrap_or_else(|| {
            panic!(
                "{}: no `listening on ... (upload, <capacity> bytes)` line in the boot log within {LOG_WAIT:?}",
                spec.name
            )
        });
        println!("{}: upload capacity {upload_capacity} bytes", spec.name);
        Board {
            spec,
            qemu,
            base,
            log,
            upload_capacity,
        }
    }

    /// What the board gives the scenarios of the registry.
    pub fn offers(&self) -> Offers {
        Offers {
            sessions: self.spec.sessions,
            idle_timeout: BOARD_IDLE_TIMEOUT,
            pvp: true,
        }
    }

    /// The upload port.
    pub fn upload_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.base + 2))
    }

    /// What identifies the processes of this board (QEMU and run-qemu's
    /// log relay) in their command lines: our own log file.
    pub fn needle(&self) -> String {
        self.log.display().to_string()
    }

    /// Kills run-qemu the way a failing test does (the `Spawned` drop:
    /// SIGKILL, no cleanup of its own) and checks that QEMU and the log
    /// relay die with it. Returns what was left (and then killed), if
    /// anything. The log file stays for the caller.
    pub fn shut_down(self) -> Option<String> {
        let needle = self.needle();
        drop(self.qemu);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut left = board_processes(&needle);
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            left = board_processes(&needle);
        }
        if left.is_empty() {
            println!("run-qemu killed; no QEMU (nor log relay) left");
            return None;
        }
        let what = format!("{left:?}");
        for (pid, _) in left {
            // SAFETY: kill(2) on a process run-qemu started for this test
            // (matched by our own log file in its command line).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        Some(format!(
            "still running 10 s after run-qemu was killed (now killed): {what}"
        ))
    }
}

/// Fails with every problem found on the board (keeping its log, named in
/// the message); with none, removes the log.
pub fn assert_no_problems(problems: &[String], board_log: &std::path::Path) {
    if problems.is_empty() {
        let _ = std::fs::remove_file(board_log);
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) on the QEMU board (full log kept at {}):\n{}",
        problems.len(),
        board_log.display(),
        problems.join("\n")
    );
}

/// The capacity in a boot log line `listening on ... (upload, <n> bytes) ...`.
pub fn parse_upload_capacity(line: &str) -> Option<u64> {
    let (_, after) = line.split_once("listening on ")?;
    let (_, after) = after.split_once("(upload, ")?;
    let (n, _) = after.split_once(" bytes")?;
    n.parse().ok()
}

/// Waits for the boot log's `listening on` line and reads the capacity.
fn upload_capacity(lines: &Lines) -> Option<u64> {
    let line = lines.wait_for_line(|l| parse_upload_capacity(l).is_some(), LOG_WAIT)?;
    parse_upload_capacity(&line)
}

/// Live (non-zombie) processes whose command line contains `needle`, with
/// their command lines.
pub fn board_processes(needle: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // A zombie's command line reads empty.
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push((pid, cmdline.trim_end().to_owned()));
        }
    }
    found
}

/// Whether this board's QEMU is still running.
pub fn qemu_running(needle: &str) -> bool {
    board_processes(needle)
        .iter()
        .any(|(_, cmd)| cmd.contains("qemu-system-arm"))
}

/// The text of a caught panic.
pub fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "(non-text panic)".to_owned()
    }
}
