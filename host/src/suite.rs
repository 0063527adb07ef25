//! `cuatro bench-suite`: one command that measures, side by side in one run,
//! `cuatro-sim` (the no_std core on smoltcp, MCU- and host-sized buffers),
//! `cuatro serve` (the same core on the kernel's TCP stack) and, when it is
//! available, the QEMU board — game actions (both codecs; 1, 16 and 64
//! clients) and uploads — and writes a Markdown table with the machine, the
//! absolute numbers and the ratios. The boards capped at 31.25 MIPS also
//! get instructions per action and per uploaded byte, from the `meter:`
//! lines they log (board-kit `src/meter.rs`): busy µs × 31.25.

use crate::bench::{self, BenchConfig, BenchReport};
use cuatro_proto::Codec;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Instructions per microsecond of a board under `run-qemu --icount`
/// (`-icount shift=5`: one instruction per 32 ns of virtual time).
pub const INSTRUCTIONS_PER_US: f64 = 31.25;

/// A board's `meter: replies=N upload_bytes=B busy_us=U` line (the
/// counters wrap at 2^32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterReading {
    /// Game replies queued since boot.
    pub replies: u32,
    /// Bytes the upload service took since boot.
    pub upload_bytes: u32,
    /// Microseconds the CPU spent outside WFI since boot.
    pub busy_us: u32,
}

impl MeterReading {
    /// The reading in a log line, if it is a `meter:` line.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = &line[line.find("meter: ")? + "meter: ".len()..];
        let mut fields = rest.split_whitespace();
        let mut field =
            |key: &str| -> Option<u32> { fields.next()?.strip_prefix(key)?.parse().ok() };
        Some(MeterReading {
            replies: field("replies=")?,
            upload_bytes: field("upload_bytes=")?,
            busy_us: field("busy_us=")?,
        })
    }

    /// Instructions per game reply from `self` to `later` (`None`: no reply).
    pub fn per_action(&self, later: &MeterReading) -> Option<f64> {
        Self::per(
            later.busy_us.wrapping_sub(self.busy_us),
            later.replies.wrapping_sub(self.replies),
        )
    }

    /// Instructions per uploaded byte from `self` to `later`.
    pub fn per_byte(&self, later: &MeterReading) -> Option<f64> {
        Self::per(
            later.busy_us.wrapping_sub(self.busy_us),
            later.upload_bytes.wrapping_sub(self.upload_bytes),
        )
    }

    fn per(busy_us: u32, n: u32) -> Option<f64> {
        (n > 0).then(|| f64::from(busy_us) * INSTRUCTIONS_PER_US / f64::from(n))
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Games in total per game run (split over the clients).
    pub games: usize,
    /// Size of the uploaded file, MiB.
    pub upload_mib: usize,
    /// Uploads per server (the best is reported).
    pub upload_runs: usize,
    /// Include the QEMU board (`None`: when its tools are installed).
    pub qemu: Option<bool>,
    /// Repository root (for each board's `firmware/<board>/run-qemu`).
    pub root: PathBuf,
}

/// A server process, killed on drop.
struct Server {
    name: &'static str,
    child: Child,
    classic: SocketAddr,
    compact: SocketAddr,
    upload: SocketAddr,
    /// The last `meter:` line the server logged (the boards do).
    meter: Arc<Mutex<Option<MeterReading>>>,
    /// The meter when the last measurement ended (the next one's base).
    settled: Mutex<Option<MeterReading>>,
    _dir: Option<TempDir>,
}

impl Server {
    /// The board's meter once its last activity is logged: it logs at most
    /// once a second, within a second of a change.
    fn settled_meter(&self) -> Option<MeterReading> {
        std::thread::sleep(Duration::from_millis(1300));
        let m = *self.meter.lock().unwrap_or_else(|e| e.into_inner());
        *self.settled.lock().unwrap_or_else(|e| e.into_inner()) = m;
        m
    }

