//! Draws the board from the structured state (compact replies).

use crate::client::Received;
use cuatro_proto::{Board, Cell, Error, Estado, Event, Refusal};
use std::fmt::Write;

/// Renders a reply for a terminal (`color`: ANSI colours).
pub fn reply(r: &Received, color: bool) -> String {
    let mut s = String::new();
    let has_board = r.tablero != Board::default() || r.estado == Estado::Jugando;
    if has_board {
        s.push_str(&board(&r.tablero, color));
    }
    if let Some(line) = event_line(r) {
        s.push_str(&line);
        s.push('\n');
    }
    if r.continuar {
        s.push_str("Comandos: \\juego_nuevo, \\jugada N (N de 0 a 6), \\salir");
    }
    s.trim_end().to_owned()
}

/// The board, column numbers on top.
pub fn board(b: &Board, color: bool) -> String {
    let mut s = String::from(" 0 1 2 3 4 5 6\n");
    for row in &b.cells {
        s.push('|');
        for cell in row {
            let c = match (cell, color) {
                (Cell::Empty, _) => " ".to_owned(),
                (Cell::Player, true) => "\x1b[1;31mX\x1b[0m".to_owned(),
                (Cell::Cpu, true) => "\x1b[1;33mO\x1b[0m".to_owned(),
                (Cell::Player, false) => "X".to_owned(),
                (Cell::Cpu, false) => "O".to_owned(),
            };
            s.push_str(&c);
            s.push('|');
        }
        s.push('\n');
    }
    s
}

fn event_line(r: &Received) -> Option<String> {
    let mut s = String::new();
    match r.event? {
        Event::Welcome => s.push_str("¡Bienvenido a cuatro en línea!"),
        Event::NewGame | Event::NewGameAt(_) => {
            let level = r.event?.new_game_level().unwrap_or_default();
            let _ = write!(
                s,
                "Juego nuevo contra la CPU nivel {}: juegas con X, la CPU con O.",
                level.name()
            );
        }
        Event::Played { player, cpu } => {
            let _ = write!(s, "Jugaste en la columna {player}");
            if let Some(c) = cpu {
                let _ = write!(s, "; la CPU jugó en la {c}");
            }
            s.push('.');
        }
        Event::Refused(Refusal::NoGame) => s.push_str("No hay juego en curso: usa \\juego_nuevo."),
        Event::Refused(Refusal::OutOfRange(c)) => {
            let _ = write!(s, "La columna {c} no existe: elige una de 0 a 6.");
        }
        Event::Refused(Refusal::ColumnFull(c)) => {
            let _ = write!(s, "La columna {c} está llena.");
        }
        Event::Goodbye => s.push_str("¡Hasta luego!"),
        Event::WelcomePvp => s.push_str(
            "¡Bienvenido a cuatro en línea, jugador contra jugador! \\juego_nuevo busca un rival.",
        ),
        Event::Matched { opening: None } => {
            s.push_str("Juego nuevo contra otro jugador: juegas con X y empiezas.")
        }
        Event::Matched { opening: Some(c) } => {
            let _ = write!(
                s,
                "Juego nuevo contra otro jugador: juegas con X; tu rival empezó en la {c}. Te toca."
            );
        }
        Event::Answered { player, opponent } => {
            let _ = write!(s, "Jugaste en la columna {player}");
            if let Some(c) = opponent {
                let _ = write!(s, "; tu rival jugó en la {c}");
            }
            s.push('.');
        }
        Event::Failed => match r.error {
            Some(Error::ServerFull) => s.push_str("Servidor lleno: intenta más tarde."),
            Some(Error::OpponentLeft) => s.push_str("Tu rival dejó el juego."),
            Some(e) => {
                let _ = write!(s, "Error: {e}");
            }
            None => s.push_str("Error."),
        },
    }
    match r.estado {
        Estado::Ganaste => s.push_str(" ¡Ganaste!"),
        Estado::Perdiste if r.event.is_some_and(Event::is_pvp) => {
            s.push_str(" Perdiste: tu rival hizo cuatro en línea.")
        }
        Estado::Perdiste => s.push_str(" Perdiste: la CPU hizo cuatro en línea."),
        Estado::Empate => s.push_str(" Empate: el tablero está lleno."),
        Estado::Jugando | Estado::SinJuego => {}
    }
    Some(s)
}
