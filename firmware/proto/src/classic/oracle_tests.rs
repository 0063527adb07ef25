//! The hand-written server-side JSON (`classic/json.rs`) against
//! serde-json-core, which did the same work until 2026-12-02: the oracle
//! below is that earlier code, kept only here. Every reply shape, and
//! generated actions and strings, must give the same bytes and the same
//! results.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::test_util::all_replies;
use crate::MAX_FRAME;
use proptest::prelude::*;
use serde::de::{self, Deserializer, Visitor};
use serde::Serialize;
use std::string::String;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

/// The reply as serde-json-core serialized it.
#[derive(Serialize)]
struct OracleReply<'a> {
    mensaje: &'a str,
    continuar: bool,
    estado: Estado,
    tablero: &'a Board,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

fn oracle_reply(reply: &Reply) -> Vec<u8> {
    let mut text = [0u8; MAX_MENSAJE];
    let len = render_mensaje(reply, &mut text).unwrap();
    let wire = OracleReply {
        mensaje: core::str::from_utf8(&text[..len]).unwrap(),
        continuar: reply.continuar,
        estado: reply.estado,
        tablero: &reply.tablero,
        error: reply.error.map(Error::code),
    };
    let mut out = [0u8; MAX_FRAME];
    let n = serde_json_core::to_slice(&wire, &mut out).unwrap();
    out[..n].to_vec()
}

/// A string as serde-json-core escaped it.
fn oracle_str(s: &str) -> Vec<u8> {
    let mut out = std::vec![0u8; s.len() * 6 + 2];
    let n = serde_json_core::to_slice(s, &mut out).unwrap();
    out.truncate(n);
    out
}

/// A string visitor that names what it saw, as the earlier decoder's did.
struct Named<const N: usize>([(&'static str, u8); N]);

impl<const N: usize> Visitor<'_> for Named<N> {
    type Value = u8;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u8, E> {
        Ok(self
            .0
            .iter()
            .find(|(name, _)| *name == v)
            .map_or(0, |&(_, id)| id))
    }
}

/// `\juego_nuevo` = 1, `\jugada` = 2, `\salir` = 3, other = 0.
struct OracleTipo(u8);
impl<'de> serde::Deserialize<'de> for OracleTipo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Named([
            ("\\juego_nuevo", 1),
            ("\\jugada", 2),
            ("\\salir", 3),
        ]))
        .map(OracleTipo)
    }
}

/// `tipo` = 1, `data` = 2, other = 0.
struct OracleKey(u8);
impl<'de> serde::Deserialize<'de> for OracleKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Named([("tipo", 1), ("data", 2)]))
            .map(OracleKey)
    }
}

/// `decode_action` as it was on serde-json-core.
fn oracle_decode_action(payload: &[u8]) -> Result<Action, Error> {
    use serde_json_core::de::Error as JsonError;
    if core::str::from_utf8(payload).is_err() {
        return Err(Error::InvalidUtf8);
    }
    let (mut tipo, mut data) = (None, None);
    let top = scan::scan(payload, |key, value| {
        let raw = &payload[key.0..key.1];
        let key = match raw {
            b"\"tipo\"" => 1,
            b"\"data\"" => 2,
            raw if raw.contains(&b'\\') => {
                let mut scratch = [0u8; KEY_SCRATCH];
                serde_json_core::from_slice_escaped::<OracleKey>(raw, &mut scratch)
                    .map_or(0, |(k, _)| k.0)
            }
            _ => 0,
        };
        match key {
            1 => tipo = Some(value),
            2 => data = Some(value),
            _ => {}
        }
    })?;
    if top != b'{' {
        return Err(Error::WrongType);
    }
    let tipo = tipo.ok_or(Error::MissingField)?;
    let mut scratch = [0u8; UNESCAPE_CAP];
    let tipo = match serde_json_core::from_slice_escaped::<OracleTipo>(
        &payload[tipo.0..tipo.1],
        &mut scratch,
    ) {
        Ok((tipo, _)) => tipo.0,
        Err(JsonError::InvalidType) => return Err(Error::WrongType),
        Err(JsonError::EscapedStringIsTooLong) => return Err(Error::StringTooLong),
        Err(_) => return Err(Error::UnknownTipo),
    };
    match tipo {
        1 => Ok(Action::NewGame),
        3 => Ok(Action::Quit),
        2 => {
            let data = data.ok_or(Error::MissingField)?;
            match serde_json_core::from_slice::<i64>(&payload[data.0..data.1]) {
                Ok((column, _)) => Ok(Action::Move(column)),
                Err(JsonError::InvalidNumber) => Err(Error::NumberOutOfRange),
                Err(_) => Err(Error::WrongType),
            }
        }
        _ => Err(Error::UnknownTipo),
    }
}