    /// The base for the next measurement: where the last one ended, or the
    /// meter once settled.
    fn meter_base(&self) -> Option<MeterReading> {
        let last = *self.settled.lock().unwrap_or_else(|e| e.into_inner());
        last.or_else(|| self.settled_meter())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> io::Result<TempDir> {
    let d = std::env::temp_dir().join(format!("cuatro-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(TempDir(d))
}

/// Starts `cmd` and reads its `ready` line (at most `timeout`): the
/// addresses come from its `classic=`, `compact=` and `upload=` fields, or
/// are `port_base`, +1, +2 on 127.0.0.1 when given (run-qemu's line is
/// prose).
fn start(
    name: &'static str,
    mut cmd: Command,
    timeout: Duration,
    dir: Option<TempDir>,
    port_base: Option<u16>,
) -> io::Result<Server> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    let meter = Arc::new(Mutex::new(None));
    let last_meter = Arc::clone(&meter);
    std::thread::spawn(move || {
        let lines = BufReader::new(stdout).lines();
        // Keeps draining after `ready` (QEMU's log), keeping the last meter.
        for line in lines.map_while(Result::ok) {
            if line.starts_with("ready") {
                let _ = tx.send(line);
            } else if let Some(m) = MeterReading::parse(&line) {
                *last_meter.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
            }
        }
    });
    let line = match rx.recv_timeout(timeout) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "{name}: no ready line within {timeout:?}"
            )));
        }
    };
    let field = |key: &str, offset: u16| -> Option<SocketAddr> {
        match port_base {
            Some(base) => Some(SocketAddr::from(([127, 0, 0, 1], base + offset))),
            None => line
                .split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|a| a.parse().ok()),
        }
    };
    match (
        field("classic=", 0),
        field("compact=", 1),
        field("upload=", 2),
    ) {
        (Some(classic), Some(compact), Some(upload)) => Ok(Server {
            name,
            child,
            classic,
            compact,
            upload,
            meter,
            settled: Mutex::new(None),
            _dir: dir,
        }),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err(io::Error::other(format!(
                "{name}: unparsable ready line {line:?}"
            )))
        }
    }
}

fn sibling(name: &str) -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(io::Error::other(format!(
            "{} not found next to {} (cargo build --release -p sim -p host)",
            name,
            exe.display()
        )))
    }
}

/// Ports run-qemu forwards from its base: N to N + 4 (the game ports,
/// upload, player vs player).
const QEMU_PORTS: u16 = 5;

fn free_port_base() -> Option<u16> {
    let start = 20000 + (std::process::id() % 1800) as u16 * QEMU_PORTS;
    (0..300u16)
        .map(|i| start.wrapping_add(i * QEMU_PORTS))
        .find(|&base| (0..QEMU_PORTS).all(|k| TcpListener::bind(("127.0.0.1", base + k)).is_ok()))
}

fn qemu_available(root: &Path) -> bool {
    let have = |p: &str| {
        std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).any(|d| d.join(p).exists()))
            .unwrap_or(false)
    };
    QEMU_BOARDS
        .iter()
        .all(|(board, ..)| root.join("firmware").join(board).join("run-qemu").exists())
        && have("qemu-system-arm")
        && have("arm-none-eabi-ld")
        && Path::new("/usr/bin/rustc").exists()
        && Path::new("/usr/lib/rustlib/src/rust/library/core").exists()
}

/// One game measurement.
struct GameRow {
    server: &'static str,
    codec: Codec,
    clients: usize,
    report: BenchReport,
    /// Instructions per action, from the board's meter (capped boards).
    instructions: Option<f64>,
}

