//! `cuatro`: play Connect Four against a cuatro server, or serve one.

use anyhow::Context;
use clap::{Parser, Subcommand};
use cuatro_kit::cli::ServerArgs;
use cuatro_proto::{Action, Codec, Event, Level};
use host::client::{Client, Received};
use host::{commands, render};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "cuatro",
    version,
    about = "Connect Four against a no_std server on smoltcp"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Play from stdin (`\juego_nuevo`, `\jugada N`, `\salir`). Without
    /// --addr, runs the simulated board in-process.
    Play {
        /// Server address (HOST:PORT): a cuatro-sim, QEMU or a real board.
        #[arg(long)]
        addr: Option<String>,
        /// Speak the lecture's JSON and print the server's `mensaje`.
        #[arg(long)]
        classic: bool,
        /// Seed of the in-process board's CPU.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The CPU level to ask for on every `\juego_nuevo` (aleatorio,
        /// facil, dificil; without it, the server's default).
        #[arg(long, value_name = "LEVEL", value_parser = cuatro_kit::cli::parse_level)]
        nivel: Option<Level>,
    },
    /// The cuatro boards on the link (mDNS/DNS-SD `_cuatro._tcp`): one line
    /// each, name, host, address and ports.
    Discover {
        /// How long to listen for answers, in seconds.
        #[arg(long, default_value_t = 3)]
        wait: u64,
    },
    /// How well the CPU levels play: matches between them, and the share
    /// of solver-labelled positions where each keeps the game's value;
    /// prints Markdown tables (docs/CPU.md).
    Strength {
        /// Games per match.
        #[arg(long, default_value_t = 1000)]
        games: usize,
        /// Solver-labelled positions.
        #[arg(long, default_value_t = 300)]
        positions: usize,
        /// dificil's node budget.
        #[arg(long, default_value_t = cuatro_core::cpu::NODE_BUDGET)]
        budget: u32,
        /// The smaller budget of its opponent in self-play (default: an
        /// eighth).
        #[arg(long)]
        small_budget: Option<u32>,
        /// Seed of the games and positions.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Upload FILE as in the lecture (4-byte length, then the bytes); prints
    /// the server's reply.
    Send {
        /// The file to send (at most 4 GiB - 1).
        file: std::path::PathBuf,
        /// Upload service address (HOST:PORT, the server's port base + 2).
        #[arg(long)]
        addr: String,
    },
    /// Load: N concurrent clients play M full games each; prints actions/s
    /// and latency percentiles.
    Bench {
        /// Game port (HOST:PORT).
        #[arg(long)]
        addr: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 1)]
        clients: usize,
        /// Full games per client.
        #[arg(long, default_value_t = 10)]
        games: usize,
        /// Speak classic JSON (the port must be a classic one).
        #[arg(long)]
        classic: bool,
        /// Print one JSON object as the last line.
        #[arg(long)]
        json: bool,
    },
    /// The benchmark suite: cuatro-sim vs cuatro serve (and the QEMU board
    /// when available), game actions and uploads; prints a Markdown table.
    BenchSuite {
        /// Also write the table to this file.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Games per run, split over the clients.
        #[arg(long, default_value_t = 4000)]
        games: usize,
        /// Upload size in MiB.
        #[arg(long, default_value_t = 256)]
        upload_mib: usize,
        /// Include the QEMU board (default: when its tools are installed).
        #[arg(long)]
        qemu: Option<bool>,
    },
    /// Serve the game on the kernel's TCP stack (same core as the board).
    Serve {
        /// Ports, idle timeout, uploads.
        #[command(flatten)]
        server: ServerArgs,
        /// Simultaneous game sessions.
        #[arg(long, default_value_t = cuatro_core::server::SESSIONS)]
        sessions: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Play {
            addr,
            classic,
            seed,
            nivel,
        } => play(addr, classic, seed, nivel),
        Command::Strength {
            games,
            positions,
            budget,
            small_budget,
            seed,
        } => {
            let config = host::strength::StrengthConfig {
                games,
                positions,
                budget,
                small_budget: small_budget.unwrap_or(budget / 8),
                seed,
            };
            println!("{}", host::strength::run(&config, &mut std::io::stderr()));
            Ok(())
        }
        Command::Send { file, addr } => send(&file, &addr),
        Command::Discover { wait } => discover(wait),
        Command::BenchSuite {
            out,
            games,
            upload_mib,
            qemu,
        } => bench_suite(out, games, upload_mib, qemu),
        Command::Bench {
            addr,
            clients,
            games,
            classic,
            json,
        } => bench(&addr, clients, games, classic, json),
        Command::Serve { server, sessions } => serve(host::serve::ServeConfig {
            port_base: server.port_base,
            sessions,
            idle_timeout: server.idle_timeout(),
            seed: 1,
            cpu_level: server.cpu,
            upload_dir: server.upload_dir,
            upload_max: server.upload_max,
        }),
    };
    if let Err(e) = result {
        eprintln!("cuatro: {e:#}");
        std::process::exit(1);
    }
}

