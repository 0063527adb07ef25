//! Delivery: pipelined actions (valid and not) answered in order, one byte
//! per segment, a half-closed client, and a client that does not read.

use super::Bystander;
use crate::{action_frame, frame, Refereed, Target};
use cuatro_proto::{Action, Codec, Error};
use std::io::Write;
use std::time::Duration;

/// `n` actions in one write: `n` replies, in order, each refereed.
pub fn pipelined(t: &Target, codec: Codec, n: usize) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "pipeliner");
    let mut actions = Vec::new();
    for i in 0..n {
        actions.push(if i % 15 == 0 {
            Action::NewGame
        } else {
            Action::Move((i % 7) as i64)
        });
    }
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    v.client.send_raw(&bytes).expect("send");
    for a in &actions {
        v.expect_reply(a);
    }
    by.check();
    v.quit();
}

/// Valid and invalid frames mixed in one write: answered in order.
pub fn pipelined_mixed(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.classic, Codec::Classic, "pipeliner");
    let mut bytes = Vec::new();
    bytes.extend(frame(b"garbage"));
    bytes.extend(action_frame(Codec::Classic, &Action::NewGame));
    bytes.extend(frame(br#"{"tipo": "\\jugada", "data": "3"}"#));
    bytes.extend(action_frame(Codec::Classic, &Action::Move(3)));
    bytes.extend(frame(br#"{"tipo": "\\nada"}"#));
    bytes.extend(action_frame(Codec::Classic, &Action::Move(3)));
    bytes.extend(action_frame(Codec::Classic, &Action::Quit));
    // Anything after \salir must be ignored.
    bytes.extend(action_frame(Codec::Classic, &Action::NewGame));
    v.client.send_raw(&bytes).expect("send");
    v.expect_error(Error::InvalidJson, true, "garbage");
    v.expect_reply(&Action::NewGame);
    v.expect_error(Error::WrongType, true, "data \"3\"");
    v.expect_reply(&Action::Move(3));
    v.expect_error(Error::UnknownTipo, true, "\\nada");
    v.expect_reply(&Action::Move(3));
    v.expect_reply(&Action::Quit);
    assert!(
        v.client.closed_by_server(),
        "not closed after \\salir (with data after it)"
    );
    by.check();
}

/// Every byte in its own segment: the same replies.
pub fn byte_by_byte(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "trickler");
    for a in [
        Action::NewGame,
        Action::Move(3),
        Action::Move(3),
        Action::Move(-2),
    ] {
        for b in action_frame(codec, &a) {
            v.client.stream().write_all(&[b]).expect("send a byte");
            std::thread::sleep(Duration::from_millis(3));
        }
        v.expect_reply(&a);
    }
    by.check();
    v.quit();
}

/// A client that sends its actions and then shuts down its write half
/// (FIN) still gets every reply, then the server closes.
pub fn half_close(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "half-closer");
    let actions = [Action::NewGame, Action::Move(2), Action::Move(4)];
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    v.client.send_raw(&bytes).expect("send");
    v.client
        .stream()
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    for a in &actions {
        v.expect_reply(a);
    }
    assert!(
        v.client.closed_by_server(),
        "server did not close after the client's FIN"
    );
    by.check();
}

/// A client that pipelines `n` actions while not reading for a while: the
/// server stops reading (backpressure) rather than dropping or corrupting
/// replies; all `n` replies arrive, in order; the bystander is unaffected
/// meanwhile.
pub fn slow_reader(t: &Target, codec: Codec, n: usize) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.addr(codec), codec, "slow reader");
    let actions: Vec<Action> = (0..n)
        .map(|i| {
            if i % 20 == 0 {
                Action::NewGame
            } else {
                Action::Move((i % 7) as i64)
            }
        })
        .collect();
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    let mut writer = v.client.stream().try_clone().expect("clone");
    let w = std::thread::spawn(move || writer.write_all(&bytes));
    // Not reading: the bystander plays meanwhile.
    by.keep_playing_for(Duration::from_millis(1000));
    for a in &actions {
        v.expect_reply(a);
    }
    w.join()
        .expect("writer thread")
        .expect("writing the pipelined actions");
    by.check();
    v.quit();
}
