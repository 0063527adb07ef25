//! Tests of the compact (postcard) codec.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::message::{Board, Cell, Estado, Event, Level, Refusal};
use crate::test_util::{all_replies, ACTIONS};
use proptest::prelude::*;

fn enc_action(a: Action) -> std::vec::Vec<u8> {
    let mut buf = [0u8; 32];
    let n = encode_action(&a, &mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn action_bytes() {
    assert_eq!(enc_action(Action::NewGame), [0x00]);
    assert_eq!(enc_action(Action::Move(0)), [0x01, 0x00]);
    assert_eq!(enc_action(Action::Move(3)), [0x01, 0x06]);
    assert_eq!(enc_action(Action::Move(-1)), [0x01, 0x01]);
    assert_eq!(enc_action(Action::Move(64)), [0x01, 0x80, 0x01]);
    assert_eq!(enc_action(Action::Quit), [0x02]);
    assert_eq!(
        enc_action(Action::NewGameAt(Level::Aleatorio)),
        [0x03, 0x00]
    );
    assert_eq!(enc_action(Action::NewGameAt(Level::Facil)), [0x03, 0x01]);
    assert_eq!(enc_action(Action::NewGameAt(Level::Dificil)), [0x03, 0x02]);
    let min = enc_action(Action::Move(i64::MIN));
    assert_eq!(min.len(), MAX_ACTION_PAYLOAD);
    assert_eq!(
        min,
        [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
    );
}

#[test]
fn action_round_trips() {
    for a in ACTIONS {
        assert_eq!(decode_action(&enc_action(a)), Ok(a));
    }
}

#[test]
fn action_errors() {
    assert_eq!(decode_action(&[]), Err(Error::InvalidCompact));
    assert_eq!(decode_action(&[0x04]), Err(Error::InvalidCompact));
    assert_eq!(
        decode_action(&[0x03]),
        Err(Error::InvalidCompact),
        "no level"
    );
    for b in [0x03, 0x04, 0x7F] {
        assert_eq!(decode_action(&[0x03, b]), Err(Error::BadLevel), "level {b}");
    }
    assert_eq!(
        decode_action(&[0x03, 0x80, 0x01]),
        Err(Error::InvalidCompact),
        "a two-byte level index"
    );
    assert_eq!(
        decode_action(&[0x03, 0x02, 0x00]),
        Err(Error::InvalidCompact),
        "trailing byte after a level"
    );
    assert_eq!(decode_action(&[0x01]), Err(Error::InvalidCompact));
    assert_eq!(
        decode_action(&[0x00, 0x00]),
        Err(Error::InvalidCompact),
        "trailing byte"
    );
    assert_eq!(
        decode_action(&[0x01, 0x80]),
        Err(Error::InvalidCompact),
        "truncated varint"
    );
    assert_eq!(
        decode_action(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
        Err(Error::InvalidCompact)
    );
    assert_eq!(
        encode_action(&Action::Move(64), &mut [0u8; 2]),
        Err(Error::BufferTooSmall)
    );
}

#[test]
fn reply_bytes() {
    let mut tablero = Board::default();
    tablero.cells[5][3] = Cell::Player;
    tablero.cells[5][5] = Cell::Cpu;
    let reply = Reply {
        continuar: true,
        estado: Estado::Jugando,
        tablero,
        event: Event::Refused(Refusal::OutOfRange(9)),
        error: Some(Error::ServerFull),
    };
    let mut buf = [0u8; MAX_REPLY_PAYLOAD];
    let n = encode_reply(&reply, &mut buf).unwrap();
    let mut want = std::vec![0x01, 0x01];
    let mut cells = [0u8; 42];
    cells[38] = 1;
    cells[40] = 2;
    want.extend_from_slice(&cells);
    want.extend_from_slice(&[0x03, 0x01, 0x12, 0x01, 0x0C]);
    assert_eq!(&buf[..n], &want[..]);
    assert_eq!(decode_reply(&buf[..n]), Ok(reply));
}

#[test]
fn every_reply_round_trips_within_bound() {
    let mut worst = 0;
    let mut buf = [0u8; 128];
    for reply in all_replies() {
        let n = encode_reply(&reply, &mut buf).unwrap();
        worst = worst.max(n);
        assert_eq!(decode_reply(&buf[..n]), Ok(reply));
        assert_eq!(decode_reply(&buf[..n - 1]), Err(Error::InvalidCompact));
    }
    assert_eq!(worst, MAX_REPLY_PAYLOAD);
    std::println!("worst compact reply: {worst} bytes");
}

#[test]
fn reply_rejects_bad_cells_and_trailing() {
    let reply = crate::test_util::all_replies()[0];
    let mut buf = [0u8; 128];
    let n = encode_reply(&reply, &mut buf).unwrap();
    let mut bad = buf;
    bad[2] = 3;
    assert_eq!(decode_reply(&bad[..n]), Err(Error::InvalidCompact));
    assert_eq!(decode_reply(&buf[..n + 1]), Err(Error::InvalidCompact));
    assert_eq!(
        encode_reply(&reply, &mut buf[..10]),
        Err(Error::BufferTooSmall)
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = decode_action(&bytes);
        let _ = decode_reply(&bytes);
    }

    #[test]
    fn any_move_round_trips(n in any::<i64>()) {
        prop_assert_eq!(decode_action(&enc_action(Action::Move(n))), Ok(Action::Move(n)));
    }
}

/// The worked examples of `docs/PROTOCOL.md`, whole frames.
#[test]
fn protocol_doc_examples() {
    use crate::frame::encode_frame_with;
    let frame_of = |a: Action| {
        let mut buf = [0u8; 32];
        let n = encode_frame_with(&mut buf, |p| encode_action(&a, p)).unwrap();
        buf[..n].to_vec()
    };
    assert_eq!(frame_of(Action::NewGame), [0x00, 0x00, 0x00, 0x01, 0x00]);
    assert_eq!(
        frame_of(Action::Move(3)),
        [0x00, 0x00, 0x00, 0x02, 0x01, 0x06]
    );
    assert_eq!(
        frame_of(Action::Move(-1)),
        [0x00, 0x00, 0x00, 0x02, 0x01, 0x01]
    );
    assert_eq!(
        frame_of(Action::Move(300)),
        [0x00, 0x00, 0x00, 0x03, 0x01, 0xD8, 0x04]
    );
    assert_eq!(frame_of(Action::Quit), [0x00, 0x00, 0x00, 0x01, 0x02]);

    let mut tablero = Board::default();
    tablero.cells[5][3] = Cell::Player;
    tablero.cells[5][5] = Cell::Cpu;
    let reply = Reply {
        continuar: true,
        estado: Estado::Jugando,
        tablero,
        event: Event::Played {
            player: 3,
            cpu: Some(5),
        },
        error: None,
    };
    let mut buf = [0u8; 64];
    let n = encode_frame_with(&mut buf, |p| encode_reply(&reply, p)).unwrap();
    let mut want = std::vec![0x00, 0x00, 0x00, 0x31, 0x01, 0x01];
    want.extend_from_slice(&[0x00; 35]);
    want.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00]);
    want.extend_from_slice(&[0x02, 0x03, 0x01, 0x05, 0x00]);
    assert_eq!(&buf[..n], &want[..]);

    let failed = Reply {
        continuar: false,
        estado: Estado::SinJuego,
        tablero: Board::default(),
        event: Event::Failed,
        error: Some(Error::FrameTooLarge),
    };
    let n = encode_reply(&failed, &mut buf).unwrap();
    assert_eq!(n, 47);
    assert_eq!(&buf[..2], &[0x00, 0x00]);
    assert_eq!(&buf[44..n], &[0x05, 0x01, 0x01]);
}

#[test]
fn errors_serialize_as_their_index_and_round_trip() {
    // The hand-written `Serialize` for `Error` (one byte: the variant
    // index) against the derived `Deserialize`.
    for (i, e) in Error::ALL.into_iter().enumerate() {
        let mut buf = [0u8; 4];
        let bytes = postcard::to_slice(&e, &mut buf).unwrap();
        assert_eq!(bytes, &[i as u8][..], "{e:?}");
        assert_eq!(postcard::from_bytes::<Error>(bytes).unwrap(), e);
    }
}
