//! # cuatro-kit — what every host tool shares
//!
//! The std pieces that the simulator, `cuatro serve` and the tests all
//! need, kept out of any one of them:
//!
//! - [`storage`]: uploads stored as files in a directory ([`DirStorage`]);
//! - [`rng`]: the seeded splitmix64 generator ([`SplitMix64`]);
//! - [`reply`]: a server's reply as a client sees it ([`Received`]), the
//!   one reply type of the host client, the simulator's clients and the
//!   tests;
//! - [`referee`]: the one independent judge of those replies ([`Referee`]),
//!   for the simulator's clients and the tests;
//! - `cli` (cargo feature `cli`): the command-line options every server
//!   shares (`ServerArgs`);
//! - [`link`]: the in-memory Ethernet link ([`link::pair`], a `phy::Device`
//!   at each end) and a smoltcp machine to plug into it
//!   ([`link::Machine`]), for the simulator, the fuzz harness and
//!   cuatro-core's tests;
//! - [`solver`]: a perfect-play Connect Four solver, to label positions
//!   for the CPU's strength benchmark.

#[cfg(feature = "cli")]
pub mod cli;
pub mod link;
pub mod referee;
pub mod reply;
pub mod rng;
pub mod solver;
pub mod storage;

pub use referee::Referee;
pub use reply::Received;
pub use rng::SplitMix64;
pub use storage::DirStorage;
