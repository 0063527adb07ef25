//! A deterministic run for counting the server's instructions per game
//! action (smoltcp included) with callgrind:
//!
//! ```sh
//! cargo build --release -p sim --example cost
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cost.out \
//!     --toggle-collect='*Server*poll*' target/release/examples/cost compact 200
//! callgrind_annotate /tmp/cost.out | head     # total Ir / the printed actions
//! ```
//!
//! Arguments: `compact|classic` and the number of clients (each plays one
//! full game, 4 at a time, over a clean simulated link).

use sim::netsim::{self, Codecs, NetConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let codecs = match args.next().as_deref() {
        Some("classic") => Codecs::Classic,
        Some("compact") | None => Codecs::Compact,
        Some(other) => {
            eprintln!("cost: codec must be compact or classic, not {other}");
            std::process::exit(2);
        }
    };
    let clients = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let cfg = NetConfig {
        seed: 7,
        clients,
        concurrency: 4,
        hosts: 4,
        codecs,
        pipeline: false,
        ..Default::default()
    };
    match netsim::run_default(&cfg) {
        Ok(report) => {
            // Every reply answers one action (the greeting answers the connect).
            println!(
                "actions={} games={} frames={}",
                report.replies, report.completed, report.frames
            );
        }
        Err(e) => {
            eprintln!("cost: {e}");
            std::process::exit(1);
        }
    }
}
