//! # host — the std side of cuatro
//!
//! - [`client`]: a blocking client for both codecs (used by `cuatro play`
//!   and the tests).
//! - [`commands`]: the lecture's command parser (`\juego_nuevo`, ...).
//! - [`discover`]: the boards on the link over mDNS, `.local` addresses.
//! - [`render`]: draws a board from the structured state.
//! - [`serve`]: the same sans-IO core on the kernel's TCP stack.
//! - [`strength`]: `cuatro strength`, the CPU levels' matches and their
//!   solver-labelled positions.

pub mod bench;
pub mod client;
pub mod commands;
pub mod discover;
pub mod render;
pub mod send;
pub mod serve;
pub mod strength;
pub mod suite;
