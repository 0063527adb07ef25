//! Framing: lengths 0, huge and one past `MAX_FRAME` (one error reply, then
//! close), exactly `MAX_FRAME` (legal), and nothing answered after a framing
//! error.

use super::{victim, Bystander};
use crate::{action_frame, frame, raw_frame, Refereed, Target};
use cuatro_proto::{Action, Codec, Error, MAX_FRAME};

/// Length 0: `frame_empty`, `continuar: false`, closed.
pub fn frame_empty(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, codec, "victim");
    v.client.send_raw(&[0, 0, 0, 0]).expect("send");
    v.expect_error(Error::FrameEmpty, false, "a zero-length frame");
    assert!(v.client.closed_by_server(), "not closed after frame_empty");
    by.check();
}

/// Length 0xFFFFFFFF: `frame_too_large`, `continuar: false`, closed.
pub fn frame_huge(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, codec, "victim");
    v.client.send_raw(&[0xFF; 4]).expect("send");
    v.expect_error(Error::FrameTooLarge, false, "length 0xFFFFFFFF");
    assert!(
        v.client.closed_by_server(),
        "not closed after frame_too_large"
    );
    by.check();
}

/// A body of MAX_FRAME + 1 bytes: `frame_too_large`, closed.
pub fn frame_over_max(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, codec, "victim");
    let body = vec![b' '; MAX_FRAME + 1];
    // The server may close before taking the body: a failed write is fine.
    let _ = v.client.send_raw(&raw_frame(body.len() as u32, &body));
    v.expect_error(Error::FrameTooLarge, false, "a 1025-byte frame");
    assert!(
        v.client.closed_by_server(),
        "not closed after frame_too_large"
    );
    by.check();
}

/// A frame of exactly MAX_FRAME bytes is legal: a padded `\juego_nuevo`.
pub fn frame_at_max(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut payload = br#"{"tipo": "\\juego_nuevo"}"#.to_vec();
    payload.resize(MAX_FRAME, b' ');
    v.client.send_raw(&frame(&payload)).expect("send");
    v.expect_reply(&Action::NewGame);
    // And with the padding inside, in an extra string member.
    let mut payload = br#"{"tipo": "\\jugada", "data": 3, "x": ""#.to_vec();
    payload.resize(MAX_FRAME - 2, b'a');
    payload.extend_from_slice(b"\"}");
    assert_eq!(payload.len(), MAX_FRAME);
    v.client.send_raw(&frame(&payload)).expect("send");
    v.expect_reply(&Action::Move(3));
    by.check();
    v.quit();
}

/// A frame after a framing error is never answered: valid, then length 0,
/// then valid, in one write → one reply, the error, then close.
pub fn nothing_after_framing_error(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.addr(codec), codec, "desync");
    let mut bytes = action_frame(codec, &Action::NewGame);
    bytes.extend([0, 0, 0, 0]);
    bytes.extend(action_frame(codec, &Action::Move(3)));
    v.client.send_raw(&bytes).expect("send");
    v.expect_reply(&Action::NewGame);
    v.expect_error(Error::FrameEmpty, false, "length 0 after a valid frame");
    assert!(
        v.client.closed_by_server(),
        "not closed (or answered more) after the framing error"
    );
    by.check();
}
