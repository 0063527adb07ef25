//! # cuatro-core — Connect Four on smoltcp, `no_std`, no allocation
//!
//! - [`game`]: the rules (6×7, gravity, four in a row, draw).
//! - [`cpu`]: the CPU levels: the lecture's random column (`aleatorio`),
//!   `facil` (tactics) and `dificil` (a budgeted alpha-beta search).
//! - [`session`]: the sans-IO session — bytes in, bytes out, time passed in.
//! - [`upload`]: the sans-IO file transfer, streamed into a
//!   [`upload::Storage`].
//! - [`admission`]: who keeps a session when every one is taken.
//! - [`server`]: the smoltcp driver — a fixed socket pool serving both game
//!   ports and uploads, generic over any `smoltcp::phy::Device`.
//! - [`guard`]: the `phy::Device` middleware in front of smoltcp (held
//!   SYNs, challenge ACKs, ping budget).
//!
//! Every buffer is a named constant; see [`server::ServerMemory`] for the
//! whole RAM budget.
//!
//! ## The driver contract
//!
//! [`Session`] and [`upload::Upload`] never touch a socket or a clock; a
//! driver (the smoltcp [`Server`], `cuatro serve` on the kernel's TCP, the
//! fuzz targets, tests) runs them, the same way for both:
//!
//! 1. **Bytes in.** `handle(input, now_ms, ...)` consumes a prefix of
//!    `input` (up to the end of the first complete frame for a session)
//!    and says what it produced. Call it again with the rest; whatever it
//!    did not consume is offered again with the next bytes.
//! 2. **Bytes out.** A reply is written into the caller's buffer
//!    ([`session::REPLY_CAPACITY`], [`upload::REPLY_CAPACITY`] bytes);
//!    the output says its length and whether to close after sending it
//!    (a session's `close`, an upload's end with its
//!    [`upload::Outcome`]). A session is fed only while its reply fits
//!    the socket's free transmit room ([`session::reply_bound`]):
//!    backpressure, never a dropped reply.
//! 3. **Time.** `poll_timeout(idle)` says when the machine next needs the
//!    driver without input (milliseconds, the clock `handle` was given);
//!    at or after it, the driver closes the session's connection, or calls
//!    [`upload::Upload::fail`] and drops the upload's. `None`: no deadline
//!    (closed, finished).
//! 4. **The end.** A connection that goes away before the machine
//!    finished is told with `Upload::fail` (so storage aborts); a session
//!    needs nothing.
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

#[cfg(test)]
extern crate std;

pub mod admission;
pub mod cpu;
pub mod game;
pub mod guard;
pub mod mdns;
pub mod pvp;
pub mod server;
pub mod session;
pub mod upload;

pub use server::{Clock, Config, MemoryView, Server, ServerMemory, Stats};
pub use session::Session;
