//! What the command-line clients are fed (stdin scripts) and how their
//! printed games are counted, shared by the CLI, Python-client and QEMU
//! board tests.

/// Lines `cuatro play` must answer with `Input invalido.` (sent after the
/// first `\juego_nuevo` of [`play_script`]).
pub const PLAY_GARBAGE: [&str; 6] = [
    "hola",
    "\\jugada",
    "\\jugada -1",
    "\\jugada 3 4",
    "",
    "\\juego_nuevo ",
];

/// Lines the lecture's `cliente.py` refuses locally (`Input invalido.`).
pub const LECTURE_GARBAGE: [&str; 5] = [
    "hola",
    "\\jugada -1",
    "\\jugada 3 4",
    "\\jugada",
    "jugada 3",
];

/// `games` times: `\juego_nuevo`, then 150 `\jugada c` with c cycling 0..6
/// (enough to finish any game: refused moves are fine), with
/// [`PLAY_GARBAGE`] after the first `\juego_nuevo`; then `\salir`.
pub fn play_script(games: usize) -> String {
    let mut lines = Vec::new();
    for g in 0..games {
        lines.push("\\juego_nuevo".to_owned());
        if g == 0 {
            lines.extend(PLAY_GARBAGE.iter().map(|s| s.to_string()));
        }
        for i in 0..150 {
            lines.push(format!("\\jugada {}", (i + g) % 7));
        }
    }
    lines.push("\\salir".to_owned());
    lines.join("\n") + "\n"
}

/// The lecture client's script: two games of cycling columns, with
/// [`LECTURE_GARBAGE`] and a column the server refuses (`\jugada 10`) in
/// the first; then `\salir`.
pub fn lecture_script() -> String {
    let mut lines = Vec::new();
    for g in 0..2 {
        lines.push("\\juego_nuevo".to_owned());
        if g == 0 {
            lines.extend(LECTURE_GARBAGE.iter().map(|s| s.to_string()));
            // Numeric but out of range: sent, and refused by the server.
            lines.push("\\jugada 10".to_owned());
        }
        for i in 0..150 {
            lines.push(format!("\\jugada {}", (i * 3 + g) % 7));
        }
    }
    lines.push("\\salir".to_owned());
    lines.join("\n") + "\n"
}

/// How many game results (win, loss, draw) a client printed.
pub fn outcomes(stdout: &str) -> usize {
    ["¡Ganaste!", "Perdiste", "Empate"]
        .iter()
        .map(|w| stdout.matches(w).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_end_with_salir_and_hold_the_garbage() {
        let play = play_script(2);
        assert!(play.ends_with("\\salir\n"));
        assert_eq!(play.matches("\\juego_nuevo\n").count(), 2);
        assert!(play.contains("\\jugada 3 4\n"));
        let lecture = lecture_script();
        assert!(lecture.ends_with("\\salir\n"));
        assert!(lecture.contains("\\jugada 10\n") && lecture.contains("jugada 3\n"));
        assert_eq!(outcomes("¡Ganaste! … Empate … nada"), 2);
    }
}
