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
//! - `classic`: the lecture's JSON encoding (port 8080): hand-written on the
//!   server side, serde-json-core for the client's reply decoder (cargo
//!   feature `classic`).
//! - `compact`: the postcard encoding (port 8081), documented byte by byte
//!   in `docs/PROTOCOL.md` (cargo feature `compact`).
//! - [`Error`]: one error type that names every failure; its
//!   [`Error::code`] is what travels in a reply's `error` field.
//!
//! ## Cargo features
//!
//! Each codec is a feature, both on by default: `classic` (pulls in
//! serde-json-core and heapless) and `compact` (pulls in postcard). A board
//! short of flash can leave one out. [`Codec`] keeps both variants either
//! way, because the port mapping is part of the wire contract; a disabled
//! codec decodes and encodes nothing: every call returns
//! [`Error::CodecDisabled`], a fatal error, and the server closes such
//! connections without a reply.
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

#[cfg(feature = "classic")]
pub mod classic;
#[cfg(feature = "compact")]
pub mod compact;
mod digits;
mod error;
pub mod frame;
pub mod message;
#[cfg(all(test, any(feature = "classic", feature = "compact")))]
mod test_util;
#[cfg(feature = "classic")]
mod utf8;
#[cfg(feature = "classic")]
mod write;
pub use digits::{decimal, U64_DIGITS};

pub use error::Error;
pub use message::{Action, Board, Cell, Estado, Event, Level, Refusal, Reply, COLS, ROWS};

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
const _: () = assert!(Codec::Classic.max_reply_payload() <= MAX_FRAME);
const _: () = assert!(Codec::Compact.max_reply_payload() <= MAX_FRAME);

/// [`Codec::max_reply_payload`] of a codec whose feature is off: nothing
/// is ever encoded in it, but drivers keep sizing buffers by it.
pub const DISABLED_REPLY_PAYLOAD: usize = 16;

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
    /// Whether this build carries the codec (its cargo feature is on).
    pub const fn is_enabled(self) -> bool {
        match self {
            Codec::Classic => cfg!(feature = "classic"),
            Codec::Compact => cfg!(feature = "compact"),
        }
    }

    /// Decodes a client action payload in this encoding.
    ///
    /// [`Error::CodecDisabled`] when the codec's feature is off.
    pub fn decode_action(self, payload: &[u8]) -> Result<Action, Error> {
        match self {
            #[cfg(feature = "classic")]
            Codec::Classic => classic::decode_action(payload),
            #[cfg(feature = "compact")]
            Codec::Compact => compact::decode_action(payload),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = payload;
                Err(Error::CodecDisabled)
            }
        }
    }

    /// Encodes a client action payload (no frame header); returns its length.
    ///
    /// [`Error::CodecDisabled`] when the codec's feature is off.
    pub fn encode_action(self, a: &Action, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            #[cfg(feature = "classic")]
            Codec::Classic => classic::encode_action(a, out),
            #[cfg(feature = "compact")]
            Codec::Compact => compact::encode_action(a, out),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (a, out);
                Err(Error::CodecDisabled)
            }
        }
    }

    /// Encodes a server reply payload (no frame header); returns its length.
    ///
    /// [`Error::CodecDisabled`] when the codec's feature is off.
    pub fn encode_reply(self, r: &Reply, out: &mut [u8]) -> Result<usize, Error> {
        match self {
            #[cfg(feature = "classic")]
            Codec::Classic => classic::encode_reply(r, out),
            #[cfg(feature = "compact")]
            Codec::Compact => compact::encode_reply(r, out),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (r, out);
                Err(Error::CodecDisabled)
            }
        }
    }

    /// Upper bound of a reply payload in this encoding (always `<= MAX_FRAME`);
    /// [`DISABLED_REPLY_PAYLOAD`] when the codec's feature is off.
    pub const fn max_reply_payload(self) -> usize {
        match self {
            #[cfg(feature = "classic")]
            Codec::Classic => classic::MAX_REPLY_PAYLOAD,
            #[cfg(feature = "compact")]
            Codec::Compact => compact::MAX_REPLY_PAYLOAD,
            #[allow(unreachable_patterns)]
            _ => DISABLED_REPLY_PAYLOAD,
        }
    }
}

#[cfg(test)]
mod codec_tests;
