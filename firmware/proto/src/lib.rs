//! # cuatro-proto — the wire contract of cuatro
//!
//! `#![no_std]`, allocation-free. Linked by the firmware (server side) and by
//! the host tools (client side), so both ends agree by construction.
//!
//! Layers, like smoltcp's `wire` module:
//!
//! - [`frame`]: the 4-byte big-endian length prefix. An incremental
//!   [`frame::FrameDecoder`] with a fixed capacity and encoders that write
//!   into caller buffers.
//! - [`message`]: the messages themselves — [`Action`] (client → server) and
//!   [`Reply`] (server → client) — independent of any encoding.
//! - [`classic`]: the lecture's JSON encoding (port 8080), on serde-json-core.
//! - [`compact`]: the postcard encoding (port 8081), documented byte by byte
//!   in `docs/PROTOCOL.md`.
//! - [`Error`]: one error type that names every failure; its
//!   [`Error::code`] is what travels in a reply's `error` field.
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

pub mod classic;
pub mod compact;
mod error;
pub mod frame;
pub mod message;
#[cfg(test)]
mod test_util;
mod write;

pub use error::Error;
pub use message::{Action, Board, Cell, Estado, Event, Refusal, Reply, COLS, ROWS};

/// Largest payload a frame may carry, in bytes (the SPEC's `MAX_FRAME`).
///
/// A frame announcing more is a framing error: it is rejected from its header
/// alone, and its body is never read or stored.
pub const MAX_FRAME: usize = 1024;

/// Size of the length prefix that starts every frame.
pub const HEADER_LEN: usize = 4;

/// Largest whole frame (header + payload) either side ever writes or reads.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_FRAME;

// Every reply fits in one frame, in either encoding.
const _: () = assert!(classic::MAX_REPLY_PAYLOAD <= MAX_FRAME);
const _: () = assert!(compact::MAX_REPLY_PAYLOAD <= MAX_FRAME);

/// Which encoding a connection speaks. Chosen by port: classic on the base
/// port, compact on base + 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// The lecture's JSON (`{"tipo": "\\jugada", "data": 3}`).
    Classic,
    /// postcard encoding of the same messages.
    Compact,
}

impl Codec {
    /// Decodes a client action payload in this encoding.
    pub fn decode_action(self, payload: &[u8]) -> Result<Action, Error> {
        match self {
            Codec::Classic => classic::decode_action(payload),
            Codec::Compact => compact::decode_action(payload),
        }
    }

    /// Encodes a client action payload (no frame header); returns its length.
    pub fn encode_action(self, a: &Action, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            Codec::Classic => classic::encode_action(a, out),
            Codec::Compact => compact::encode_action(a, out),
        }
    }

    /// Encodes a server reply payload (no frame header); returns its length.
    pub fn encode_reply(self, r: &Reply, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            Codec::Classic => classic::encode_reply(r, out),
            Codec::Compact => compact::encode_reply(r, out),
        }
    }

    /// Upper bound of a reply payload in this encoding (always `<= MAX_FRAME`).
    pub const fn max_reply_payload(self) -> usize {
        match self {
            Codec::Classic => classic::MAX_REPLY_PAYLOAD,
            Codec::Compact => compact::MAX_REPLY_PAYLOAD,
        }
    }
}
