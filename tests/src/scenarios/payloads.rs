//! Payloads inside well-formed frames: invalid JSON, UTF-8, types, `tipo`,
//! nesting, numbers, compact garbage (each an error reply that keeps the
//! connection), and the JSON spellings that must parse.

use super::{victim, Bystander};
use crate::{frame, Refereed, Rng, Target};
use cuatro_proto::{Action, Codec, Error, MAX_FRAME};

/// Sends `payload` in a frame on a classic victim; expects error `code`
/// (connection kept), then checks a valid action still gets its reply.
fn bad_payload(v: &mut Refereed, payload: &[u8], code: Error, rng: &mut Rng) {
    let what = format!("payload {:?}", String::from_utf8_lossy(payload));
    v.client.send_raw(&frame(payload)).expect("send");
    v.expect_error(code, true, &what);
    // The framing is still in sync: the next valid action is answered.
    v.step(rng);
}

/// Truncated and otherwise invalid JSON: `invalid_json`, connection kept.
pub fn invalid_json(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(1);
    for p in [
        &br#"{"tipo": "\\jugada", "da"#[..],
        br#"{"tipo": "\\juego_nuevo""#,
        b"not json at all",
        br#"{"tipo": "\\salir",}"#,
        br#"{'tipo': '\\salir'}"#,
        br#"{"tipo": "\\salir"} {"tipo": "\\salir"}"#,
        b"{",
        b" ",
    ] {
        bad_payload(&mut v, p, Error::InvalidJson, &mut rng);
    }
    by.check();
    v.quit();
}

/// Invalid UTF-8: `invalid_utf8`, connection kept.
pub fn invalid_utf8(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(2);
    for p in [
        &[0xFF, 0xFE, b'{', b'}'][..],
        b"{\"tipo\": \"\\\\salir\xC3\"}",
        b"{\"tipo\": \"\\\\salir\", \"x\": \"\xED\xA0\x80\"}",
    ] {
        bad_payload(&mut v, p, Error::InvalidUtf8, &mut rng);
    }
    by.check();
    v.quit();
}

