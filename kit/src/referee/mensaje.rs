//! The classic `mensaje`: the lecture's text, drawing the board and naming
//! the outcome.

use super::{ensure, Check, Referee};
use crate::Received;
use cuatro_proto::{Board, Codec, Estado};

/// The board drawing the classic `mensaje` must contain: one `| |X|O|...|`
/// line per row, top first.
pub(super) fn drawn_rows(b: &Board) -> Vec<String> {
    b.cells
        .iter()
        .map(|row| {
            let mut s = String::from("|");
            for c in row {
                s.push(c.as_char() as char);
                s.push('|');
            }
            s
        })
        .collect()
}

impl Referee {
    /// Classic replies carry the lecture's `mensaje`: non-empty, showing the
    /// board when there is one, naming the outcome when the game ended
    /// (and any `mensaje` a compact reply carries is non-empty).
    pub(super) fn check_mensaje(&self, r: &Received) -> Check {
        match (self.codec, &r.mensaje) {
            (Codec::Compact, None) => Ok(()),
            (Codec::Compact, Some(m)) => ensure(!m.trim().is_empty(), || "empty mensaje".into()),
            (Codec::Classic, None) => Err("classic reply without mensaje".into()),
            (Codec::Classic, Some(m)) => {
                ensure(!m.trim().is_empty(), || "empty mensaje".into())?;
                if r.tablero != Board::default() {
                    let mut rest = m.as_str();
                    for line in drawn_rows(&r.tablero) {
                        match rest.find(&line) {
                            Some(i) => rest = rest.get(i + line.len()..).unwrap_or_default(),
                            None => {
                                return Err(format!(
                                    "mensaje does not draw the board (row {line:?} missing):\n{m}"
                                ))
                            }
                        }
                    }
                }
                let word = match r.estado {
                    Estado::Ganaste => Some("Ganaste"),
                    Estado::Perdiste => Some("Perdiste"),
                    Estado::Empate => Some("Empate"),
                    _ => None,
                };
                if let Some(w) = word {
                    ensure(m.contains(w), || {
                        format!("estado {:?} but mensaje does not say {w:?}:\n{m}", r.estado)
                    })?;
                }
                Ok(())
            }
        }
    }
}
