//! `cuatro-sim`: the board on a simulated Ethernet link, reachable on 127.0.0.1.

use anyhow::Context;
use clap::Parser;
use sim::{Sim, SimConfig};
use std::time::Duration;

/// The cuatro board (no_std core on smoltcp) on an in-memory Ethernet link,
/// with its game ports relayed from 127.0.0.1.
#[derive(Parser, Debug)]
#[command(name = "cuatro-sim", version)]
struct Args {
    /// First 127.0.0.1 port: classic game on N, compact on N+1 (0: pick free ports).
    #[arg(long, default_value_t = 8080)]
    port_base: u16,
    /// Seed of the CPU players.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Idle timeout of a game session, in seconds.
    #[arg(long, default_value_t = 60)]
    idle_timeout: u64,
    /// Directory for uploaded files (`recibido-<n>.bin`).
    #[arg(long, default_value = sim::upload::DEFAULT_DIR)]
    upload_dir: std::path::PathBuf,
    /// Largest upload accepted, in bytes (larger files get `Error: ...`).
    #[arg(long, default_value_t = sim::upload::DEFAULT_MAX)]
    upload_max: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sim = Sim::bind(SimConfig {
        port_base: args.port_base,
        seed: args.seed,
        idle_timeout: Duration::from_secs(args.idle_timeout),
        upload_dir: args.upload_dir,
        upload_max: args.upload_max,
    })
    .context("cuatro-sim")?;
    let stop = sim.stop_handle();
    ctrlc::set_handler(move || stop.stop()).context("installing the Ctrl-C handler")?;
    println!("{}", sim.addrs().ready_line());
    sim.run().context("cuatro-sim")?;
    eprintln!("cuatro-sim: stopped");
    Ok(())
}