/// Wrong JSON types and missing fields.
pub fn wrong_types(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(3);
    for (p, code) in [
        (
            &br#"{"tipo": "\\jugada", "data": "3"}"#[..],
            Error::WrongType,
        ),
        (br#"{"tipo": 5}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": 3.0}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": null}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": [3]}"#, Error::WrongType),
        (br#"{"tipo": ["\\salir"]}"#, Error::WrongType),
        (br#"["\\salir"]"#, Error::WrongType),
        (br#""\\salir""#, Error::WrongType),
        (b"3", Error::WrongType),
        (br#"{}"#, Error::MissingField),
        (br#"{"data": 3}"#, Error::MissingField),
        (br#"{"tipo": "\\jugada"}"#, Error::MissingField),
    ] {
        bad_payload(&mut v, p, code, &mut rng);
    }
    by.check();
    v.quit();
}

/// Unknown `tipo`: `unknown_tipo`, connection kept.
pub fn unknown_tipo(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(4);
    for p in [
        &br#"{"tipo": "\\bailar"}"#[..],
        br#"{"tipo": "juego_nuevo"}"#,
        br#"{"tipo": "\\SALIR"}"#,
        br#"{"tipo": ""}"#,
        br#"{"tipo": "\\salir "}"#,
    ] {
        bad_payload(&mut v, p, Error::UnknownTipo, &mut rng);
    }
    by.check();
    v.quit();
}

/// `{"tipo": "\\salir", "x": [[[[...500...]]]]}`: `too_deep`, and it is
/// not taken as `\salir`.
pub fn deep_nesting(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(5);
    let mut p = br#"{"tipo": "\\salir", "x": "#.to_vec();
    p.extend(std::iter::repeat_n(b'[', 490));
    p.extend(std::iter::repeat_n(b']', 490));
    p.push(b'}');
    assert!(p.len() <= MAX_FRAME);
    bad_payload(&mut v, &p, Error::TooDeep, &mut rng);
    // Unbalanced deep nesting too (would also be invalid JSON).
    let deep = vec![b'['; 1000];
    bad_payload(&mut v, &deep, Error::TooDeep, &mut rng);
    let mut objs = Vec::new();
    for _ in 0..100 {
        objs.extend_from_slice(br#"{"a":"#);
    }
    objs.extend_from_slice(b"1");
    objs.extend(std::iter::repeat_n(b'}', 100));
    bad_payload(&mut v, &objs, Error::TooDeep, &mut rng);
    by.check();
    v.quit();
}

/// Integers: beyond i64 → `number_out_of_range`; any other column outside
/// 0..6 → a refused move, board unchanged, `continuar: true`.
pub fn numbers_out_of_range(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(6);
    for p in [
        &br#"{"tipo": "\\jugada", "data": 99999999999999999999999}"#[..],
        br#"{"tipo": "\\jugada", "data": 9223372036854775808}"#,
        br#"{"tipo": "\\jugada", "data": -9223372036854775809}"#,
    ] {
        bad_payload(&mut v, p, Error::NumberOutOfRange, &mut rng);
    }
    for (text, n) in [
        ("-5", -5i64),
        ("1000000", 1_000_000),
        ("7", 7),
        ("-1", -1),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
    ] {
        let p = format!(r#"{{"tipo": "\\jugada", "data": {text}}}"#);
        v.client.send_raw(&frame(p.as_bytes())).expect("send");
        let r = v.expect_reply(&Action::Move(n));
        assert!(r.continuar && r.error.is_none(), "move {n}: {r:?}");
    }
    by.check();
    v.quit();

    // The same on the compact port.
    let mut v = victim(t, Codec::Compact, "compact victim");
    for n in [-5i64, 7, 1_000_000, i64::MAX, i64::MIN] {
        v.act(Action::Move(n));
    }
    by.check();
    v.quit();
}

/// Invalid compact payloads: `invalid_compact`, connection kept.
pub fn compact_garbage(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Compact, "compact victim");
    let mut rng = Rng::new(8);
    for p in [
        &[0x07][..],
        &[0x01],                   // Move without its column
        &[0x00, 0x00],             // trailing byte
        &[0x01, 0xFF, 0xFF, 0xFF], // unterminated varint
        &[
            0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        ],
        b"{\"tipo\": \"\\\\salir\"}", // JSON on the compact port
    ] {
        v.client.send_raw(&frame(p)).expect("send");
        v.expect_error(
            Error::InvalidCompact,
            true,
            &format!("compact payload {p:02x?}"),
        );
        v.step(&mut rng);
    }
    by.check();
    v.quit();
}

/// What Python's `json.dumps` (and people) may send: separators, indent,
/// key order, extra keys, escapes. All must parse as the same actions.
pub fn json_variants(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.classic, Codec::Classic, "variants");
    let cases: [(&str, Action); 12] = [
        (r#"{"tipo":"\\juego_nuevo"}"#, Action::NewGame),
        (r#"{"tipo":"\\jugada","data":3}"#, Action::Move(3)),
        (
            "{\n  \"tipo\": \"\\\\jugada\",\n  \"data\": 2\n}",
            Action::Move(2),
        ),
        (r#"{"data": 4, "tipo": "\\jugada"}"#, Action::Move(4)),
        (
            r#"{"tipo": "\\jugada", "data": 1, "extra": {"a": [1, 2.5, null, true]}}"#,
            Action::Move(1),
        ),
        (r#"{"tipo": "\u005cjugada", "data": 0}"#, Action::Move(0)),
        (r#"{"ti\u0070o": "\\jugada", "data": 5}"#, Action::Move(5)),
        (
            " \t\r\n{\"tipo\": \"\\\\jugada\", \"data\": 6} \n",
            Action::Move(6),
        ),
        (r#"{"tipo": "\\jugada", "data": -0}"#, Action::Move(0)),
        (
            r#"{"tipo": "\\salir", "tipo": "\\jugada", "data": 3}"#,
            Action::Move(3),
        ),
        (
            r#"{"tipo": "\\juego_nuevo", "data": "ignored"}"#,
            Action::NewGame,
        ),
        (r#"{"tipo" : "\\jugada" , "data" : 3 }"#, Action::Move(3)),
    ];
    for (p, action) in cases {
        v.client.send_raw(&frame(p.as_bytes())).expect("send");
        v.expect_reply(&action);
    }
    by.check();
    v.client
        .send_raw(&frame(br#"{"tipo":"\\salir"}"#))
        .expect("send");
    v.expect_reply(&Action::Quit);
    assert!(
        v.client.closed_by_server(),
        "not closed after a compact \\salir"
    );
}
