//! Tests of the frame decoder and encoders.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::MAX_FRAME_LEN;
use proptest::prelude::*;
use std::vec::Vec;

/// Feeds `chunks` one after another, collecting every frame (or the error
/// that stopped the stream).
fn decode_all<const CAP: usize>(
    dec: &mut FrameDecoder<CAP>,
    chunks: &[&[u8]],
) -> Result<Vec<Vec<u8>>, Error> {
    let mut frames = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        loop {
            let (used, got) = dec.feed(rest);
            assert!(used <= rest.len());
            match got {
                Ok(Some(payload)) => frames.push(payload.to_vec()),
                Ok(None) => {
                    assert_eq!(used, rest.len(), "Ok(None) consumes everything");
                    break;
                }
                Err(e) => return Err(e),
            }
            rest = &rest[used..];
            if rest.is_empty() {
                break;
            }
        }
    }
    Ok(frames)
}

fn stream(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = encode_frame(p, &mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn one_frame_every_chunking() {
    let bytes = stream(&[b"hola"]);
    // Every way of cutting the 8 bytes into two or three pieces.
    for a in 0..=bytes.len() {
        for b in a..=bytes.len() {
            let mut dec = FrameDecoder::<16>::new();
            let frames = decode_all(&mut dec, &[&bytes[..a], &bytes[a..b], &bytes[b..]]).unwrap();
            assert_eq!(frames, [b"hola".to_vec()], "cut at {a},{b}");
            assert!(dec.is_idle());
        }
    }
}

#[test]
fn byte_by_byte() {
    let bytes = stream(&[b"a", b"bc", b"def"]);
    let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
    let mut dec = FrameDecoder::<8>::new();
    let frames = decode_all(&mut dec, &chunks).unwrap();
    assert_eq!(frames, [b"a".to_vec(), b"bc".to_vec(), b"def".to_vec()]);
}

#[test]
fn coalesced_frames_stop_after_first() {
    let bytes = stream(&[b"uno", b"dos", b"tres"]);
    let mut dec = FrameDecoder::<8>::new();
    let (used, got) = dec.feed(&bytes);
    assert_eq!(got, Ok(Some(&b"uno"[..])));
    assert_eq!(used, 7);
    let (used2, got) = dec.feed(&bytes[used..]);
    assert_eq!(got, Ok(Some(&b"dos"[..])));
    assert_eq!(used2, 7);
    let (used3, got) = dec.feed(&bytes[used + used2..]);
    assert_eq!(got, Ok(Some(&b"tres"[..])));
    assert_eq!(used + used2 + used3, bytes.len());
    assert_eq!(dec.feed(&[]), (0, Ok(None)));
}

#[test]
fn idle_tracking() {
    let mut dec = FrameDecoder::<8>::default();
    assert!(dec.is_idle());
    assert_eq!(dec.feed(&[0, 0]), (2, Ok(None)));
    assert!(!dec.is_idle());
    assert_eq!(dec.feed(&[0, 2, b'x']), (3, Ok(None)));
    assert!(!dec.is_idle());
    assert_eq!(dec.feed(b"y"), (1, Ok(Some(&b"xy"[..]))));
    assert!(dec.is_idle());
}

#[test]
fn length_zero() {
    let mut dec = FrameDecoder::<8>::new();
    assert_eq!(
        dec.feed(&[0, 0, 0, 0, 0, 0, 0, 1, b'x']),
        (4, Err(Error::FrameEmpty))
    );
    assert_eq!(dec.failed(), Some(Error::FrameEmpty));
    assert!(!dec.is_idle());
}

#[test]
fn length_max_u32_split_header() {
    let mut dec = FrameDecoder::<MAX_FRAME>::new();
    assert_eq!(dec.feed(&[0xFF, 0xFF, 0xFF]), (3, Ok(None)));
    assert_eq!(dec.feed(&[0xFF, 1, 2, 3]), (1, Err(Error::FrameTooLarge)));
}

#[test]
fn over_capacity_and_exactly_capacity() {
    let mut dec = FrameDecoder::<4>::new();
    assert_eq!(
        dec.feed(&[0, 0, 0, 5, 1, 2, 3, 4, 5]),
        (4, Err(Error::FrameTooLarge))
    );

    let mut dec = FrameDecoder::<4>::new();
    assert_eq!(
        dec.feed(&[0, 0, 0, 4, 1, 2, 3, 4, 9]),
        (8, Ok(Some(&[1u8, 2, 3, 4][..])))
    );

    // MAX_FRAME itself, and one more.
    let mut dec = FrameDecoder::<MAX_FRAME>::new();
    let big = [7u8; MAX_FRAME];
    let bytes = stream(&[&big]);
    assert_eq!(bytes.len(), MAX_FRAME_LEN);
    assert_eq!(dec.feed(&bytes), (MAX_FRAME_LEN, Ok(Some(&big[..]))));
    let header = ((MAX_FRAME + 1) as u32).to_be_bytes();
    assert_eq!(dec.feed(&header), (4, Err(Error::FrameTooLarge)));
}

#[test]
fn zero_capacity_decoder_rejects_everything() {
    let mut dec = FrameDecoder::<0>::new();
    assert_eq!(dec.feed(&[0, 0, 0, 1, 0]), (4, Err(Error::FrameTooLarge)));
}

#[test]
fn failure_is_sticky_until_reset() {
    let mut dec = FrameDecoder::<8>::new();
    assert_eq!(dec.feed(&[0, 0, 1, 0]), (4, Err(Error::FrameTooLarge)));
    for _ in 0..3 {
        assert_eq!(
            dec.feed(&[0, 0, 0, 1, b'a']),
            (0, Err(Error::FrameTooLarge))
        );
        assert_eq!(dec.feed(&[]), (0, Err(Error::FrameTooLarge)));
    }
    dec.reset();
    assert!(dec.is_idle());
    assert_eq!(dec.feed(&[0, 0, 0, 1, b'a']), (5, Ok(Some(&b"a"[..]))));
}

#[test]
fn reset_drops_partial_frame() {
    let mut dec = FrameDecoder::<8>::new();
    assert_eq!(dec.feed(&[0, 0, 0, 3, b'a']), (5, Ok(None)));
    dec.reset();
    assert_eq!(dec.feed(&[0, 0, 0, 1, b'z']), (5, Ok(Some(&b"z"[..]))));
}

#[test]
fn header_writer() {
    let mut out = [0u8; 4];
    write_header(1, &mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 1]);
    write_header(MAX_FRAME, &mut out).unwrap();
    assert_eq!(out, [0, 0, 4, 0]);
    assert_eq!(write_header(0, &mut out), Err(Error::FrameEmpty));
    assert_eq!(
        write_header(MAX_FRAME + 1, &mut out),
        Err(Error::FrameTooLarge)
    );
    assert_eq!(write_header(3, &mut out[..3]), Err(Error::BufferTooSmall));
}

#[test]
fn frame_encoders() {
    let mut out = [0u8; 8];
    assert_eq!(encode_frame(b"abc", &mut out), Ok(7));
    assert_eq!(&out[..7], &[0, 0, 0, 3, b'a', b'b', b'c']);
    assert_eq!(encode_frame(b"abcde", &mut out), Err(Error::BufferTooSmall));
    assert_eq!(encode_frame(b"", &mut out), Err(Error::FrameEmpty));

    let n = encode_frame_with(&mut out, |p| {
        p[..2].copy_from_slice(b"ok");
        Ok(2)
    })
    .unwrap();
    assert_eq!(&out[..n], &[0, 0, 0, 2, b'o', b'k']);
    assert_eq!(
        encode_frame_with(&mut out, |_| Ok(0)),
        Err(Error::FrameEmpty)
    );
    assert_eq!(
        encode_frame_with(&mut out, |_| Ok(5)),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(
        encode_frame_with(&mut out, |_| Err(Error::InvalidJson)),
        Err(Error::InvalidJson)
    );
    assert_eq!(
        encode_frame_with(&mut out[..3], |_| Ok(1)),
        Err(Error::BufferTooSmall)
    );
    let mut big = [0u8; MAX_FRAME_LEN + 8];
    assert_eq!(
        encode_frame_with(&mut big, |_| Ok(MAX_FRAME + 1)),
        Err(Error::FrameTooLarge)
    );
}

proptest! {
    #[test]
    fn any_split_decodes_the_same_frames(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 1..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let bytes = stream(&refs);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&bytes[last..p]);
            last = p;
        }
        chunks.push(&bytes[last..]);
        let mut dec = FrameDecoder::<40>::new();
        let frames = decode_all(&mut dec, &chunks).unwrap();
        prop_assert_eq!(frames, payloads);
        prop_assert!(dec.is_idle());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
    ) {
        let mut dec = FrameDecoder::<32>::new();
        for chunk in &chunks {
            let mut rest = chunk.as_slice();
            loop {
                let (used, got) = dec.feed(rest);
                prop_assert!(used <= rest.len());
                if let Ok(Some(p)) = got {
                    prop_assert!(!p.is_empty() && p.len() <= 32);
                }
                rest = &rest[used..];
                if used == 0 || rest.is_empty() {
                    break;
                }
            }
        }
    }
}
