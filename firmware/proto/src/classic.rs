//! The classic encoding: the lecture's JSON (port 8080).
//!
//! Client → server, exactly what the lecture's Python client sends with
//! `json.dumps` (whitespace, key order and extra keys are free):
//!
//! ```text
//! {"tipo": "\\juego_nuevo"}
//! {"tipo": "\\juego_nuevo", "nivel": "dificil"}
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

mod json;
mod mensaje;
#[cfg(test)]
mod oracle_tests;
mod scan;
#[cfg(test)]
mod tests;

use crate::message::{Action, Board, Estado, Level, Reply, COLS, ROWS};
use crate::write::Cursor;
use crate::Error;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
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
///    `i64` ([`Error::NumberOutOfRange`]);
/// 5. for `\juego_nuevo`: `nivel`, when present, is a string
///    ([`Error::WrongType`]) naming a [`Level`] ([`Error::BadLevel`]).
///
/// Other members are ignored, as are `data` and `nivel` on other actions. With duplicate
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
/// assert_eq!(
///     classic::decode_action(br#"{"tipo": "\\juego_nuevo", "nivel": "dificil"}"#),
///     Ok(Action::NewGameAt(cuatro_proto::Level::Dificil))
/// );
/// assert_eq!(
///     classic::decode_action(br#"{"tipo": "\\juego_nuevo", "nivel": "imposible"}"#),
///     Err(Error::BadLevel)
/// );
/// assert_eq!(classic::decode_action(b"{\"tipo\": "), Err(Error::InvalidJson));
/// ```
pub fn decode_action(payload: &[u8]) -> Result<Action, Error> {
    if !crate::utf8::is_utf8(payload) {
        return Err(Error::InvalidUtf8);
    }
    let mut tipo = None;
    let mut data = None;
    let mut nivel = None;
    let top = scan::scan(payload, |key, value| {
        match key_name(payload.get(key.0..key.1)) {
            KeyName::Tipo => tipo = Some(value),
            KeyName::Data => data = Some(value),
            KeyName::Nivel => nivel = Some(value),
            KeyName::Other => {}
        }
    })?;
    if top != b'{' {
        return Err(Error::WrongType);
    }

    let tipo = tipo.ok_or(Error::MissingField)?;
    let tipo = payload.get(tipo.0..tipo.1).ok_or(Error::InvalidJson)?;
    let mut scratch = [0u8; UNESCAPE_CAP];
    let tipo = match json::unescape(tipo, &mut scratch) {
        Ok(b"\\juego_nuevo") => Tipo::NewGame,
        Ok(b"\\jugada") => Tipo::Move,
        Ok(b"\\salir") => Tipo::Quit,
        // Also a `\u` escape of a surrogate (`\ud83d\ude00`): it names no
        // action of ours anyway.
        Ok(_) | Err(json::Unescape::Surrogate) => return Err(Error::UnknownTipo),
        Err(json::Unescape::NotAString) => return Err(Error::WrongType),
        Err(json::Unescape::TooLong) => return Err(Error::StringTooLong),
    };

    match tipo {
        Tipo::NewGame => match nivel {
            None => Ok(Action::NewGame),
            Some(nivel) => {
                let raw = payload.get(nivel.0..nivel.1).ok_or(Error::InvalidJson)?;
                let mut scratch = [0u8; LEVEL_SCRATCH];
                match json::unescape(raw, &mut scratch) {
                    Ok(name) => Level::from_name(name)
                        .map(Action::NewGameAt)
                        .ok_or(Error::BadLevel),
                    Err(json::Unescape::NotAString) => Err(Error::WrongType),
                    Err(json::Unescape::TooLong | json::Unescape::Surrogate) => {
                        Err(Error::BadLevel)
                    }
                }
            }
        },
        Tipo::Quit => Ok(Action::Quit),
        Tipo::Move => {
            let data = data.ok_or(Error::MissingField)?;
            let data = payload.get(data.0..data.1).ok_or(Error::InvalidJson)?;
            json::integer(data).map(Action::Move)
        }
    }
}

/// Encodes a client action (payload only), byte-identical to Python's
/// `json.dumps` in the lecture's client:
/// `{"tipo": "\\juego_nuevo"}`, `{"tipo": "\\jugada", "data": 3}`,
/// `{"tipo": "\\salir"}` (and, with a level,
/// `{"tipo": "\\juego_nuevo", "nivel": "dificil"}`). Returns the payload
/// length.
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
        Action::NewGameAt(level) => {
            w.str(r#"{"tipo": "\\juego_nuevo", "nivel": ""#)?;
            w.str(level.name())?;
            w.str(r#""}"#)?;
        }
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
    // The server's own Spanish text: UTF-8 by construction.
    let mensaje = text.get(..len).unwrap_or_default();
    let mut w = Cursor::new(out);
    w.str("{\"mensaje\":")?;
    json::emit_str(&mut w, mensaje)?;
    w.str(if reply.continuar {
        ",\"continuar\":true,\"estado\":\""
    } else {
        ",\"continuar\":false,\"estado\":\""
    })?;
    w.str(reply.estado.name())?;
    w.str("\",\"tablero\":[")?;
    for row in 0..ROWS {
        w.str(if row == 0 { "\"" } else { ",\"" })?;
        w.bytes(&reply.tablero.row_chars(row).unwrap_or([b' '; COLS]))?;
        w.str("\"")?;
    }
    w.str("]")?;
    if let Some(error) = reply.error {
        // Codes are snake_case ASCII: nothing to escape.
        w.str(",\"error\":\"")?;
        w.str(error.code())?;
        w.str("\"")?;
    }
    w.str("}")?;
    Ok(w.len())
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
    if !crate::utf8::is_utf8(payload) {
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
}

/// The members of an action we look at.
enum KeyName {
    Tipo,
    Data,
    Nivel,
    Other,
}

/// Unescape room for a `nivel` string: the longest level name fits; a
/// longer one is no level.
const LEVEL_SCRATCH: usize = 16;

/// Unescape room for an escaped key: `tipo` and `data` unescape to 4
/// bytes, `nivel` to 5; a key that does not fit is some other key.
const KEY_SCRATCH: usize = 8;

/// Names a raw key (with its quotes, possibly escaped, e.g. `"ti\u0070o"`).
fn key_name(raw: Option<&[u8]>) -> KeyName {
    let mut scratch = [0u8; KEY_SCRATCH];
    match raw.map(|raw| json::unescape(raw, &mut scratch)) {
        Some(Ok(b"tipo")) => KeyName::Tipo,
        Some(Ok(b"data")) => KeyName::Data,
        Some(Ok(b"nivel")) => KeyName::Nivel,
        _ => KeyName::Other,
    }
}
