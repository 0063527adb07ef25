//! # cuatro-kit — what every host tool shares
//!
//! The std pieces that the simulator, `cuatro serve` and the tests all
//! need, kept out of any one of them:
//!
//! - [`storage`]: uploads stored as files in a directory ([`DirStorage`]);
//! - [`rng`]: the seeded splitmix64 generator ([`SplitMix64`]).

pub mod rng;
pub mod storage;

pub use rng::SplitMix64;
pub use storage::DirStorage;
