//! Spawning the project's binaries and other programs, with bounded time.

use crate::Target;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a binary may take to print its `ready` line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The cargo target directory (`CARGO_TARGET_DIR`, else `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// Path of one of the workspace's binaries (`cuatro`, `cuatro-sim`), built
/// once per test process with the same profile as the tests.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let release = !cfg!(debug_assertions);
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace_root())
            .args(["build", "--quiet", "-p", "sim", "-p", "host", "--bins"]);
        if release {
            cmd.arg("--release");
        }
        match cmd.status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("cargo build of the binaries failed: {s}")),
            Err(e) => Err(format!("cannot run cargo: {e}")),
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let path = target_dir()
        .join(if release { "release" } else { "debug" })
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "binary {} not found", path.display());
    path
}

/// Parses `ready classic=HOST:PORT compact=HOST:PORT ...`.
pub fn parse_ready(line: &str) -> Option<Target> {
    let mut words = line.split_whitespace();
    if words.next()? != "ready" {
        return None;
    }
    let mut classic = None;
    let mut compact = None;
    let mut pvp = None;
    let mut pvp_compact = None;
    for w in words {
        if let Some(a) = w.strip_prefix("classic=") {
            classic = a.parse::<SocketAddr>().ok();
        } else if let Some(a) = w.strip_prefix("compact=") {
            compact = a.parse::<SocketAddr>().ok();
        } else if let Some(a) = w.strip_prefix("pvp=") {
            pvp = a.parse::<SocketAddr>().ok();
        } else if let Some(a) = w.strip_prefix("pvp_compact=") {
            pvp_compact = a.parse::<SocketAddr>().ok();
        }
    }
    Some(Target {
        classic: classic?,
        compact: compact?,
        pvp: pvp.zip(pvp_compact),
    })
}

/// Every line a spawned process printed on stdout (before and after its
/// `ready` line), shared with the thread that reads them.
#[derive(Debug, Clone, Default)]
pub struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    fn push(&self, line: String) {
        let (lines, cond) = &*self.0;
        lines.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        cond.notify_all();
    }

    /// A copy of the lines so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.0 .0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many lines so far.
    pub fn len(&self) -> usize {
        self.0 .0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing was printed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits at most `timeout` for a line, at index `from` or later, that
    /// satisfies `pred`; returns its index and text.
    pub fn wait_for_line_from(
        &self,
        from: usize,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Option<(usize, String)> {
        let deadline = Instant::now() + timeout;
        let (lines, cond) = &*self.0;
        let mut guard = lines.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = from;
        loop {
            while next < guard.len() {
                if pred(&guard[next]) {
                    return Some((next, guard[next].clone()));
                }
                next += 1;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            guard = cond
                .wait_timeout(guard, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits at most `timeout` for any line (already printed or to come)
    /// that satisfies `pred`.
    pub fn wait_for_line(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        self.wait_for_line_from(0, pred, timeout).map(|(_, l)| l)
    }
}

/// A spawned server process; killed (and reaped) on drop.
pub struct Spawned {
    child: Option<Child>,
    /// Its addresses, from the `ready` line.
    pub target: Target,
    /// The `ready` line as printed.
    pub ready_line: String,
    /// Everything it printed on stdout, kept as it runs (its log).
    pub lines: Lines,
}

impl Spawned {
    /// Spawns `cmd` (stdout piped) and waits, at most [`READY_TIMEOUT`], for
    /// its `ready` line.
    pub fn start(cmd: Command) -> Spawned {
        Spawned::start_with(cmd, READY_TIMEOUT, parse_ready)
    }

    /// Spawns `cmd` (stdout piped, every line kept in [`Spawned::lines`])
    /// and waits, at most `ready_timeout`, for a line starting with
    /// `ready`, from which `parse` takes the addresses. Fails at once if
    /// the process exits first.
    pub fn start_with(
        mut cmd: Command,
        ready_timeout: Duration,
        parse: impl Fn(&str) -> Option<Target>,
    ) -> Spawned {
        let what = format!("{cmd:?}");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {what}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Lines::default();
        let sink = lines.clone();
        // Reads until EOF, so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.push(line.trim_end_matches('\r').to_owned());
            }
        });
        let deadline = Instant::now() + ready_timeout;
        loop {
            let step = Duration::from_millis(200);
            if let Some((_, line)) = lines.wait_for_line_from(0, |l| l.starts_with("ready"), step) {
                let target = parse(&line)
                    .unwrap_or_else(|| panic!("{what}: unparsable ready line {line:?}"));
                return Spawned {
                    child: Some(child),
                    target,
                    ready_line: line,
                    lines,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Give the reader a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "{what}: exited ({status}) before its ready line; stdout: {:?}",
                    lines.snapshot()
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "{what}: no ready line within {ready_timeout:?} (status {status:?}); stdout so far: {:?}",
                    lines.snapshot()
                );
            }
        }
    }

    /// `cuatro-sim --port-base 0` plus `args`.
    pub fn sim(args: &[&str]) -> Spawned {
        let mut cmd = Command::new(bin("cuatro-sim"));
        cmd.args(["--port-base", "0"]).args(args);
        Spawned::start(cmd)
    }

    /// `cuatro serve --port-base 0` plus `args`.
    pub fn serve(args: &[&str]) -> Spawned {
        let mut cmd = Command::new(bin("cuatro"));
        cmd.args(["serve", "--port-base", "0"]).args(args);
        Spawned::start(cmd)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Sends SIGINT (Ctrl-C) and waits at most `timeout` for the exit.
    /// Returns the exit status, or `None` if it did not exit in time.
    pub fn interrupt(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGINT, timeout)
    }

    /// Sends SIGTERM and waits at most `timeout` for the exit.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM, timeout)
    }

    /// Whether it has exited by itself (its status then), without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    fn signal(&mut self, sig: libc::c_int, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        if let Ok(Some(status)) = child.try_wait() {
            self.child = None;
            return Some(status);
        }
        // SAFETY: kill(2) on our own child's pid, which we have not reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, sig);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What a bounded run produced.
#[derive(Debug)]
pub struct Output {
    /// Exit status (`None`: killed after the timeout).
    pub status: Option<ExitStatus>,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Output {
    /// Whether it exited by itself with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Runs `cmd` with `stdin` fed from a string, killing it after `timeout`.
pub fn run_with_stdin(mut cmd: Command, stdin: &str, timeout: Duration) -> Output {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {what}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    let data = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        // The program may exit before reading everything: ignore EPIPE.
        let _ = input.write_all(data.as_bytes());
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut status = None;
    while start.elapsed() < timeout {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if status.is_none() {
        let _ = child.kill();
    }
    // Reaps it (already exited, or just killed; `status` stays `None` then).
    let _ = child.wait();
    let elapsed = start.elapsed();
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    Output {
        status,
        stdout,
        stderr,
        elapsed,
    }
}

/// Whether `program` can be run (e.g. `python3`).
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
