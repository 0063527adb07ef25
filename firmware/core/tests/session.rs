//! The sans-IO session against hostile and awkward input, no network.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use cuatro_core::cpu::Search;
use cuatro_core::session::{Output, Session, REPLY_CAPACITY};
use cuatro_proto::{
    classic, compact, frame, Action, Cell, Codec, Error, Estado, Event, Refusal, Reply,
};
use proptest::prelude::*;

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; payload.len() + 4];
    let n = frame::encode_frame(payload, &mut out).unwrap();
    out.truncate(n);
    out
}

fn action(codec: Codec, a: Action) -> Vec<u8> {
    let mut p = [0u8; 256];
    let n = codec.encode_action(&a, &mut p).unwrap();
    framed(&p[..n])
}

fn decode(codec: Codec, frame: &[u8]) -> Reply {
    let payload = &frame[4..];
    match codec {
        Codec::Compact => compact::decode_reply(payload).unwrap(),
        Codec::Classic => {
            let r = classic::decode_reply(payload).unwrap();
            Reply {
                continuar: r.continuar,
                estado: r.estado,
                tablero: r.tablero,
                event: Event::Failed,
                error: r.error,
            }
        }
    }
}

/// Feeds `input` in one go; returns every reply and whether the session asked to close.
fn feed(s: &mut Session, input: &[u8]) -> (Vec<Reply>, bool) {
    let mut out = [0u8; REPLY_CAPACITY];
    let mut search = Search::new();
    let mut replies = Vec::new();
    let mut rest = input;
    for _ in 0..10_000 {
        let (n, o) = s.handle(rest, 0, &mut out, &mut search);
        rest = &rest[n..];
        match o {
            Output::Reply { len, close } => {
                replies.push(decode(s.codec(), &out[..len]));
                if close {
                    return (replies, true);
                }
            }
            Output::Close => return (replies, true),
            Output::Nothing if rest.is_empty() || n == 0 => break,
            Output::Nothing => {}
        }
        if rest.is_empty() {
            break;
        }
    }
    (replies, false)
}

fn new_game(codec: Codec) -> Session {
    let mut s = Session::new(codec, 3, 0);
    let (r, _) = feed(&mut s, &action(codec, Action::NewGame));
    assert_eq!(r[0].estado, Estado::Jugando);
    s
}

#[test]
fn classic_errors_keep_the_connection_and_the_game() {
    let cases: &[(&[u8], Error)] = &[
        (b"{\"tipo\": ", Error::InvalidJson),
        (b"not json", Error::InvalidJson),
        (b"{\"tipo\": \"\\\\jug\xffada\"}", Error::InvalidUtf8),
        (b"{\"tipo\": 5}", Error::WrongType),
        (
            b"{\"tipo\": \"\\\\jugada\", \"data\": \"3\"}",
            Error::WrongType,
        ),
        (b"{\"tipo\": \"\\\\bailar\"}", Error::UnknownTipo),
        (b"{\"data\": 3}", Error::MissingField),
        (b"{\"tipo\": \"\\\\jugada\"}", Error::MissingField),
        (
            b"{\"tipo\": \"\\\\jugada\", \"data\": 99999999999999999999999}",
            Error::NumberOutOfRange,
        ),
    ];
    for (payload, expected) in cases {
        let mut s = new_game(Codec::Classic);
        let (_, _) = feed(&mut s, &action(Codec::Classic, Action::Move(3)));
        let (before, _) = feed(&mut s, &action(Codec::Classic, Action::Move(6)));
        let (r, close) = feed(&mut s, &framed(payload));
        assert!(!close, "{payload:?}");
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].error,
            Some(*expected),
            "{}",
            String::from_utf8_lossy(payload)
        );
        assert!(r[0].continuar);
        assert_eq!(r[0].tablero, before[0].tablero, "the game is untouched");
        assert_eq!(r[0].estado, Estado::Jugando);
        // The framing is still in sync: the next action works.
        let (r, _) = feed(&mut s, &action(Codec::Classic, Action::Move(0)));
        assert_eq!(r[0].error, None);
        assert_eq!(r[0].tablero.cells[5][0], Cell::Player);
    }
}

#[test]
fn deep_nesting_is_refused_not_recursed() {
    let mut payload = b"{\"tipo\": \"\\\\salir\", \"x\": ".to_vec();
    payload.extend(std::iter::repeat_n(b'[', 480));
    payload.extend(std::iter::repeat_n(b']', 480));
    payload.push(b'}');
    let mut s = new_game(Codec::Classic);
    let (r, close) = feed(&mut s, &framed(&payload));
    assert!(!close);
    assert_eq!(r[0].error, Some(Error::TooDeep));
}

