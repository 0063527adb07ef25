//! The classic `mensaje`: the lecture's text, drawing the board and naming
//! the outcome.

use super::{ensure, Check, Referee};
use crate::Received;
use cuatro_proto::{Board, Codec, Estado, Event, Level};

/// How the classic `mensaje` of a new game names its level.
pub fn level_phrase(level: Level) -> String {
    format!("nivel {}", level.name())
}

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
    /// The reply to `\juego_nuevo` names a level: `want` if given (in
    /// the compact event, or the classic `mensaje`), else any one. Returns
    /// the level named.
    pub(super) fn check_new_game(
        &self,
        r: &Received,
        want: Option<Level>,
    ) -> Result<Level, String> {
        let named = match (r.event, &r.mensaje) {
            (Some(e), _) => e
                .new_game_level()
                .ok_or_else(|| format!("event {e:?}, expected a new game"))?,
            (None, Some(m)) => Level::ALL
                .into_iter()
                .find(|&l| m.contains(&format!("{}:", level_phrase(l))))
                .ok_or_else(|| format!("new game whose mensaje names no level:\n{m}"))?,
            (None, None) => return Err("a reply with neither event nor mensaje".into()),
        };
        if let Some(want) = want {
            ensure(named == want, || {
                format!("a new game at {named:?}, expected {want:?}")
            })?;
            // A compact event must be the canonical one for the level.
            if let Some(e) = r.event {
                ensure(e == Event::new_game(want), || {
                    format!("event {e:?}, expected {:?}", Event::new_game(want))
                })?;
            }
        }
        Ok(named)
    }

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
