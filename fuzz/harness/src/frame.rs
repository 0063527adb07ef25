//! `frame`: the length-prefixed frame decoder under every chunking.
//!
//! Input: one byte choosing the decoder's capacity, one byte per cut (how
//! many bytes each piece takes, up to the first `0xff`), then the stream.

use cuatro_proto::frame::FrameDecoder;
use cuatro_proto::{Error, HEADER_LEN, MAX_FRAME};

/// A small capacity makes `FrameTooLarge` easy to reach; the real one is
/// what the server uses.
const SMALL_CAP: usize = 16;

/// What one frame of the stream turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame's payload.
    Frame(Vec<u8>),
    /// A header announcing 0 or more than the capacity.
    Failed(Error),
}

/// The stream parsed by the wire format's definition: what a decoder of
/// capacity `cap` must report, frame by frame, up to the first error.
pub fn reference(stream: &[u8], cap: usize) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= HEADER_LEN {
        let (header, body) = rest.split_at(HEADER_LEN);
        let len = u32::from_be_bytes(header.try_into().expect("4 bytes")) as usize;
        if len == 0 {
            out.push(Decoded::Failed(Error::FrameEmpty));
            break;
        }
        if len > cap {
            out.push(Decoded::Failed(Error::FrameTooLarge));
            break;
        }
        if body.len() < len {
            break;
        }
        out.push(Decoded::Frame(body[..len].to_vec()));
        rest = &body[len..];
    }
    out
}

/// Feeds `pieces` in order; returns what came out, up to the first error.
fn decode<const CAP: usize>(pieces: &[&[u8]]) -> Vec<Decoded> {
    let mut decoder = FrameDecoder::<CAP>::new();
    let mut out = Vec::new();
    for piece in pieces {
        let mut rest: &[u8] = piece;
        // Each call consumes at least one byte or ends the piece.
        for _ in 0..=piece.len() {
            let (used, result) = decoder.feed(rest);
            assert!(used <= rest.len(), "consumed {used} of {}", rest.len());
            match result {
                Ok(Some(payload)) => {
                    assert!(!payload.is_empty() && payload.len() <= CAP);
                    out.push(Decoded::Frame(payload.to_vec()));
                }
                Ok(None) => assert_eq!(used, rest.len(), "stopped mid-piece with no frame"),
                Err(e) => {
                    assert_eq!(decoder.failed(), Some(e));
                    // Stays failed, consuming nothing.
                    assert_eq!(decoder.feed(b"more").0, 0);
                    out.push(Decoded::Failed(e));
                    return out;
                }
            }
            rest = &rest[used..];
            if rest.is_empty() {
                break;
            }
        }
    }
    out
}

/// Splits `stream` at the cuts (piece lengths; what is left is the last).
fn split<'a>(stream: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = stream;
    for &cut in cuts {
        let n = usize::from(cut).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        pieces.push(piece);
        rest = tail;
    }
    pieces.push(rest);
    pieces
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Some((&cap, rest)) = data.split_first() else {
        return;
    };
    let ncuts = rest.iter().position(|&b| b == 0xff).unwrap_or(rest.len());
    let (cuts, stream) = rest.split_at(ncuts);
    let stream = stream.get(1..).unwrap_or_default();
    let pieces = split(stream, cuts);
    let (whole, chunked, cap) = if cap & 1 == 0 {
        (
            decode::<SMALL_CAP>(&[stream]),
            decode::<SMALL_CAP>(&pieces),
            SMALL_CAP,
        )
    } else {
        (
            decode::<MAX_FRAME>(&[stream]),
            decode::<MAX_FRAME>(&pieces),
            MAX_FRAME,
        )
    };
    assert_eq!(chunked, whole, "chunking changed the frames");
    assert_eq!(
        whole,
        reference(stream, cap),
        "decoder and definition disagree"
    );
}
