//! A network namespace with a TAP in it, for tests that put a board (QEMU
//! on `-nic tap`) on a link of its own: created with `ip`, deleted with
//! everything still running in it when dropped. Every address a test uses
//! is inside the namespace it created.

use crate::process::Output;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `CUATRO_REQUIRE_TAP=1`: tests needing a TAP must run (fail, not skip).
pub fn tap_required() -> bool {
    std::env::var("CUATRO_REQUIRE_TAP").is_ok_and(|v| v == "1")
}

/// Why a namespace with a TAP cannot be made here, if it cannot.
pub fn tap_unavailable() -> Option<String> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false);
    if !root {
        return Some("not root".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun".into());
    }
    let ip = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !ip.is_ok_and(|s| s.success()) {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// Runs `ip ARGS`, bounded; its error output if it fails.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = crate::process::run_with_stdin(
        {
            let mut c = Command::new("ip");
            c.args(args);
            c
        },
        "",
        Duration::from_secs(10),
    );
    if out.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), out.stderr.trim()))
    }
}

/// A namespace named `cuatro-<label>-<pid>` holding `tap0` at `host_cidr`,
/// up; deleted (and what runs in it killed) on drop.
pub struct Netns {
    /// Its name.
    pub name: String,
}

/// The TAP inside every test namespace.
pub const TAP: &str = "tap0";

impl Netns {
    /// Creates it.
    pub fn create(label: &str, host_cidr: &str) -> Result<Netns, String> {
        let name = format!("cuatro-{label}-{}", std::process::id());
        // A leftover of a crashed run with our pid is ours to remove.
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name])?;
        let ns = Netns { name };
        let n = ns.name.as_str();
        ip(&["-n", n, "link", "set", "lo", "up"])?;
        ip(&["-n", n, "tuntap", "add", "dev", TAP, "mode", "tap"])?;
        ip(&["-n", n, "addr", "add", host_cidr, "dev", TAP])?;
        ip(&["-n", n, "link", "set", TAP, "up"])?;
        Ok(ns)
    }

    /// `ip netns exec NAME program` (`ip` execs the program in the
    /// namespace: the child's pid is the program's).
    pub fn exec(&self, program: impl AsRef<Path>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program.as_ref());
        c
    }

    /// Runs `program args` in the namespace with `stdin`, bounded.
    pub fn run(
        &self,
        program: impl AsRef<Path>,
        args: &[&str],
        stdin: &str,
        limit: Duration,
    ) -> Output {
        let mut c = self.exec(program);
        c.args(args);
        crate::process::run_with_stdin(c, stdin, limit)
    }

    /// Pids of the processes in the namespace (`ip netns pids`).
    pub fn pids(&self) -> Vec<i32> {
        let out = crate::process::run_with_stdin(
            {
                let mut c = Command::new("ip");
                c.args(["netns", "pids", &self.name]);
                c
            },
            "",
            Duration::from_secs(10),
        );
        out.stdout
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Whatever a failing test left running in it, then the namespace.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pids = self.pids();
            if pids.is_empty() || Instant::now() >= deadline {
                break;
            }
            for pid in pids {
                // SAFETY: kill(2) on a process inside the namespace this
                // test created.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = ip(&["netns", "del", &self.name]);
    }
}