/// One upload measurement: server, bytes, MiB/s, instructions per byte
/// (capped boards).
type UploadRow = (&'static str, u64, f64, Option<f64>);

/// The QEMU boards the suite measures: directory under `firmware/` (its
/// `run-qemu`), the table's name for it free-running, and at the
/// instruction rate of a 25 MHz Cortex-M3 (`run-qemu --icount`: the
/// board's honest speed).
const QEMU_BOARDS: [(&str, &str, &str); 2] = [
    (
        "mps2-an385",
        "QEMU mps2-an385 board",
        "QEMU mps2-an385 board @ 31.25 MIPS",
    ),
    (
        "lm3s6965evb",
        "QEMU lm3s6965evb board",
        "QEMU lm3s6965evb board @ 31.25 MIPS",
    ),
];

/// The servers the suite measures, in table order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Serve,
    SimHost,
    SimMcu,
    /// One of [`QEMU_BOARDS`], by index; capped at 31.25 M instructions/s
    /// or not.
    Qemu(usize, bool),
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Serve => "cuatro serve (kernel TCP)",
            Kind::SimHost => "cuatro-sim, host buffers",
            Kind::SimMcu => "cuatro-sim, MCU buffers",
            Kind::Qemu(i, capped) => {
                QEMU_BOARDS
                    .get(i)
                    .map_or("QEMU board", |b| if capped { b.2 } else { b.1 })
            }
        }
    }

    /// A board at 31.25 MIPS: its meter gives instructions.
    fn metered(self) -> bool {
        matches!(self, Kind::Qemu(_, true))
    }

    /// 4 sessions (the board's defaults): 64 clients would only measure
    /// "server full" retries.
    fn small(self) -> bool {
        matches!(self, Kind::SimMcu | Kind::Qemu(..))
    }
}

/// Starts one server of `kind`.
fn launch(kind: Kind, config: &SuiteConfig, progress: &mut dyn Write) -> io::Result<Server> {
    let ready = Duration::from_secs(10);
    match kind {
        Kind::Serve => {
            let dir = temp_dir("serve")?;
            let mut cmd = Command::new(std::env::current_exe()?);
            cmd.args(["serve", "--port-base", "0", "--sessions", "64"])
                .arg("--upload-dir")
                .arg(&dir.0);
            start(kind.name(), cmd, ready, Some(dir), None)
        }
        Kind::SimHost | Kind::SimMcu => {
            let buffers = if kind == Kind::SimHost { "host" } else { "mcu" };
            let dir = temp_dir(buffers)?;
            let mut cmd = Command::new(sibling("cuatro-sim")?);
            cmd.args(["--port-base", "0", "--buffers", buffers, "--upload-dir"])
                .arg(&dir.0);
            start(kind.name(), cmd, ready, Some(dir), None)
        }
        Kind::Qemu(i, capped) => {
            let board = QEMU_BOARDS
                .get(i)
                .ok_or_else(|| io::Error::other("no such QEMU board"))?
                .0;
            let base =
                free_port_base().ok_or_else(|| io::Error::other("no free ports for QEMU"))?;
            let run_qemu = config.root.join("firmware").join(board).join("run-qemu");
            let mut cmd = Command::new(run_qemu);
            cmd.args(["--port-base", &base.to_string()]);
            if capped {
                cmd.arg("--icount");
            }
            let _ = writeln!(progress, "booting {} on 127.0.0.1:{base}..", kind.name());
            start(kind.name(), cmd, Duration::from_secs(300), None, Some(base))
        }
    }
}