#[test]
fn every_reply_encodes_as_serde_json_core_did() {
    let mut out = [0u8; MAX_FRAME];
    for reply in all_replies() {
        let n = encode_reply(&reply, &mut out).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out[..n]),
            String::from_utf8_lossy(&oracle_reply(&reply)),
            "{reply:?}"
        );
    }
}

#[test]
fn the_oracle_agrees_on_the_pinned_cases() {
    // The cases the rest of the tests pin, through the oracle too: if the
    // oracle drifted, the generated comparisons below would prove nothing.
    for (json, want) in [
        (r#"{"tipo": "\\jugada", "data": 3}"#, Ok(Action::Move(3))),
        (
            r#"{"ti\u0070o": "\u005cjugada", "d\u0061ta": 1}"#,
            Ok(Action::Move(1)),
        ),
        (
            r#"{"tipo": "\\salir\ud83d\ude00"}"#,
            Err(Error::UnknownTipo),
        ),
        (
            r#"{"tipo": "\\jugada", "data": 3.0}"#,
            Err(Error::WrongType),
        ),
        (
            r#"{"tipo": "\\jugada", "data": 9223372036854775808}"#,
            Err(Error::NumberOutOfRange),
        ),
        (r#"{"tipo": 3}"#, Err(Error::WrongType)),
    ] {
        assert_eq!(oracle_decode_action(json.as_bytes()), want, "{json}");
        assert_eq!(decode_action(json.as_bytes()), want, "{json}");
    }
}

/// A JSON string token built from pieces that exercise every escape.
fn json_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(String::from("\\\\")),
        Just(String::from("\\\"")),
        Just(String::from("\\/")),
        Just(String::from("\\n")),
        Just(String::from("\\b\\f\\r\\t")),
        Just(String::from("\\u005c")),
        Just(String::from("\\u00e9")),
        Just(String::from("\\u20AC")),
        Just(String::from("\\ud83d\\ude00")),
        Just(String::from("\\uDFFF")),
        Just(String::from("\\u0000")),
        Just(String::from("é")),
        Just(String::from("jugada")),
        Just(String::from("juego_nuevo")),
        Just(String::from("salir")),
        Just(String::from("tipo")),
        Just(String::from("data")),
        "[a-z_]{1,40}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|p| std::format!("\"{}\"", p.concat()))
}

/// A JSON value, weighted towards what `data` and `tipo` may be.
fn json_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => json_string(),
        3 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
        1 => prop_oneof![Just("null"), Just("true"), Just("false"), Just("[]"), Just("{\"n\": [1]}")]
            .prop_map(String::from),
    ]
}

/// An object of up to five members, keys often `tipo`/`data` (also
/// escaped), with free whitespace.
fn json_action() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        3 => Just(String::from("\"tipo\"")),
        3 => Just(String::from("\"data\"")),
        1 => Just(String::from("\"ti\\u0070o\"")),
        1 => Just(String::from("\"d\\u0061ta\"")),
        1 => json_string(),
    ];
    let member = (key, json_value(), "[ \t\n]{0,2}")
        .prop_map(|(k, v, ws)| std::format!("{ws}{k}{ws}:{ws}{v}{ws}"));
    proptest::collection::vec(member, 0..5).prop_map(|m| std::format!("{{{}}}", m.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn actions_decode_as_serde_json_core_did(json in json_action()) {
        prop_assert_eq!(decode_action(json.as_bytes()), oracle_decode_action(json.as_bytes()), "{}", json);
    }

    #[test]
    fn tipo_strings_decode_as_serde_json_core_did(tipo in json_string()) {
        let json = std::format!(r#"{{"tipo": {tipo}, "data": 1}}"#);
        prop_assert_eq!(decode_action(json.as_bytes()), oracle_decode_action(json.as_bytes()), "{}", json);
    }

    #[test]
    fn strings_escape_as_serde_json_core_did(
        s in prop_oneof![any::<String>(), "[\\x00-\\x7f\u{e9}\u{20ac}\u{1f600}]{0,40}"]
    ) {
        let mut out = std::vec![0u8; s.len() * 6 + 2];
        let mut w = Cursor::new(&mut out);
        json::emit_str(&mut w, s.as_bytes()).unwrap();
        let n = w.len();
        prop_assert_eq!(&out[..n], &oracle_str(&s)[..]);
    }
}

#[test]
fn errors_serialize_as_their_code() {
    for e in Error::ALL {
        let mut buf = [0u8; 64];
        let n = serde_json_core::to_slice(&e, &mut buf).unwrap();
        assert_eq!(&buf[..n], std::format!("\"{}\"", e.code()).as_bytes());
        let (back, _) = serde_json_core::from_slice::<Error>(&buf[..n]).unwrap();
        assert_eq!(back, e);
    }
}
