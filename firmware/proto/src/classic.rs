//! The classic encoding: the lecture's JSON (port 8080).
//!
//! Client → server, exactly what the lecture's Python client sends with
//! `json.dumps` (whitespace, key order and extra keys are free):
//!
//! ```text
//! {"tipo": "\\juego_nuevo"}
//! {"tipo": "\\jugada", "data": 3}
//! {"tipo": "\\salir"}
//! ```
//!
//! Server → client:
//!
//! ```text
//! {"mensaje":"...","continuar":true,"estado":"jugando",
//!  "tablero":["       ",...,"   X   "],"error":"invalid_json"}
//! ```
//!
//! `error` is present only on error replies. Decoding is stack-bounded: a
//! linear pre-scan checks syntax and nesting depth before any value is
//! decoded, and strings are unescaped into a small stack buffer.

mod mensaje;
mod scan;
#[cfg(test)]
mod tests;

use crate::message::{Action, Board, Estado, Reply};
use crate::write::Cursor;
use crate::Error;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json_core::de::Error as JsonError;

/// Deepest JSON nesting accepted (objects and arrays count alike; a plain
/// action is depth 1). Deeper input is [`Error::TooDeep`].
pub const MAX_DEPTH: usize = 8;

/// Scratch space, on the stack, for unescaping the `tipo` string of an
/// action. A longer escaped `tipo` is [`Error::StringTooLong`].
pub const UNESCAPE_CAP: usize = 64;

/// Capacity of a reply's human text (`mensaje`), in UTF-8 bytes.
pub const MAX_MENSAJE: usize = 640;

/// Upper bound of an encoded classic reply payload, in bytes. It fits in a
/// frame: `MAX_REPLY_PAYLOAD <= MAX_FRAME` (tested against every reply
/// shape, with the longest numbers).
pub const MAX_REPLY_PAYLOAD: usize = 600;

/// Decodes a client action.
///
/// Checks, in this order:
///
/// 1. the payload is UTF-8, else [`Error::InvalidUtf8`];
/// 2. it is one JSON value (strict RFC 8259) nested at most [`MAX_DEPTH`]
///    deep: [`Error::TooDeep`] or [`Error::InvalidJson`], whichever comes
///    first in the text;
/// 3. it is an object ([`Error::WrongType`] otherwise) with a `tipo`
///    ([`Error::MissingField`]) that is a string ([`Error::WrongType`]; an
///    escaped `tipo` longer than [`UNESCAPE_CAP`] is
///    [`Error::StringTooLong`]) naming a known action
///    ([`Error::UnknownTipo`]);
/// 4. for `\jugada`: `data` is present ([`Error::MissingField`]), an
///    integer ([`Error::WrongType`], also for `3.0` or `"3"`) that fits an
///    `i64` ([`Error::NumberOutOfRange`]).
///
/// Other members are ignored, as is `data` on other actions. With duplicate
/// keys the last one wins (like Python's `json.loads`).
///
/// # Example
///
/// ```
/// use cuatro_proto::{classic, Action, Error};
///
/// // What the lecture's client sends: json.dumps({'tipo': '\\jugada', 'data': 3})
/// let python = br#"{"tipo": "\\jugada", "data": 3}"#;
/// assert_eq!(classic::decode_action(python), Ok(Action::Move(3)));
///
/// assert_eq!(classic::decode_action(br#"{"data":1,"tipo":"\\salir","x":[]}"#), Ok(Action::Quit));
/// assert_eq!(classic::decode_action(br#"{"tipo": "\\jugada", "data": "3"}"#), Err(Error::WrongType));
/// assert_eq!(classic::decode_action(br#"{"tipo": "\\bailar"}"#), Err(Error::UnknownTipo));
/// assert_eq!(classic::decode_action(b"{\"tipo\": "), Err(Error::InvalidJson));
/// ```
pub fn decode_action(payload: &[u8]) -> Result<Action, Error> {
    if core::str::from_utf8(payload).is_err() {
        return Err(Error::InvalidUtf8);
    }
    let mut tipo = None;
    let mut data = None;
    let top = scan::scan(payload, |key, value| {
        match key_name(payload.get(key.0..key.1)) {
            KeyName::Tipo => tipo = Some(value),
            KeyName::Data => data = Some(value),
            KeyName::Other => {}
        }
    })?;
    if top != b'{' {
        return Err(Error::WrongType);
    }

    let tipo = tipo.ok_or(Error::MissingField)?;
    let tipo = payload.get(tipo.0..tipo.1).ok_or(Error::InvalidJson)?;
    let mut scratch = [0u8; UNESCAPE_CAP];
    let tipo = match serde_json_core::from_slice_escaped::<Tipo>(tipo, &mut scratch) {
        Ok((tipo, _)) => tipo,
        Err(JsonError::InvalidType) => return Err(Error::WrongType),
        Err(JsonError::EscapedStringIsTooLong) => return Err(Error::StringTooLong),
        // A valid JSON string we cannot unescape (`\ud83d\ude00`): it names
        // no action of ours anyway.
        Err(_) => return Err(Error::UnknownTipo),
    };

    match tipo {
        Tipo::NewGame => Ok(Action::NewGame),
        Tipo::Quit => Ok(Action::Quit),
        Tipo::Unknown => Err(Error::UnknownTipo),
        Tipo::Move => {
            let data = data.ok_or(Error::MissingField)?;
            let data = payload.get(data.0..data.1).ok_or(Error::InvalidJson)?;
            match serde_json_core::from_slice::<i64>(data) {
                Ok((column, _)) => Ok(Action::Move(column)),
                // The syntax is already checked: an invalid number here is
                // an integer too long for i64.
                Err(JsonError::InvalidNumber) => Err(Error::NumberOutOfRange),
                // Strings, literals, containers, and numbers with a
                // fraction or exponent (parsing stops at the `.`/`e`).
                Err(_) => Err(Error::WrongType),
            }
        }
    }
}