/// Runs the suite and returns the Markdown report. Each server runs alone
/// (started, measured, stopped), so none competes with another's idle
/// timers for the CPU.
pub fn run(config: &SuiteConfig, progress: &mut dyn Write) -> io::Result<String> {
    sibling("cuatro-sim")?;
    let mut kinds = vec![Kind::Serve, Kind::SimHost, Kind::SimMcu];
    if config.qemu.unwrap_or_else(|| qemu_available(&config.root)) {
        for i in 0..QEMU_BOARDS.len() {
            kinds.extend([Kind::Qemu(i, false), Kind::Qemu(i, true)]);
        }
    }
    let file = std::env::temp_dir().join(format!("cuatro-bench-upload-{}.bin", std::process::id()));
    write_pattern(&file, config.upload_mib << 20)?;
    let mut rows = Vec::new();
    let mut uploads = Vec::new();
    let result = kinds.iter().try_for_each(|&kind| {
        let server = launch(kind, config, progress)?;
        measure_games(kind, &server, config, progress, &mut rows)?;
        // The MPS2 keeps 16 MiB, the least of the boards: send each board a
        // file that fits.
        let board_file =
            std::env::temp_dir().join(format!("cuatro-bench-upload16-{}.bin", std::process::id()));
        let path = if matches!(kind, Kind::Qemu(..)) {
            write_pattern(&board_file, (16 << 20).min(config.upload_mib << 20))?;
            &board_file
        } else {
            &file
        };
        let upload = measure_upload(kind, &server, path, config.upload_runs, progress);
        if matches!(kind, Kind::Qemu(..)) {
            let _ = std::fs::remove_file(&board_file);
        }
        uploads.push(upload?);
        Ok::<(), io::Error>(())
    });
    let _ = std::fs::remove_file(&file);
    result?;
    // Table order: codec, clients, then server.
    let order = |r: &GameRow| {
        (
            r.codec == Codec::Classic,
            r.clients,
            kinds.iter().position(|k| k.name() == r.server),
        )
    };
    rows.sort_by_key(order);
    Ok(markdown(&rows, &uploads))
}

/// Game actions on one server: both codecs; 1, 16 and 64 clients.
fn measure_games(
    kind: Kind,
    server: &Server,
    config: &SuiteConfig,
    progress: &mut dyn Write,
    rows: &mut Vec<GameRow>,
) -> io::Result<()> {
    for codec in [Codec::Compact, Codec::Classic] {
        for clients in [1usize, 16, 64] {
            if kind.small() && clients == 64 {
                continue;
            }
            let games = (config.games / clients).max(if kind.small() { 2 } else { 5 });
            let addr = match codec {
                Codec::Classic => server.classic,
                Codec::Compact => server.compact,
            };
            let _ = writeln!(progress, "{} {:?} x{clients}..", server.name, codec);
            let before = kind.metered().then(|| server.meter_base()).flatten();
            let report = bench::run(&BenchConfig {
                addr,
                clients,
                games,
                codec,
                seed: 1,
            })
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", server.name)))?;
            let instructions = before
                .zip(server.settled_meter())
                .and_then(|(a, b)| a.per_action(&b));
            let _ = writeln!(progress, "  {}", report.summary());
            if let Some(i) = instructions {
                let _ = writeln!(progress, "  {i:.0} instructions/action (board meter)");
            }
            rows.push(GameRow {
                server: server.name,
                codec,
                clients,
                report,
                instructions,
            });
        }
    }
    Ok(())
}

/// The best of `runs` uploads of `path`: (server, bytes, MiB/s), and on a
/// metered board instructions per byte over all the runs.
fn measure_upload(
    kind: Kind,
    server: &Server,
    path: &Path,
    runs: usize,
    progress: &mut dyn Write,
) -> io::Result<UploadRow> {
    let bytes = std::fs::metadata(path)?.len();
    let before = kind.metered().then(|| server.meter_base()).flatten();
    let mut best = f64::MAX;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let sent = crate::send::send(path, server.upload, false, Duration::from_secs(300))?;
        let secs = t.elapsed().as_secs_f64();
        if !sent.ok() {
            return Err(io::Error::other(format!(
                "{}: upload refused: {}",
                server.name, sent.reply
            )));
        }
        best = best.min(secs);
    }
    let mib_s = bytes as f64 / (1 << 20) as f64 / best;
    let instructions = before
        .zip(server.settled_meter())
        .and_then(|(a, b)| a.per_byte(&b));
    let _ = writeln!(
        progress,
        "{} upload {} MiB: {:.1} MiB/s{}",
        server.name,
        bytes >> 20,
        mib_s,
        instructions.map_or(String::new(), |i| format!(", {i:.2} instructions/byte"))
    );
    Ok((server.name, bytes, mib_s, instructions))
}