#[test]
fn framing_errors_answer_once_then_close() {
    for codec in [Codec::Classic, Codec::Compact] {
        for header in [[0u8, 0, 0, 0], [0xff, 0xff, 0xff, 0xff], [0, 0, 4, 1]] {
            let mut s = new_game(codec);
            let mut input = header.to_vec();
            input.extend_from_slice(&[b'x'; 64]);
            let (r, close) = feed(&mut s, &input);
            assert!(close);
            assert_eq!(r.len(), 1);
            assert!(!r[0].continuar);
            let e = r[0].error.unwrap();
            assert!(
                matches!(e, Error::FrameEmpty | Error::FrameTooLarge),
                "{e:?}"
            );
            assert!(s.is_closed());
            // Nothing more is taken.
            let (r, _) = feed(&mut s, &action(codec, Action::NewGame));
            assert!(r.is_empty());
        }
    }
}

#[test]
fn a_frame_of_exactly_max_is_read() {
    let mut payload = b"{\"tipo\": \"\\\\juego_nuevo\", \"pad\": \"".to_vec();
    payload.resize(cuatro_proto::MAX_FRAME - 2, b'a');
    payload.extend_from_slice(b"\"}");
    assert_eq!(payload.len(), cuatro_proto::MAX_FRAME);
    let mut s = Session::new(Codec::Classic, 1, 0);
    let (r, close) = feed(&mut s, &framed(&payload));
    assert!(!close);
    assert_eq!(r[0].error, None);
    assert_eq!(r[0].estado, Estado::Jugando);
}

#[test]
fn refused_moves_leave_the_game_unchanged() {
    for codec in [Codec::Classic, Codec::Compact] {
        let mut s = Session::new(codec, 9, 0);
        let (r, _) = feed(&mut s, &action(codec, Action::Move(3)));
        assert_eq!(r[0].estado, Estado::SinJuego);
        if codec == Codec::Compact {
            assert_eq!(r[0].event, Event::Refused(Refusal::NoGame));
        }
        let mut s = new_game(codec);
        for bad in [-5, 7, 1_000_000, i64::MIN, i64::MAX] {
            let (r, close) = feed(&mut s, &action(codec, Action::Move(bad)));
            assert!(!close && r[0].continuar && r[0].error.is_none());
            assert_eq!(r[0].tablero, Default::default());
            if codec == Codec::Compact {
                assert_eq!(r[0].event, Event::Refused(Refusal::OutOfRange(bad)));
            }
        }
    }
}

#[test]
fn pipelined_and_byte_by_byte_give_the_same_replies() {
    for codec in [Codec::Classic, Codec::Compact] {
        let mut stream = action(codec, Action::NewGame);
        for c in [3, 3, 2, 9, 4, 0] {
            stream.extend(action(codec, Action::Move(c)));
        }
        let mut a = Session::new(codec, 5, 0);
        let (all_at_once, _) = feed(&mut a, &stream);
        assert_eq!(all_at_once.len(), 7);
        let mut b = Session::new(codec, 5, 0);
        let mut one_by_one = Vec::new();
        for byte in &stream {
            one_by_one.extend(feed(&mut b, std::slice::from_ref(byte)).0);
        }
        assert_eq!(all_at_once, one_by_one);
    }
}

#[test]
fn quit_answers_then_closes() {
    for codec in [Codec::Classic, Codec::Compact] {
        let mut s = new_game(codec);
        let (r, close) = feed(&mut s, &action(codec, Action::Quit));
        assert!(close);
        assert!(!r[0].continuar);
        assert_eq!(r[0].error, None);
    }
}

#[test]
fn every_game_ends_and_is_forgotten() {
    for seed in 0..50 {
        let mut s = Session::new(Codec::Compact, seed, 0);
        feed(&mut s, &action(Codec::Compact, Action::NewGame));
        let mut moves = 0;
        let last = loop {
            let col = (seed as i64 + moves) % 7;
            let (r, _) = feed(&mut s, &action(Codec::Compact, Action::Move(col)));
            moves += 1;
            assert!(moves < 200);
            if r[0].estado != Estado::Jugando {
                break r[0];
            }
        };
        assert!(matches!(
            last.estado,
            Estado::Ganaste | Estado::Perdiste | Estado::Empate
        ));
        let (r, _) = feed(&mut s, &action(Codec::Compact, Action::Move(0)));
        assert_eq!(
            r[0].event,
            Event::Refused(Refusal::NoGame),
            "a finished game is forgotten"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes never panic a session, and every reply fits its
    /// output buffer and decodes.
    #[test]
    fn arbitrary_bytes_never_panic(codec in prop_oneof![Just(Codec::Classic), Just(Codec::Compact)],
                                   chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let mut s = Session::new(codec, 1, 0);
        for c in &chunks {
            let _ = feed(&mut s, c);
        }
    }

    /// Valid frames with arbitrary JSON-ish payloads never panic either:
    /// one reply each, and the session closes only if the payload is the
    /// codec's `\salir` (a random one-byte compact payload can be: `[2]`).
    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 1..1024)) {
        for codec in [Codec::Classic, Codec::Compact] {
            let mut s = new_game(codec);
            let (r, close) = feed(&mut s, &framed(&payload));
            let salir = codec.decode_action(&payload) == Ok(Action::Quit);
            prop_assert_eq!(close, salir, "{:?} {:?}", codec, payload);
            prop_assert_eq!(r.len(), 1);
        }
    }
}
