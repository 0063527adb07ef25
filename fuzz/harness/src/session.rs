//! `session`: one `Session` fed an arbitrary byte stream in arbitrary
//! pieces, with time passing between them, as a driver would.
//!
//! Invariants (SPEC.md, "Protocol"): the greeting and every reply are one
//! well-formed frame that the client's decoder reads; each complete input
//! frame (or framing error) gets exactly one reply, in order, and nothing
//! else does; a reply closes the session exactly when it says
//! `continuar: false`, which is only for `\salir`, a framing error or a
//! fatal error; a closed session takes no more input.

use crate::frame::{reference, Decoded};
use arbitrary::{Arbitrary, Unstructured};
use cuatro_core::cpu::Search;
use cuatro_core::session::{Output, Session, REPLY_CAPACITY};
use cuatro_proto::{classic, compact, Action, Codec, Error, HEADER_LEN, MAX_FRAME};

/// One driver step.
#[derive(Debug, Arbitrary)]
struct Step {
    /// Bytes received in one piece.
    bytes: Vec<u8>,
    /// Milliseconds passing before it (up to about a minute).
    wait_ms: u16,
}

/// The fuzzer's scenario.
#[derive(Debug, Arbitrary)]
struct Scenario {
    compact: bool,
    seed: u64,
    /// Well-formed frames of these actions go first (deep into games),
    /// then the raw steps.
    moves: Vec<u8>,
    steps: Vec<Step>,
}

/// What a reply frame says, read as a client would.
fn read_reply(codec: Codec, frame: &[u8]) -> (bool, Option<Error>) {
    assert!(frame.len() > HEADER_LEN, "reply shorter than a header");
    let announced = u32::from_be_bytes(frame[..HEADER_LEN].try_into().expect("4 bytes")) as usize;
    assert_eq!(
        announced,
        frame.len() - HEADER_LEN,
        "header length is not the payload's"
    );
    assert!(announced <= MAX_FRAME);
    let payload = &frame[HEADER_LEN..];
    match codec {
        Codec::Classic => {
            let r = classic::decode_reply(payload).expect("classic reply decodes");
            (r.continuar, r.error)
        }
        Codec::Compact => {
            let r = compact::decode_reply(payload).expect("compact reply decodes");
            (r.continuar, r.error)
        }
    }
}

fn action_frame(codec: Codec, action: Action) -> Vec<u8> {
    let mut payload = [0u8; MAX_FRAME];
    let n = codec.encode_action(&action, &mut payload).expect("encodes");
    let mut frame = (n as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&payload[..n]);
    frame
}

/// The target.
pub fn fuzz(data: &[u8]) {
    let Ok(scenario) = Scenario::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let codec = if scenario.compact {
        Codec::Compact
    } else {
        Codec::Classic
    };
    let mut now = 0u64;
    let mut session = Session::new(codec, scenario.seed, now);
    let mut search = Search::new();
    let mut out = [0u8; REPLY_CAPACITY];
    let n = session.greet(&mut out).expect("greeting encodes");
    let (continuar, error) = read_reply(codec, &out[..n]);
    assert!(
        continuar && error.is_none(),
        "greeting says {continuar} {error:?}"
    );

    // The stream: a new game and moves, then the fuzzer's pieces.
    let mut pieces: Vec<(u64, Vec<u8>)> = Vec::new();
    pieces.push((0, action_frame(codec, Action::NewGame)));
    for &m in scenario.moves.iter().take(64) {
        let action = match m {
            0..=6 => Action::Move(i64::from(m)),
            7 => Action::NewGame,
            8 => Action::Move(-1),
            _ => Action::Move(i64::from(m % 7)),
        };
        pieces.push((0, action_frame(codec, action)));
    }
    for step in scenario.steps {
        pieces.push((u64::from(step.wait_ms), step.bytes));
    }
    let stream: Vec<u8> = pieces.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let expected = reference(&stream, MAX_FRAME);

    let mut replies = 0usize;
    let mut closed = false;
    for (wait, piece) in &pieces {
        now += wait;
        let mut rest: &[u8] = piece;
        for _ in 0..=piece.len() {
            let (used, output) = session.handle(rest, now, &mut out, &mut search);
            assert!(used <= rest.len());
            if closed {
                assert_eq!(
                    (used, output),
                    (0, Output::Nothing),
                    "a closed session took input"
                );
                break;
            }
            match output {
                Output::Nothing => assert_eq!(used, rest.len(), "partial frame not all taken"),
                Output::Close => panic!("Close without a reply: the reply buffer is large enough"),
                Output::Reply { len, close } => {
                    let (continuar, error) = read_reply(codec, &out[..len]);
                    assert_eq!(continuar, !close, "continuar and close disagree");
                    let Some(frame) = expected.get(replies) else {
                        panic!("a reply with no complete frame to answer (reply {replies})");
                    };
                    if close {
                        let quit = matches!(frame, Decoded::Frame(p) if codec.decode_action(p) == Ok(Action::Quit));
                        let framing = matches!(frame, Decoded::Failed(_));
                        let fatal = error.is_some_and(Error::is_fatal);
                        assert!(quit || framing || fatal, "closed on {frame:?} ({error:?})");
                        closed = true;
                        assert!(session.is_closed());
                    }
                    replies += 1;
                }
            }
            rest = &rest[used..];
            if rest.is_empty() || closed {
                break;
            }
        }
        if closed {
            break;
        }
    }
    if !closed {
        assert_eq!(replies, expected.len(), "frames left unanswered");
    }
}
