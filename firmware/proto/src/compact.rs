//! The compact encoding: postcard (port 8081).
//!
//! The payload is the postcard encoding of [`Action`] or [`Reply`], as laid
//! out byte by byte in `docs/PROTOCOL.md`. In short: enum variants are a
//! varint discriminant, `bool`/`u8` one byte, `i64` a zigzag varint,
//! `Option` a `0`/`1` tag, and the [`Board`](crate::Board) 42 one-byte
//! cells (`0` empty, `1` player, `2` CPU), top row first, no length prefix.
//!
//! | action             | payload       |
//! |--------------------|---------------|
//! | `NewGame`          | `00`          |
//! | `Move(3)`          | `01 06`       |
//! | `Move(-1)`         | `01 01`       |
//! | `Quit`             | `02`          |
//! | `NewGameAt(Facil)` | `03 01`       |
//! | `NewGameAt(Dificil)` | `03 02`     |
//!
//! `NewGame` (`00`) asks for the server's default level; an unknown level
//! byte after `03` is [`Error::BadLevel`].

use crate::message::{Action, Reply};
use crate::Error;

/// Upper bound of an encoded compact reply payload, in bytes: `continuar`
/// (1) + `estado` (1) + `tablero` (42) + the longest event,
/// `Refused(OutOfRange(i64::MIN))` (1 + 1 + 10) + `Some(error)` (2).
pub const MAX_REPLY_PAYLOAD: usize = 58;

/// Upper bound of an encoded compact action payload: `Move(i64::MIN)`.
pub const MAX_ACTION_PAYLOAD: usize = 11;

/// Decodes a client action. Any postcard error, and trailing bytes after
/// the action, are [`Error::InvalidCompact`], except a `NewGameAt` whose
/// level byte names no level: [`Error::BadLevel`].
///
/// ```
/// use cuatro_proto::{compact, Action, Error, Level};
///
/// assert_eq!(compact::decode_action(&[0x00]), Ok(Action::NewGame));
/// assert_eq!(compact::decode_action(&[0x03, 0x02]), Ok(Action::NewGameAt(Level::Dificil)));
/// assert_eq!(compact::decode_action(&[0x03, 0x09]), Err(Error::BadLevel));
/// ```
pub fn decode_action(payload: &[u8]) -> Result<Action, Error> {
    match payload {
        // A one-byte varint that is no level's index.
        [NEW_GAME_AT, b] if *b < 0x80 && crate::Level::from_u8(*b).is_none() => {
            Err(Error::BadLevel)
        }
        _ => take_exact(payload),
    }
}

/// The compact index of [`Action::NewGameAt`].
const NEW_GAME_AT: u8 = 3;

/// Encodes a client action (payload only); returns its length.
pub fn encode_action(action: &Action, out: &mut [u8]) -> Result<usize, Error> {
    encode(action, out)
}

/// Encodes a server reply (payload only); returns its length, at most
/// [`MAX_REPLY_PAYLOAD`].
///
/// ```
/// use cuatro_proto::{compact, Board, Estado, Event, Reply};
///
/// let reply = Reply {
///     continuar: true,
///     estado: Estado::Jugando,
///     tablero: Board::default(),
///     event: Event::Played { player: 3, cpu: Some(5) },
///     error: None,
/// };
/// let mut buf = [0u8; compact::MAX_REPLY_PAYLOAD];
/// let n = compact::encode_reply(&reply, &mut buf).unwrap();
/// assert_eq!(n, 1 + 1 + 42 + 4 + 1);
/// assert_eq!(&buf[..2], &[0x01, 0x01]); // continuar = true, estado = Jugando
/// assert_eq!(&buf[44..n], &[0x02, 0x03, 0x01, 0x05, 0x00]); // Played{3, Some(5)}, error None
/// assert_eq!(compact::decode_reply(&buf[..n]), Ok(reply));
/// ```
pub fn encode_reply(reply: &Reply, out: &mut [u8]) -> Result<usize, Error> {
    encode(reply, out)
}

/// Decodes a server reply (client side). Any postcard error, and trailing
/// bytes, are [`Error::InvalidCompact`].
pub fn decode_reply(payload: &[u8]) -> Result<Reply, Error> {
    take_exact(payload)
}

fn encode<T: serde::Serialize>(value: &T, out: &mut [u8]) -> Result<usize, Error> {
    match postcard::to_slice(value, out) {
        Ok(used) => Ok(used.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(Error::BufferTooSmall),
        Err(_) => Err(Error::InvalidCompact),
    }
}

fn take_exact<'a, T: serde::Deserialize<'a>>(payload: &'a [u8]) -> Result<T, Error> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((value, [])) => Ok(value),
        _ => Err(Error::InvalidCompact),
    }
}

#[cfg(test)]
mod tests;
