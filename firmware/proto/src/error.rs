//! The one error type of the protocol.

use serde::{Deserialize, Serialize, Serializer};

/// Every way a frame or a message can fail, on either side.
///
/// The server answers each of these it detects with a reply whose `error`
/// field is [`Error::code`]; framing errors then close the connection, the
/// others keep it. All variants are unit variants, so an `Error` is one byte
/// in the compact encoding and one short string in the classic one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Error {
    /// A frame header announced a payload of length 0.
    FrameEmpty,
    /// A frame header announced a payload longer than the decoder's capacity.
    FrameTooLarge,
    /// An output buffer was too small for the encoded message.
    BufferTooSmall,
    /// The payload is not valid UTF-8 (classic encoding).
    InvalidUtf8,
    /// The payload is not well-formed JSON (classic encoding).
    InvalidJson,
    /// The JSON nests deeper than [`crate::classic::MAX_DEPTH`].
    TooDeep,
    /// A string needing unescaping is longer than the codec's scratch space.
    StringTooLong,
    /// A field has the wrong JSON type (e.g. `"data": "3"`).
    WrongType,
    /// A required field is missing (`tipo`, or `data` for `\jugada`).
    MissingField,
    /// `tipo` names no known action.
    UnknownTipo,
    /// A number does not fit the field's range.
    NumberOutOfRange,
    /// The payload is not a valid compact (postcard) message.
    InvalidCompact,
    /// Every game session is taken; try again later.
    ServerFull,
    /// This build of the firmware leaves out the codec of this port (its
    /// cargo feature, `classic` or `compact`, is off): nothing sent on the
    /// port can be understood, and no reply can be encoded in it.
    CodecDisabled,
    /// The session was given to a waiting player: it had completed no
    /// action in time, or its frame stayed incomplete too long, or it had
    /// been quiet longer than a player's grace (the server's admission
    /// policy). The connection closes.
    Evicted,
    /// `nivel` names no CPU level of this server (`aleatorio`, `facil`,
    /// `dificil`; a level left out of the build counts as unknown). The
    /// game is unchanged and the connection kept.
    BadLevel,
    /// Player vs player: the opponent left the game (`\salir`, a closed or
    /// reset connection, the idle timeout); the one who stayed wins. The
    /// connection is kept: `\juego_nuevo` looks for another opponent.
    OpponentLeft,
}

/// By hand, as the derive would (a unit variant: its index and its
/// snake_case name, which is [`Error::code`]), in one call instead of one per
/// variant: 220 B less flash on the board (measured 2026-12-02).
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("Error", *self as u32, self.code())
    }
}

impl Error {
    /// The stable wire code, as sent in a classic reply's `error` field.
    pub const fn code(self) -> &'static str {
        match self {
            Error::FrameEmpty => "frame_empty",
            Error::FrameTooLarge => "frame_too_large",
            Error::BufferTooSmall => "buffer_too_small",
            Error::InvalidUtf8 => "invalid_utf8",
            Error::InvalidJson => "invalid_json",
            Error::TooDeep => "too_deep",
            Error::StringTooLong => "string_too_long",
            Error::WrongType => "wrong_type",
            Error::MissingField => "missing_field",
            Error::UnknownTipo => "unknown_tipo",
            Error::NumberOutOfRange => "number_out_of_range",
            Error::InvalidCompact => "invalid_compact",
            Error::ServerFull => "server_full",
            Error::CodecDisabled => "codec_disabled",
            Error::Evicted => "evicted",
            Error::BadLevel => "bad_level",
            Error::OpponentLeft => "opponent_left",
        }
    }

    /// Every error, in declaration order (the order of the compact
    /// encoding's discriminants).
    pub const ALL: [Error; 17] = [
        Error::FrameEmpty,
        Error::FrameTooLarge,
        Error::BufferTooSmall,
        Error::InvalidUtf8,
        Error::InvalidJson,
        Error::TooDeep,
        Error::StringTooLong,
        Error::WrongType,
        Error::MissingField,
        Error::UnknownTipo,
        Error::NumberOutOfRange,
        Error::InvalidCompact,
        Error::ServerFull,
        Error::CodecDisabled,
        Error::Evicted,
        Error::BadLevel,
        Error::OpponentLeft,
    ];

    /// Inverse of [`Error::code`].
    pub fn from_code(code: &str) -> Option<Error> {
        Error::ALL.into_iter().find(|e| e.code() == code)
    }

    /// Whether the connection must close after reporting this error
    /// (the framing is out of sync, the server has no room, or the port's
    /// codec is not in this build).
    pub const fn is_fatal(self) -> bool {
        matches!(
            self,
            Error::FrameEmpty
                | Error::FrameTooLarge
                | Error::ServerFull
                | Error::CodecDisabled
                | Error::Evicted
        )
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}
