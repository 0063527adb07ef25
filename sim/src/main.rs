//! `cuatro-sim`: the board on a simulated Ethernet link, reachable on 127.0.0.1.

use anyhow::Context;
use clap::Parser;
use cuatro_kit::cli::ServerArgs;
use sim::impair::Impairments;
use sim::tap::TapSim;
use sim::{Sim, SimConfig};
use std::time::Duration;

/// The cuatro board (no_std core on smoltcp) on an in-memory Ethernet link,
/// with its game ports relayed from 127.0.0.1.
#[derive(Parser, Debug)]
#[command(name = "cuatro-sim", version)]
struct Args {
    /// Ports (on 127.0.0.1, or the board's own on a TAP), idle timeout,
    /// uploads.
    #[command(flatten)]
    server: ServerArgs,
    /// Seed of the CPU players and of the impaired link's fates.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The board's mDNS name: it answers as `NAME.local` and offers
    /// `NAME._cuatro._tcp.local` (on a TAP: the relay carries no multicast).
    #[arg(long, value_name = "NAME", default_value = "cuatro")]
    mdns_name: String,
    /// Attach the board to this Linux TAP interface instead of the
    /// 127.0.0.1 relay (its ports are then the board's own, at --ip).
    #[arg(long, value_name = "IFACE")]
    tap: Option<String>,
    /// The board's address on the TAP.
    #[arg(
        long,
        value_name = "CIDR",
        default_value = "192.168.69.1/24",
        requires = "tap"
    )]
    ip: String,
    /// The board's Ethernet address on the TAP (a second board on the same
    /// link needs another).
    #[arg(
        long,
        value_name = "MAC",
        default_value = "02:00:00:00:00:01",
        requires = "tap"
    )]
    mac: String,
    /// Lose this percentage of frames (each direction).
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    loss: f64,
    /// Flip one bit in this percentage of frames (checksums drop them).
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    corrupt: f64,
    /// Deliver this percentage of frames twice.
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    duplicate: f64,
    /// Hold this percentage of frames back behind the next one.
    #[arg(long, value_name = "PCT", default_value_t = 0.0)]
    reorder: f64,
    /// One-way latency added to every frame, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay: u64,
    /// Extra random latency per frame, 0..=MS milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    jitter: u64,
    /// Link rate in kilobits per second (0: unlimited).
    #[arg(long, value_name = "KBPS", default_value_t = 0)]
    rate: u64,
    /// The board link's IP MTU in bytes (at least 68); the TCP MSS follows.
    #[arg(long, value_name = "BYTES")]
    mtu: Option<usize>,
    /// Write the board's link traffic to this pcap file (tshark -r FILE).
    #[arg(long, value_name = "FILE")]
    pcap: Option<std::path::PathBuf>,
    /// The board's memory preset: `mcu` (the firmware's sizes: 4 sessions,
    /// 6 sockets, 1 KiB socket buffers, 4 KiB upload window) or `host` (64
    /// sessions, 66 sockets, 4 KiB buffers, 256 KiB upload window; for
    /// benchmarks). The flags below change one figure of it.
    #[arg(long, value_enum, default_value_t = sim::Buffers::Mcu)]
    buffers: sim::Buffers,
    /// Game sessions.
    #[arg(long, value_name = "N")]
    sessions: Option<usize>,
    /// Game sockets (sessions plus spare listeners).
    #[arg(long, value_name = "N")]
    sockets: Option<usize>,
    /// Receive buffer per game socket, bytes.
    #[arg(long, value_name = "BYTES")]
    rx_buffer: Option<usize>,
    /// Transmit buffer per game socket, bytes (at least the largest reply).
    #[arg(long, value_name = "BYTES")]
    tx_buffer: Option<usize>,
    /// The upload socket's receive buffer (its window), bytes.
    #[arg(long, value_name = "BYTES")]
    upload_buffer: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let impair = Impairments {
        loss: args.loss,
        corrupt: args.corrupt,
        duplicate: args.duplicate,
        reorder: args.reorder,
        delay: Duration::from_millis(args.delay),
        jitter: Duration::from_millis(args.jitter),
        rate_kbps: args.rate,
        mtu: args.mtu,
        // --seed seeds the CPU players and the link's fates alike.
        seed: args.seed,
    };
    if let Err(e) = impair.validate() {
        eprintln!("cuatro-sim: {e}");
        std::process::exit(2);
    }
    if !impair.is_clean() {
        eprintln!("cuatro-sim: impaired link: {}", impair.summary());
    }
    let preset = args.buffers.budget();
    let memory = sim::Budget {
        sessions: args.sessions.unwrap_or(preset.sessions),
        sockets: args.sockets.unwrap_or(preset.sockets),
        rx_buffer: args.rx_buffer.unwrap_or(preset.rx_buffer),
        tx_buffer: args.tx_buffer.unwrap_or(preset.tx_buffer),
        upload_buffer: args.upload_buffer.unwrap_or(preset.upload_buffer),
    };
    if let Err(e) = memory.check() {
        eprintln!("cuatro-sim: the board's memory cannot run the server: {e}");
        std::process::exit(2);
    }
    let config = SimConfig {
        port_base: args.server.port_base,
        seed: args.seed,
        idle_timeout: args.server.idle_timeout(),
        cpu_level: args.server.cpu,
        // One name for the process's life.
        mdns_name: Box::leak(args.mdns_name.into_boxed_str()),
        upload_dir: args.server.upload_dir,
        upload_max: args.server.upload_max,
        impair,
        pcap: args.pcap,
        memory,
    };
    if let Some(iface) = args.tap {
        return run_tap(&iface, &args.ip, &args.mac, config);
    }
    let sim = Sim::bind(config).context("cuatro-sim")?;
    let stop = sim.stop_handle();
    ctrlc::set_handler(move || stop.stop()).context("installing the Ctrl-C handler")?;
    println!("{}", sim.addrs().ready_line());
    sim.run().context("cuatro-sim")?;
    eprintln!("cuatro-sim: stopped");
    Ok(())
}

/// `--tap IFACE`: the board on a TAP; errors are one clear line.
fn run_tap(iface: &str, ip: &str, mac: &str, config: SimConfig) -> anyhow::Result<()> {
    let ip = match sim::tap::parse_cidr(ip) {
        Ok(ip) => ip,
        Err(e) => {
            eprintln!("cuatro-sim: --ip: {e}");
            std::process::exit(2);
        }
    };
    let mac = match sim::tap::parse_mac(mac) {
        Ok(mac) => mac,
        Err(e) => {
            eprintln!("cuatro-sim: --mac: {e}");
            std::process::exit(2);
        }
    };
    let tap = match TapSim::open_with_mac(iface, ip, mac, config) {
        Ok(tap) => tap,
        Err(e) => {
            eprintln!("cuatro-sim: {e}");
            std::process::exit(1);
        }
    };
    let stop = tap.stop_handle();
    ctrlc::set_handler(move || stop.stop()).context("installing the Ctrl-C handler")?;
    println!("{}", tap.ready_line());
    tap.run().context("cuatro-sim")?;
    eprintln!("cuatro-sim: stopped");
    Ok(())
}