fn write_pattern(path: &Path, len: usize) -> io::Result<()> {
    let mut f = io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut left = len;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let n = left.min(buf.len());
        f.write_all(&buf[..n])?;
        left -= n;
    }
    f.flush()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut kernel = String::new();
    if let Ok(mut f) = std::fs::File::open("/proc/sys/kernel/osrelease") {
        let _ = f.read_to_string(&mut kernel);
    }
    format!("{cpu}, {cores} cores, Linux {}", kernel.trim())
}

/// A metered figure, or a dash.
fn figure(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{x:.decimals$}"))
}

fn markdown(rows: &[GameRow], uploads: &[UploadRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Machine: {}. Load generator: `cuatro bench` in the same process, over 127.0.0.1.\n",
        machine()
    );
    let _ = writeln!(s, "| server | codec | clients | actions/s | p50 µs | p90 µs | p99 µs | max µs | vs serve: actions/s | vs serve: p99 | instructions/action |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let base = rows.iter().find(|b| {
            b.server.starts_with("cuatro serve") && b.codec == r.codec && b.clients == r.clients
        });
        let (ratio, p99) = match base {
            Some(b) if !r.server.starts_with("cuatro serve") => (
                format!("{:.2}", r.report.actions_per_s() / b.report.actions_per_s()),
                format!(
                    "{:.2}",
                    r.report.latency().p99 as f64 / b.report.latency().p99.max(1) as f64
                ),
            ),
            _ => ("—".into(), "—".into()),
        };
        let l = r.report.latency();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
            r.server,
            match r.codec {
                Codec::Classic => "classic",
                Codec::Compact => "compact",
            },
            r.clients,
            r.report.actions_per_s(),
            l.p50,
            l.p90,
            l.p99,
            l.max,
            ratio,
            p99,
            figure(r.instructions, 0)
        );
    }
    let base = uploads
        .iter()
        .find(|u| u.0.starts_with("cuatro serve"))
        .map(|u| u.2);
    let _ = writeln!(
        s,
        "\n| server | upload | MiB/s | vs serve | instructions/byte |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for (name, bytes, mib_s, instructions) in uploads {
        let ratio = match base {
            Some(b) if !name.starts_with("cuatro serve") => format!("{:.2}", mib_s / b),
            _ => "—".into(),
        };
        let _ = writeln!(
            s,
            "| {name} | {} MiB | {mib_s:.1} | {ratio} | {} |",
            bytes >> 20,
            figure(*instructions, 2)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::MeterReading;

    #[test]
    fn meter_lines_parse_and_give_instructions() {
        let a =
            MeterReading::parse("[   1.385] INFO  meter: replies=9 upload_bytes=0 busy_us=18869")
                .unwrap();
        assert_eq!(
            a,
            MeterReading {
                replies: 9,
                upload_bytes: 0,
                busy_us: 18869
            }
        );
        let b = MeterReading::parse("meter: replies=19 upload_bytes=100 busy_us=19869").unwrap();
        assert_eq!(a.per_action(&b), Some(1000.0 * 31.25 / 10.0));
        assert_eq!(a.per_byte(&b), Some(1000.0 * 31.25 / 100.0));
        assert_eq!(a.per_action(&a), None);
        // The counters wrap.
        let c = MeterReading {
            replies: u32::MAX,
            upload_bytes: 0,
            busy_us: u32::MAX - 9,
        };
        let d = MeterReading {
            replies: 1,
            upload_bytes: 0,
            busy_us: 10,
        };
        assert_eq!(c.per_action(&d), Some(20.0 * 31.25 / 2.0));
        for bad in [
            "INFO  sessions: 1 active",
            "meter: replies=x upload_bytes=0 busy_us=1",
            "meter: replies=1 busy_us=1",
        ] {
            assert_eq!(MeterReading::parse(bad), None, "{bad}");
        }
    }
}
