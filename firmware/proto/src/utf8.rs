//! UTF-8 validation (RFC 3629) for classic payloads, byte by byte.
//!
//! `core::str::from_utf8` is faster on long ASCII runs (it checks a word
//! at a time) but costs 364 B of flash on a Cortex-M3 against about 100 B
//! here; a payload is at most [`crate::MAX_FRAME`] bytes, so the simple
//! loop is what a board wants. Accepts exactly what `from_utf8` accepts
//! (the tests compare the two on every sequence of up to three bytes and
//! on random strings): no overlong forms, no surrogates, nothing above
//! U+10FFFF, no truncated sequence.

/// Whether `bytes` are valid UTF-8.
pub fn is_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let Some((&lead, tail)) = rest.split_first() {
        rest = tail;
        // Continuation bytes and the smallest code point of the length.
        let (n, min) = match lead {
            0x00..=0x7f => continue,
            0xc2..=0xdf => (1, 0x80),
            0xe0..=0xef => (2, 0x800),
            0xf0..=0xf4 => (3, 0x1_0000),
            _ => return false,
        };
        let mut cp = u32::from(lead) & (0x3f >> n);
        for _ in 0..n {
            match rest.split_first() {
                Some((&b, tail)) if b & 0xc0 == 0x80 => {
                    cp = cp << 6 | u32::from(b & 0x3f);
                    rest = tail;
                }
                _ => return false,
            }
        }
        if cp < min || cp > 0x10_ffff || (0xd800..=0xdfff).contains(&cp) {
            return false;
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::is_utf8;

    fn agrees(b: &[u8]) {
        assert_eq!(is_utf8(b), core::str::from_utf8(b).is_ok(), "{b:02x?}");
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes() {
        agrees(&[]);
        for a in 0..=255u8 {
            agrees(&[a]);
            for b in 0..=255u8 {
                agrees(&[a, b]);
                // Three bytes: every lead that starts a sequence, all of
                // its continuations (the other leads fail on their own).
                if a >= 0xc0 {
                    for c in 0..=255u8 {
                        agrees(&[a, b, c]);
                    }
                }
            }
        }
    }

    #[test]
    fn four_byte_edges_and_random_strings() {
        for lead in 0xf0..=0xf7u8 {
            for b in 0x80..=0xbfu8 {
                for c in [0x80u8, 0xbf, 0x7f, 0xc0] {
                    for d in [0x80u8, 0xbf, 0x00, 0xff] {
                        agrees(&[lead, b, c, d]);
                        agrees(&[b'a', lead, b, c, d, b'z']);
                    }
                }
            }
        }
        for s in [
            "",
            "hola",
            "ñandú",
            "€",
            "𝄞 clef",
            "\u{10ffff}",
            "\u{d7ff}\u{e000}",
        ] {
            assert!(is_utf8(s.as_bytes()), "{s}");
        }
        // A seeded xorshift: bytes biased toward the interesting ranges.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut buf = [0u8; 24];
        for _ in 0..200_000 {
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let r = (x >> 32) as u8;
                *b = match x % 4 {
                    0 => r & 0x7f,
                    1 => 0x80 | (r & 0x3f),
                    2 => 0xc0 | (r & 0x3f),
                    _ => r,
                };
            }
            let len = (x % 25) as usize;
            agrees(&buf[..len]);
        }
    }
}