/// Encodes a client action (payload only), byte-identical to Python's
/// `json.dumps` in the lecture's client:
/// `{"tipo": "\\juego_nuevo"}`, `{"tipo": "\\jugada", "data": 3}`,
/// `{"tipo": "\\salir"}`. Returns the payload length.
pub fn encode_action(action: &Action, out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Cursor::new(out);
    match *action {
        Action::NewGame => w.str(r#"{"tipo": "\\juego_nuevo"}"#)?,
        Action::Move(column) => {
            w.str(r#"{"tipo": "\\jugada", "data": "#)?;
            w.i64(column)?;
            w.str("}")?;
        }
        Action::Quit => w.str(r#"{"tipo": "\\salir"}"#)?,
    }
    Ok(w.len())
}

/// Renders the human text (`mensaje`) of `reply` into `out`, as UTF-8;
/// returns its length.
///
/// The text is Spanish, in the lecture's spirit: the board drawing when a
/// game exists (a ` 0 1 2 3 4 5 6` ruler, then rows like
/// `| |X| |O| | | |`, top first), a line saying what happened (the moves,
/// the outcome, a refused move, or the error and its code), then the
/// command menu while the session continues, or a farewell. It is never
/// longer than [`MAX_MENSAJE`].
pub fn render_mensaje(reply: &Reply, out: &mut [u8]) -> Result<usize, Error> {
    let mut w = Cursor::new(out);
    mensaje::render(reply, &mut w)?;
    Ok(w.len())
}

/// Encodes a server reply (payload only); returns the payload length,
/// at most [`MAX_REPLY_PAYLOAD`].
pub fn encode_reply(reply: &Reply, out: &mut [u8]) -> Result<usize, Error> {
    let mut text = [0u8; MAX_MENSAJE];
    let len = render_mensaje(reply, &mut text)?;
    let mensaje = text
        .get(..len)
        .and_then(|t| core::str::from_utf8(t).ok())
        .unwrap_or("");
    let wire = WireReply {
        mensaje,
        continuar: reply.continuar,
        estado: reply.estado,
        tablero: &reply.tablero,
        error: reply.error.map(Error::code),
    };
    serde_json_core::to_slice(&wire, out).map_err(|_| Error::BufferTooSmall)
}

/// A classic reply as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicReply {
    /// The human text, unescaped.
    pub mensaje: heapless::String<MAX_MENSAJE>,
    /// Whether the session goes on (`false`: the server closes).
    pub continuar: bool,
    /// Where the game stands.
    pub estado: Estado,
    /// The current game's board.
    pub tablero: Board,
    /// The error the server reported, if any.
    pub error: Option<Error>,
}

/// Decodes a server reply (client side).
///
/// Syntax and depth are checked as in [`decode_action`]. A missing field,
/// a malformed board or an unknown error code is [`Error::InvalidJson`]; a
/// field of the wrong JSON type is [`Error::WrongType`]; a `mensaje` longer
/// than [`MAX_MENSAJE`] once unescaped is [`Error::StringTooLong`].
pub fn decode_reply(payload: &[u8]) -> Result<ClassicReply, Error> {
    if core::str::from_utf8(payload).is_err() {
        return Err(Error::InvalidUtf8);
    }
    scan::scan(payload, |_, _| {})?;
    let mut scratch = [0u8; MAX_MENSAJE];
    match serde_json_core::from_slice_escaped::<WireReplyIn>(payload, &mut scratch) {
        Ok((r, _)) => Ok(ClassicReply {
            mensaje: r.mensaje,
            continuar: r.continuar,
            estado: r.estado,
            tablero: r.tablero,
            error: r.error.map(|c| c.0),
        }),
        Err(JsonError::InvalidType) => Err(Error::WrongType),
        Err(JsonError::EscapedStringIsTooLong) => Err(Error::StringTooLong),
        Err(JsonError::InvalidNumber) => Err(Error::NumberOutOfRange),
        Err(_) => Err(Error::InvalidJson),
    }
}

/// The reply as it goes on the wire. Only `&str`, `bool`, unit enums and
/// sequences of strings: nothing that serde-json-core's serializer cannot
/// handle.
#[derive(Serialize)]
struct WireReply<'a> {
    mensaje: &'a str,
    continuar: bool,
    estado: Estado,
    tablero: &'a Board,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

/// The reply as a client reads it.
#[derive(Deserialize)]
struct WireReplyIn {
    mensaje: heapless::String<MAX_MENSAJE>,
    continuar: bool,
    estado: Estado,
    tablero: Board,
    error: Option<Code>,
}

/// An [`Error`] read from its wire code.
struct Code(Error);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Code;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an error code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
                Error::from_code(v)
                    .map(Code)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// The action named by `tipo`, once unescaped.
enum Tipo {
    /// `\juego_nuevo`
    NewGame,
    /// `\jugada`
    Move,
    /// `\salir`
    Quit,
    /// Any other string.
    Unknown,
}

impl<'de> Deserialize<'de> for Tipo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Tipo;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a tipo string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tipo, E> {
                Ok(match v {
                    "\\juego_nuevo" => Tipo::NewGame,
                    "\\jugada" => Tipo::Move,
                    "\\salir" => Tipo::Quit,
                    _ => Tipo::Unknown,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// The members of an action we look at.
enum KeyName {
    Tipo,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
                Ok(match v {
                    "tipo" => KeyName::Tipo,
                    "data" => KeyName::Data,
                    _ => KeyName::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Unescape room for an escaped key: `tipo` and `data` unescape to 4
/// bytes; a key that does not fit is some other key.
const KEY_SCRATCH: usize = 8;

/// Names a raw key (with its quotes, possibly escaped, e.g. `"ti\u0070o"`).
fn key_name(raw: Option<&[u8]>) -> KeyName {
    match raw {
        Some(b"\"tipo\"") => KeyName::Tipo,
        Some(b"\"data\"") => KeyName::Data,
        Some(raw) if raw.contains(&b'\\') => {
            let mut scratch = [0u8; KEY_SCRATCH];
            match serde_json_core::from_slice_escaped::<KeyName>(raw, &mut scratch) {
                Ok((name, _)) => name,
                Err(_) => KeyName::Other,
            }
        }
        _ => KeyName::Other,
    }
}
