//! The QEMU board as a test fixture: what it needs, a free port base, boot
//! through `firmware/mps2-an385/run-qemu`, and a shut-down that checks no
//! QEMU is left behind. Shared by `tests/board_qemu.rs` and
//! `tests/board_availability.rs`.

use crate::process::{workspace_root, Spawned};
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

/// What is missing to build and boot the board.
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

/// A port base N in 20000..=29997 with N, N+1, N+2 free on 127.0.0.1
/// (probed by binding them, then released), starting from one the pid and
/// `offset` pick (tests booting boards at once pass different offsets, so
/// they rarely probe the same ports).
pub fn free_port_base(offset: u32) -> u16 {
    let first = 20_000 + ((std::process::id() + offset) % 3_000) as u16 * 3;
    for i in 0..3_000u16 {
        let base = 20_000 + (first - 20_000 + i * 3) % 9_996;
        let held: Vec<_> = (0..3)
            .map_while(|k| TcpListener::bind((Ipv4Addr::LOCALHOST, base + k)).ok())
            .collect();
        if held.len() == 3 {
            return base;
        }
    }
    panic!("no three consecutive free ports in 20000..30000 on 127.0.0.1");
}

/// A board booted in QEMU by run-qemu.
pub struct Board {
    /// run-qemu, with its ready line parsed into the game ports.
    pub qemu: Spawned,
    /// The port base (classic, compact, upload).
    pub base: u16,
    /// The board's UART log.
    pub log: PathBuf,
}

impl Board {
    /// Boots the board on a free port base (see [`free_port_base`]), its
    /// log in a temporary file named after `name`.
    pub fn boot(name: &str, port_offset: u32) -> Board {
        let base = free_port_base(port_offset);
        let log = std::env::temp_dir().join(format!("cuatro-{name}-{}.log", std::process::id()));
        let mut cmd = Command::new(workspace_root().join("firmware/mps2-an385/run-qemu"));
        cmd.args(["--port-base", &base.to_string(), "--ready-timeout", "120"])
            .arg("--log")
            .arg(&log);
        let start = Instant::now();
        // run-qemu's ready line is prose (`ready: cuatro on QEMU ... at
        // 127.0.0.1:N (classic JSON), ...`): the addresses follow from N.
        let target = Target {
            classic: SocketAddr::from((Ipv4Addr::LOCALHOST, base)),
            compact: SocketAddr::from((Ipv4Addr::LOCALHOST, base + 1)),
        };
        let qemu = Spawned::start_with(cmd, BOARD_READY_TIMEOUT, move |line| {
            line.contains(&format!("127.0.0.1:{base} "))
                .then_some(target)
        });
        println!(
            "board ready in {:.1?} on 127.0.0.1:{base}..{} ({})",
            start.elapsed(),
            base + 2,
            qemu.ready_line
        );
        Board { qemu, base, log }
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
