//! `cuatro bench`: N concurrent clients play M full games each as fast as the
//! server answers; reports actions/s and latency percentiles (HDR histogram).

use crate::client::Client;
use cuatro_proto::{Action, Cell, Codec, Error, Estado};
use hdrhistogram::Histogram;
use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Server game port.
    pub addr: SocketAddr,
    /// Concurrent clients.
    pub clients: usize,
    /// Full games per client.
    pub games: usize,
    /// Encoding.
    pub codec: Codec,
    /// Seed of the clients' move choices.
    pub seed: u64,
}

/// The measured result.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Actions answered (each a request and its reply).
    pub actions: u64,
    /// Games played to the end.
    pub games: u64,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Connections answered "server full" (retried).
    pub rejected: u64,
    /// Latency histogram of every action, in microseconds.
    pub latency_us: Histogram<u64>,
}

/// The latency figures a report shows, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Slowest action.
    pub max: u64,
}

impl BenchReport {
    /// The latency percentiles and maximum of every action.
    pub fn latency(&self) -> Latency {
        let h = &self.latency_us;
        Latency {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
        }
    }

    /// Actions per second.
    pub fn actions_per_s(&self) -> f64 {
        self.actions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Human summary, one line.
    pub fn summary(&self) -> String {
        let Latency { p50, p90, p99, max } = self.latency();
        let (actions, games, rejected) = (self.actions, self.games, self.rejected);
        let (secs, rate) = (self.elapsed.as_secs_f64(), self.actions_per_s());
        format!(
            "{actions} actions in {secs:.3} s: {rate:.0} actions/s; latency p50 {p50} us, p90 {p90} us, p99 {p99} us, max {max} us; {games} games, {rejected} server-full retries"
        )
    }

    /// One JSON object (the `--json` line).
    pub fn json(&self) -> String {
        let Latency { p50, p90, p99, max } = self.latency();
        let (actions, games, rejected) = (self.actions, self.games, self.rejected);
        let (secs, rate) = (self.elapsed.as_secs_f64(), self.actions_per_s());
        format!(
            "{{\"actions\":{actions},\"games\":{games},\"elapsed_s\":{secs:.6},\"actions_per_s\":{rate:.1},\"p50_us\":{p50},\"p90_us\":{p90},\"p99_us\":{p99},\"max_us\":{max},\"rejected\":{rejected}}}"
        )
    }
}

fn histogram() -> Histogram<u64> {
    // 1 us .. 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

struct ClientResult {
    actions: u64,
    games: u64,
    rejected: u64,
    latency: Histogram<u64>,
}

/// Runs the benchmark.
pub fn run(config: &BenchConfig) -> io::Result<BenchReport> {
    let start = Instant::now();
    let connecting = Mutex::new(());
    let results: Vec<io::Result<ClientResult>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..config.clients)
            .map(|i| {
                let seed = config
                    .seed
                    .wrapping_add(i as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    | 1;
                let connecting = &connecting;
                scope.spawn(move || play_client(config, seed, connecting))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("client thread panicked")))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut report = BenchReport {
        actions: 0,
        games: 0,
        elapsed,
        rejected: 0,
        latency_us: histogram(),
    };
    for r in results {
        let r = r?;
        report.actions += r.actions;
        report.games += r.games;
        report.rejected += r.rejected;
        report
            .latency_us
            .add(&r.latency)
            .map_err(|e| io::Error::other(format!("histogram: {e}")))?;
    }
    Ok(report)
}

/// Connects, retrying (bounded) while the server is full: a "server full"
/// reply, or a refused connection when no socket is listening.
///
/// One client connects at a time (`connecting`, held until the greeting):
/// QEMU's port forwarding listens with a backlog of 1, and a connection
/// beyond it waits for the kernel's SYN-ACK retransmissions (1 + 2 + 4 +
/// 8 + 16 s) before QEMU even passes it to the board. Every server gets the
/// same treatment; connecting is outside the latency histogram.
fn connect(config: &BenchConfig, rejected: &mut u64, connecting: &Mutex<()>) -> io::Result<Client> {
    for attempt in 0..2000u32 {
        let greeted = {
            let _one_at_a_time = connecting.lock().unwrap_or_else(|e| e.into_inner());
            Client::connect(config.addr, config.codec, Duration::from_secs(30))
                .and_then(|mut client| client.recv().map(|greeting| (client, greeting)))
        };
        match greeted {
            Ok((client, greeting)) if greeting.error != Some(Error::ServerFull) => {
                return Ok(client)
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::UnexpectedEof
                ) => {}
            Err(e) => return Err(e),
        }
        *rejected += 1;
        std::thread::sleep(Duration::from_millis(1 + u64::from(attempt % 10)));
    }
    Err(io::Error::other("the server stayed full"))
}

fn play_client(
    config: &BenchConfig,
    mut seed: u64,
    connecting: &Mutex<()>,
) -> io::Result<ClientResult> {
    let mut result = ClientResult {
        actions: 0,
        games: 0,
        rejected: 0,
        latency: histogram(),
    };
    let mut client = connect(config, &mut result.rejected, connecting)?;
    let timed = |client: &mut Client, action: Action, result: &mut ClientResult| {
        let t = Instant::now();
        let reply = client.call(&action);
        let us = t.elapsed().as_micros() as u64;
        result.actions += 1;
        let _ = result.latency.record(us.max(1));
        reply
    };
    for _ in 0..config.games {
        let mut reply = timed(&mut client, Action::NewGame, &mut result)?;
        for _ in 0..64 {
            if reply.estado != Estado::Jugando {
                break;
            }
            let legal: Vec<usize> = (0..7)
                .filter(|&c| reply.tablero.cells[0][c] == Cell::Empty)
                .collect();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let col = legal
                .get((seed % legal.len().max(1) as u64) as usize)
                .copied()
                .unwrap_or(0);
            reply = timed(&mut client, Action::Move(col as i64), &mut result)?;
        }
        if reply.estado == Estado::Jugando {
            return Err(io::Error::other("a game did not end within 64 moves"));
        }
        result.games += 1;
    }
    let _ = timed(&mut client, Action::Quit, &mut result);
    Ok(result)
}
