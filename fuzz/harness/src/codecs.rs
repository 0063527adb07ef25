//! The codecs' decoders: the server's (actions from any client) and the
//! host client's (replies from any server). A payload that decodes must
//! re-encode to something that decodes to the same value.

use cuatro_proto::{classic, compact, Action, MAX_FRAME};

fn action_round_trip(
    action: Action,
    encode: fn(&Action, &mut [u8]) -> Result<usize, cuatro_proto::Error>,
    decode: fn(&[u8]) -> Result<Action, cuatro_proto::Error>,
) {
    let mut buf = [0u8; MAX_FRAME];
    let n = encode(&action, &mut buf).expect("a decoded action re-encodes");
    assert_eq!(
        decode(&buf[..n]),
        Ok(action),
        "re-encoded action decodes differently"
    );
}

/// `classic_action`: `classic::decode_action`.
pub fn classic_action(data: &[u8]) {
    if let Ok(action) = classic::decode_action(data) {
        action_round_trip(action, classic::encode_action, classic::decode_action);
    }
}

/// `compact_action`: `compact::decode_action`.
pub fn compact_action(data: &[u8]) {
    if let Ok(action) = compact::decode_action(data) {
        action_round_trip(action, compact::encode_action, compact::decode_action);
    }
}

/// `classic_reply`: `classic::decode_reply` (what `cuatro play --classic`
/// reads from a server).
pub fn classic_reply(data: &[u8]) {
    let Ok(reply) = classic::decode_reply(data) else {
        return;
    };
    assert!(reply.mensaje.len() <= classic::MAX_MENSAJE);
    // The fields round-trip through a reply of the same shape (the text is
    // rendered anew, so only the structured fields are compared).
    let again = cuatro_proto::Reply {
        continuar: reply.continuar,
        estado: reply.estado,
        tablero: reply.tablero,
        event: cuatro_proto::Event::Failed,
        error: reply.error,
    };
    let mut buf = [0u8; MAX_FRAME];
    let n = classic::encode_reply(&again, &mut buf).expect("a decoded reply re-encodes");
    let back = classic::decode_reply(&buf[..n]).expect("a re-encoded reply decodes");
    assert_eq!(
        (back.continuar, back.estado, back.tablero, back.error),
        (reply.continuar, reply.estado, reply.tablero, reply.error)
    );
}

/// `compact_reply`: `compact::decode_reply`.
pub fn compact_reply(data: &[u8]) {
    let Ok(reply) = compact::decode_reply(data) else {
        return;
    };
    let mut buf = [0u8; MAX_FRAME];
    let n = compact::encode_reply(&reply, &mut buf).expect("a decoded reply re-encodes");
    assert_eq!(compact::decode_reply(&buf[..n]), Ok(reply));
}