fn play(
    addr: Option<String>,
    classic: bool,
    seed: u64,
    nivel: Option<Level>,
) -> anyhow::Result<()> {
    let codec = if classic {
        Codec::Classic
    } else {
        Codec::Compact
    };
    // With no address, the embedded default: the simulated board in-process.
    let (_sim, addr) = match addr {
        Some(a) => (None, a),
        None => {
            let sim = sim::Running::spawn(sim::SimConfig {
                port_base: 0,
                seed,
                ..Default::default()
            })
            .context("starting the simulated board")?;
            let a = match codec {
                Codec::Classic => sim.addrs().classic,
                Codec::Compact => sim.addrs().compact,
            };
            (Some(sim), a.to_string())
        }
    };
    // `cuatro.local:8080` is asked over mDNS.
    let target = host::discover::resolve_addr(&addr)?;
    let mut client = Client::connect(target, codec, Duration::from_secs(120))
        .with_context(|| format!("cannot connect to {addr}"))?;
    let color = std::io::stdout().is_terminal();
    let interactive = std::io::stdin().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    let mut out = std::io::stdout().lock();
    // A player-vs-player port (its greeting says so): replies wait for
    // the opponent, and the wait is shown.
    let mut pvp = false;
    loop {
        let reply = client
            .recv()
            .with_context(|| format!("connection to {addr}"))?;
        pvp |= reply.event == Some(Event::WelcomePvp)
            || reply
                .mensaje
                .as_deref()
                .is_some_and(|m| m.contains("jugador contra jugador"));
        show(&mut out, &reply, color)?;
        if !reply.continuar {
            return Ok(());
        }
        let action = loop {
            if interactive {
                write!(out, "-> ")?;
                out.flush()?;
            }
            match lines.next() {
                // End of input: leave politely, like typing \salir.
                None => break Action::Quit,
                Some(line) => match commands::parse(&line?) {
                    // `--nivel`: every new game asks for that level.
                    Some(Action::NewGame) => {
                        break nivel.map_or(Action::NewGame, Action::NewGameAt)
                    }
                    Some(a) => break a,
                    None => writeln!(out, "Input invalido.")?,
                },
            }
        };
        client
            .send(&action)
            .with_context(|| format!("connection to {addr}"))?;
        if pvp && !matches!(action, Action::Quit) && !reply_within(&mut client, PVP_HINT_AFTER) {
            let what = if matches!(action, Action::Move(_)) {
                "(esperando la jugada del rival…)"
            } else {
                "(esperando a un rival…)"
            };
            writeln!(out, "{what}")?;
            out.flush()?;
        }
    }
}

/// How long a player-vs-player reply may take before `play` says it is
/// waiting for the opponent (a refused move is answered at once).
const PVP_HINT_AFTER: Duration = Duration::from_millis(200);

/// Whether a reply starts arriving within `wait` (peeked, not read).
fn reply_within(client: &mut Client, wait: Duration) -> bool {
    let stream = client.stream();
    let before = stream.read_timeout().ok().flatten();
    if stream.set_read_timeout(Some(wait)).is_err() {
        return true;
    }
    let arrived = stream.peek(&mut [0u8; 1]).is_ok();
    let _ = stream.set_read_timeout(before);
    arrived
}

fn discover(wait: u64) -> anyhow::Result<()> {
    let boards = host::discover::discover(Duration::from_secs(wait))?;
    if boards.is_empty() {
        anyhow::bail!("no board answered within {wait} s");
    }
    for b in boards {
        println!("{}", b.line());
    }
    Ok(())
}

fn show(out: &mut impl Write, reply: &Received, color: bool) -> std::io::Result<()> {
    match &reply.mensaje {
        Some(m) => writeln!(out, "{m}"),
        None => writeln!(out, "{}", render::reply(reply, color)),
    }
}

fn bench(
    addr: &str,
    clients: usize,
    games: usize,
    classic: bool,
    json: bool,
) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs;
    let addr = addr
        .to_socket_addrs()
        .with_context(|| format!("bad address {addr}"))?
        .next()
        .with_context(|| format!("no address for {addr}"))?;
    let report = host::bench::run(&host::bench::BenchConfig {
        addr,
        clients,
        games,
        codec: if classic {
            Codec::Classic
        } else {
            Codec::Compact
        },
        seed: 1,
    })
    .with_context(|| format!("benchmark against {addr}"))?;
    println!("{}", report.summary());
    if json {
        println!("{}", report.json());
    }
    Ok(())
}

fn bench_suite(
    out: Option<std::path::PathBuf>,
    games: usize,
    upload_mib: usize,
    qemu: Option<bool>,
) -> anyhow::Result<()> {
    // The repository this binary was built from (for run-qemu).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = host::suite::SuiteConfig {
        games,
        upload_mib,
        upload_runs: 3,
        qemu,
        root,
    };
    let table = host::suite::run(&config, &mut std::io::stderr())?;
    println!("{table}");
    if let Some(path) = out {
        std::fs::write(&path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn send(file: &std::path::Path, addr: &str) -> anyhow::Result<()> {
    let progress = std::io::stderr().is_terminal();
    let sent = host::send::send(file, addr, progress, Duration::from_secs(60))?;
    println!("{}", sent.reply);
    if !sent.ok() {
        anyhow::bail!("the server refused the file");
    }
    Ok(())
}

fn serve(config: host::serve::ServeConfig) -> anyhow::Result<()> {
    let server = host::serve::Serve::bind(config)?;
    println!("{}", server.ready_line());
    server.run()?;
    Ok(())
}
