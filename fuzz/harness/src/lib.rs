//! # cuatro-fuzz — the fuzz targets, as functions
//!
//! Each target takes the fuzzer's bytes, drives one part of cuatro with
//! them and checks that part's invariants, panicking when one breaks (that
//! is how libFuzzer sees a failure). The same functions serve twice:
//!
//! - `fuzz/fuzz_targets/<name>.rs` hands them to libFuzzer (`cargo fuzz
//!   run <name>`, or `fuzz/run`, which needs `cargo-fuzz`);
//! - `tests/corpus.rs` replays the committed corpus (`fuzz/corpus/<name>/`)
//!   and every crash kept (`fuzz/regressions/<name>/`) through them under
//!   plain `cargo test`, with no fuzzer installed.
//!
//! | target | what it drives | invariants |
//! |---|---|---|
//! | `frame` | `FrameDecoder`, input cut at arbitrary points | same frames and errors as one feed; a reference parser agrees |
//! | `classic_action`, `compact_action` | the server's action decoders | no panic; what decodes re-encodes and decodes the same |
//! | `classic_reply`, `compact_reply` | the client's reply decoders (an untrusted server) | no panic; what decodes re-encodes and decodes the same |
//! | `session` | a `Session` fed a byte stream in pieces, with time | one well-formed reply frame per complete input frame; closes only on `\salir`, a framing error or a fatal error |
//! | `upload` | `Upload` with arbitrary header, chunking and storage failures | `Gracias` only when every byte was stored and committed; a failure leaves nothing |
//! | `server` | the whole `Server` over an in-memory link: a smoltcp client plays while raw and mutated frames arrive | no panic; once peers are gone and time passes every timeout, no connection is left |
//! | `lan9118_rx` | the LAN9118 driver over a register file that reads back fuzzer words | no panic, no hang; frames handed up are within the buffer and MTU |
//! | `mdns` | the mDNS/DNS-SD responder, probing or ready, fed arbitrary packets from 5353 or a legacy port | no panic; every reply fits, parses whole in a third-party parser, is an authoritative response naming only our records; a legacy reply echoes the id; the name stays valid |
//! | `stellaris_rx` | the Stellaris (LM3S6965) driver over a register file that reads back fuzzer words | no panic, no hang; the RX FIFO popped only when MACNP says so, one FIFO's worth per frame at most; frames handed up within the MTU and the FIFO's bytes; receiver left on; TX frames well-formed |
//! | `w5500_rx` | the W5500 MACRAW driver over an SPI bus that reads back fuzzer bytes, with the chip's MAC filter on or (multicast asked for) off | no panic, no hang (bus transactions per call bounded); frames handed up within the MTU and the RX buffer's last bytes; without the filter only ours, broadcast or multicast; socket 0 opened only in the mode asked for; TX writes within the MTU |
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

pub mod codecs;
pub mod frame;
pub mod lan9118_rx;
pub mod link;
pub mod mdns;
pub mod server;
pub mod session;
pub mod stellaris_rx;
pub mod upload;
pub mod w5500_rx;
pub mod words;

/// A fuzz target: the fuzzer's bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name its `fuzz_targets/<name>.rs` and corpus
/// directory use.
pub const TARGETS: &[(&str, Target)] = &[
    ("frame", frame::fuzz),
    ("classic_action", codecs::classic_action),
    ("compact_action", codecs::compact_action),
    ("classic_reply", codecs::classic_reply),
    ("compact_reply", codecs::compact_reply),
    ("session", session::fuzz),
    ("upload", upload::fuzz),
    ("server", server::fuzz),
    ("lan9118_rx", lan9118_rx::fuzz),
    ("stellaris_rx", stellaris_rx::fuzz),
    ("w5500_rx", w5500_rx::fuzz),
    ("mdns", mdns::fuzz),
];
