//! The human text of a classic reply (`mensaje`), in Spanish, built by hand
//! (no `core::fmt`: it costs flash on a microcontroller).

use crate::message::{Board, Estado, Event, Refusal, Reply, COLS};
use crate::write::Cursor;
use crate::{Error, MAX_FRAME};

/// The column ruler drawn above the board.
const RULER: &str = " 0 1 2 3 4 5 6\n";

/// The command menu shown while the session continues.
const MENU: &str = "Comandos: \\juego_nuevo | \\jugada N (N de 0 a 6) | \\salir";

/// Renders the whole `mensaje` of `reply`: board drawing (when there is a
/// game to show), what happened, and the menu or a farewell.
pub(crate) fn render(reply: &Reply, w: &mut Cursor<'_>) -> Result<(), Error> {
    if reply.estado != Estado::SinJuego || reply.tablero != Board::default() {
        draw_board(&reply.tablero, w)?;
    }
    event_line(reply, w)?;
    outcome_line(reply.estado, reply.event.is_pvp(), w)?;
    if let Some(err) = reply.error {
        error_line(err, w)?;
    }
    if reply.continuar {
        w.str(MENU)
    } else if reply.event == Event::Goodbye {
        w.str("¡Hasta luego!")
    } else {
        w.str("Cerrando la conexión.")
    }
}

/// ` 0 1 2 3 4 5 6` then one `| |X| |O| | | |` line per row, top first.
fn draw_board(board: &Board, w: &mut Cursor<'_>) -> Result<(), Error> {
    w.str(RULER)?;
    for row in &board.cells {
        let mut line = [b'|'; 2 * COLS + 2];
        for (slot, cell) in line.iter_mut().skip(1).step_by(2).zip(row) {
            *slot = cell.as_char();
        }
        if let Some(end) = line.last_mut() {
            *end = b'\n';
        }
        w.bytes(&line)?;
    }
    Ok(())
}

/// One line saying what the action did.
fn event_line(reply: &Reply, w: &mut Cursor<'_>) -> Result<(), Error> {
    match reply.event {
        Event::Welcome => w.str("¡Bienvenido a cuatro en línea! Tú juegas con X, la CPU con O.\n"),
        Event::NewGame | Event::NewGameAt(_) => {
            let level = reply.event.new_game_level().unwrap_or_default();
            w.str("Juego nuevo contra la CPU nivel ")?;
            w.str(level.name())?;
            w.str(": tú empiezas. Elige una columna de 0 a 6.\n")
        }
        Event::Played { player, cpu } => {
            w.str("Jugaste en la columna ")?;
            w.u64(u64::from(player))?;
            if let Some(cpu) = cpu {
                w.str("; la CPU jugó en la ")?;
                w.u64(u64::from(cpu))?;
            }
            w.str(".\n")
        }
        Event::Refused(Refusal::NoGame) => w.str("No hay juego en curso: usa \\juego_nuevo.\n"),
        Event::Refused(Refusal::OutOfRange(col)) => {
            w.str("La columna ")?;
            w.i64(col)?;
            w.str(" no existe: elige una de 0 a 6.\n")
        }
        Event::Refused(Refusal::ColumnFull(col)) => {
            w.str("La columna ")?;
            w.u64(u64::from(col))?;
            w.str(" está llena.\n")
        }
        Event::Goodbye | Event::Failed => Ok(()),
        Event::WelcomePvp => w.str(
            "¡Bienvenido a cuatro en línea, jugador contra jugador! Tú juegas con X, tu rival con O; \\juego_nuevo busca un rival.\n",
        ),
        Event::Matched { opening: None } => {
            w.str("Juego nuevo contra otro jugador: tú empiezas. Elige una columna de 0 a 6.\n")
        }
        Event::Matched {
            opening: Some(col),
        } => {
            w.str("Juego nuevo contra otro jugador: empezó en la columna ")?;
            w.u64(u64::from(col))?;
            w.str(". Te toca.\n")
        }
        Event::Answered { player, opponent } => {
            w.str("Jugaste en la columna ")?;
            w.u64(u64::from(player))?;
            if let Some(col) = opponent {
                w.str("; tu rival jugó en la ")?;
                w.u64(u64::from(col))?;
            }
            w.str(".\n")
        }
    }
}

/// How a finished game ended.
fn outcome_line(estado: Estado, pvp: bool, w: &mut Cursor<'_>) -> Result<(), Error> {
    match estado {
        Estado::SinJuego | Estado::Jugando => Ok(()),
        Estado::Ganaste => w.str("¡Ganaste! Hiciste cuatro en línea.\n"),
        Estado::Perdiste if pvp => w.str("Perdiste: tu rival hizo cuatro en línea.\n"),
        Estado::Perdiste => w.str("Perdiste: la CPU hizo cuatro en línea.\n"),
        Estado::Empate => w.str("Empate: el tablero está lleno.\n"),
    }
}

/// The problem, in words, then its wire code.
fn error_line(err: Error, w: &mut Cursor<'_>) -> Result<(), Error> {
    if err == Error::ServerFull {
        return w.str("Servidor lleno: intenta más tarde.\n");
    }
    w.str("Error: ")?;
    match err {
        Error::FrameEmpty => w.str("el mensaje llegó vacío (largo 0)")?,
        Error::FrameTooLarge => {
            w.str("el mensaje es demasiado largo (máximo ")?;
            w.u64(MAX_FRAME as u64)?;
            w.str(" bytes)")?;
        }
        Error::BufferTooSmall => w.str("la respuesta no cabe en el búfer")?,
        Error::InvalidUtf8 => w.str("el mensaje no es texto UTF-8 válido")?,
        Error::InvalidJson => w.str("el mensaje no es JSON válido")?,
        Error::TooDeep => w.str("el JSON está anidado demasiado profundo")?,
        Error::StringTooLong => w.str("un texto del mensaje es demasiado largo")?,
        Error::WrongType => {
            w.str("un campo tiene el tipo equivocado (\"data\" debe ser un entero)")?
        }
        Error::MissingField => w.str("falta un campo (\"tipo\", o \"data\" en \\jugada)")?,
        Error::UnknownTipo => {
            w.str("\"tipo\" desconocido: usa \\juego_nuevo, \\jugada o \\salir")?
        }
        Error::NumberOutOfRange => w.str("el número está fuera de rango")?,
        Error::InvalidCompact => w.str("el mensaje compacto (postcard) no es válido")?,
        Error::ServerFull => w.str("servidor lleno")?,
        Error::CodecDisabled => w.str("este puerto no tiene su codificación en este servidor")?,
        Error::Evicted => {
            w.str("sesión cedida a otro jugador: estuvo inactiva demasiado tiempo")?
        }
        Error::BadLevel => w.str("nivel desconocido: usa aleatorio, facil o dificil")?,
        Error::OpponentLeft => w.str("tu rival dejó el juego: ganas tú")?,
    }
    w.str(" [")?;
    w.str(err.code())?;
    w.str("].\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::message::Cell;

    #[test]
    fn board_drawing() {
        let mut board = Board::default();
        board.cells[5][1] = Cell::Player;
        board.cells[5][3] = Cell::Cpu;
        let mut buf = [0u8; 256];
        let mut w = Cursor::new(&mut buf);
        draw_board(&board, &mut w).unwrap();
        let text = core::str::from_utf8(w.written()).unwrap();
        let lines: heapless::Vec<&str, 8> = text.lines().collect();
        assert_eq!(lines[0], " 0 1 2 3 4 5 6");
        assert_eq!(lines[1], "| | | | | | | |");
        assert_eq!(lines[6], "| |X| |O| | | |");
    }
}
