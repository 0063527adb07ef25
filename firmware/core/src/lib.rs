//! # cuatro-core — Connect Four on smoltcp, `no_std`, no allocation
//!
//! - [`game`]: the rules (6×7, gravity, four in a row, draw).
//! - [`cpu`]: the lecture's CPU (uniform random legal column, seeded).
//! - [`session`]: the sans-IO session — bytes in, bytes out, time passed in.
//! - [`server`]: the smoltcp driver — a fixed socket pool serving both game
//!   ports, generic over any `smoltcp::phy::Device`.
//!
//! Every buffer is a named constant; see [`server::ServerMemory`] for the
//! whole RAM budget.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod admission;
pub mod cpu;
pub mod game;
pub mod guard;
pub mod server;
pub mod session;
pub mod upload;

pub use server::{Clock, Config, Server, ServerMemory, Stats};
pub use session::Session;
