//! Tests of [`Codec`] and [`Error`] that hold whichever codecs are built.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

#[test]
fn error_codes_round_trip_and_are_unique() {
    for (i, e) in Error::ALL.into_iter().enumerate() {
        assert_eq!(Error::from_code(e.code()), Some(e));
        for other in Error::ALL.into_iter().skip(i + 1) {
            assert_ne!(e.code(), other.code());
        }
    }
    assert_eq!(
        Error::from_code("codec_disabled"),
        Some(Error::CodecDisabled)
    );
    assert!(Error::CodecDisabled.is_fatal());
    assert_eq!(Error::from_code("nope"), None);
}

/// `Error::ALL` is in declaration order: its index is the compact
/// discriminant (the `index` column of docs/PROTOCOL.md).
#[cfg(feature = "compact")]
#[test]
fn error_all_order_is_the_compact_index() {
    let mut buf = [0u8; 4];
    for (i, e) in Error::ALL.into_iter().enumerate() {
        let used = postcard::to_slice(&e, &mut buf).unwrap();
        assert_eq!(used, &[u8::try_from(i).unwrap()]);
    }
}

#[test]
fn every_reply_bound_fits_a_frame() {
    for codec in [Codec::Classic, Codec::Compact] {
        assert!(codec.max_reply_payload() <= MAX_FRAME);
        assert!(codec.max_reply_payload() > 0);
    }
}

fn reply() -> Reply {
    Reply {
        continuar: true,
        estado: Estado::SinJuego,
        tablero: Board::default(),
        event: Event::Welcome,
        error: None,
    }
}

/// An enabled codec answers normally; a disabled one refuses everything
/// with the fatal `CodecDisabled` instead of panicking.
#[test]
fn codecs_work_or_refuse_by_feature() {
    for codec in [Codec::Classic, Codec::Compact] {
        let mut buf = [0u8; MAX_FRAME];
        let action = codec.encode_action(&Action::Move(3), &mut buf);
        let reply = codec.encode_reply(&reply(), &mut buf);
        if codec.is_enabled() {
            let n = codec.encode_action(&Action::Move(3), &mut buf).unwrap();
            assert_eq!(codec.decode_action(&buf[..n]), Ok(Action::Move(3)));
            let n = reply.unwrap();
            assert!(n <= codec.max_reply_payload());
        } else {
            assert_eq!(action, Err(Error::CodecDisabled));
            assert_eq!(reply, Err(Error::CodecDisabled));
            assert_eq!(codec.decode_action(b"\x00"), Err(Error::CodecDisabled));
            assert_eq!(codec.decode_action(b""), Err(Error::CodecDisabled));
            assert_eq!(codec.max_reply_payload(), DISABLED_REPLY_PAYLOAD);
        }
    }
    assert_eq!(Codec::Classic.is_enabled(), cfg!(feature = "classic"));
    assert_eq!(Codec::Compact.is_enabled(), cfg!(feature = "compact"));
}
