//! A server's reply as a client sees it, whichever codec carried it: the
//! one reply type of the host client, the simulator's clients and the
//! tests.

use cuatro_proto::{classic, compact, Board, Codec, Error, Estado, Event};

/// A server reply, whichever codec carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The human text (classic replies only).
    pub mensaje: Option<String>,
    /// Whether the session goes on.
    pub continuar: bool,
    /// Where the game stands.
    pub estado: Estado,
    /// The board.
    pub tablero: Board,
    /// What happened (compact replies only).
    pub event: Option<Event>,
    /// The error, if the request failed.
    pub error: Option<Error>,
}

/// Decodes a reply payload (no frame header) of either codec.
pub fn decode(codec: Codec, payload: &[u8]) -> Result<Received, Error> {
    Ok(match codec {
        Codec::Classic => {
            let r = classic::decode_reply(payload)?;
            Received {
                mensaje: Some(r.mensaje.as_str().to_owned()),
                continuar: r.continuar,
                estado: r.estado,
                tablero: r.tablero,
                event: None,
                error: r.error,
            }
        }
        Codec::Compact => {
            let r = compact::decode_reply(payload)?;
            Received {
                mensaje: None,
                continuar: r.continuar,
                estado: r.estado,
                tablero: r.tablero,
                event: Some(r.event),
                error: r.error,
            }
        }
    })
}

/// [`decode`], with an error that shows the payload (for simulations and
/// tests that report what they saw).
pub fn decode_shown(codec: Codec, payload: &[u8]) -> Result<Received, String> {
    decode(codec, payload).map_err(|e| match codec {
        Codec::Classic => format!(
            "undecodable classic reply ({e:?}): {}",
            String::from_utf8_lossy(payload)
                .chars()
                .take(200)
                .collect::<String>()
        ),
        Codec::Compact => format!("undecodable compact reply ({e:?}): {payload:02x?}"),
    })
}
