//! What the command-line clients are fed (stdin scripts) and what their
//! output must show, shared by the CLI, Python-client and QEMU board tests.

use crate::process::{run_with_stdin, workspace_root, Output};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

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

/// The last 30 lines of `s` (for failure messages).
pub fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// `cuatro play` fed [`play_script`]`(games)`: exit 0, the board drawn with
/// both players' pieces, one `Input invalido.` per [`PLAY_GARBAGE`] line,
/// `games` results, the goodbye last and nothing on stderr.
pub fn check_play_output(out: &Output, games: usize, what: &str) {
    assert!(
        out.success(),
        "{what}: status {:?} after {:?}\nstderr: {}\nstdout tail: {}",
        out.status,
        out.elapsed,
        out.stderr,
        tail(&out.stdout)
    );
    assert!(
        out.stdout.contains(" 0 1 2 3 4 5 6"),
        "{what}: no board drawn:\n{}",
        tail(&out.stdout)
    );
    assert!(
        out.stdout.contains('X') && out.stdout.contains('O'),
        "{what}: no pieces drawn"
    );
    check_common(out, PLAY_GARBAGE.len(), games, what);
}

/// The lecture's `cliente.py` fed [`lecture_script`]: connected, greeted,
/// the board printed, two results, the refused column explained, one
/// `Input invalido.` per [`LECTURE_GARBAGE`] line, the goodbye last.
pub fn check_lecture_output(out: &Output, what: &str) {
    assert!(
        out.success(),
        "{what}: status {:?}\nstderr: {}\nstdout: {}",
        out.status,
        out.stderr,
        tail(&out.stdout)
    );
    let o = &out.stdout;
    assert!(
        o.starts_with("Cliente conectado exitosamente al servidor."),
        "{what}: {}",
        tail(o)
    );
    assert!(o.contains("¡Bienvenido"), "{what}: no greeting printed");
    assert!(
        o.contains(" 0 1 2 3 4 5 6") && o.contains("|X|"),
        "{what}: no board printed"
    );
    assert!(
        o.contains("La columna 10 no existe"),
        "{what}: the refused move has no clear message"
    );
    check_common(out, LECTURE_GARBAGE.len(), 2, what);
}

/// What every client run ends with: the refusals, the results, the goodbye
/// and a silent stderr.
fn check_common(out: &Output, garbage: usize, games: usize, what: &str) {
    let o = &out.stdout;
    assert_eq!(
        o.matches("Input invalido.").count(),
        garbage,
        "{what}: each garbage line must print `Input invalido.` once"
    );
    assert_eq!(outcomes(o), games, "{what}: game results:\n{o}");
    assert!(
        o.trim_end().ends_with("¡Hasta luego!"),
        "{what}: no goodbye at the end:\n{}",
        tail(o)
    );
    assert!(
        out.stderr.trim().is_empty(),
        "{what}: stderr: {}",
        out.stderr
    );
}

/// The lecture's client (`tests/python/cliente.py`, unmodified) against
/// `addr`, fed `stdin`.
fn lecture_client(addr: SocketAddr, stdin: &str, limit: Duration) -> Output {
    let mut c = Command::new("python3");
    c.arg(workspace_root().join("tests/python/cliente.py"))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1");
    run_with_stdin(c, stdin, limit)
}

/// Two unmodified lecture clients play each other on a player-vs-player
/// port (SPEC.md, "Player vs player"): one stacks column 0, the other
/// column 1, each with its stdin written up front (the client
/// reads a command only after the previous reply, and a reply comes only
/// once the opponent has answered). Both see their own stones as X; the
/// first wins on its fourth stone, the second is told it lost, and both
/// leave with `\salir`. Panics on any deviation.
pub fn lecture_clients_play_each_other(addr: SocketAddr, limit: Duration) {
    let first = "\\juego_nuevo\n\\jugada 0\n\\jugada 0\n\\jugada 0\n\\jugada 0\n\\salir\n";
    // Four moves each: whoever moves first wins with its fourth, and the
    // other's fourth is refused (no game), answered at once.
    let second = "\\juego_nuevo\n\\jugada 1\n\\jugada 1\n\\jugada 1\n\\jugada 1\n\\salir\n";
    let a = std::thread::spawn(move || lecture_client(addr, first, limit));
    // The first to join moves first: let it join first.
    std::thread::sleep(Duration::from_millis(500));
    let b = lecture_client(addr, second, limit);
    let a = a.join().expect("first client thread");
    for (out, who) in [(&a, "first"), (&b, "second")] {
        assert!(out.success(), "{who} client failed: {}", out.stderr);
        assert!(
            out.stdout.contains("jugador contra jugador"),
            "{who}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("¡Hasta luego!"),
            "{who}: {}",
            out.stdout
        );
        assert!(!out.stdout.contains("Error"), "{who}: {}", out.stdout);
    }
    // Whoever joined first (the head start makes it `a`, but a loaded
    // machine may not) moved first and wins on its fourth stone.
    let (winner, loser) = if a.stdout.contains("¡Ganaste!") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert!(
        winner.stdout.contains("¡Ganaste!"),
        "nobody won:\n{}\n{}",
        a.stdout,
        b.stdout
    );
    assert!(winner.stdout.contains("tú empiezas"), "{}", winner.stdout);
    assert!(!winner.stdout.contains("Perdiste"), "{}", winner.stdout);
    assert!(
        loser.stdout.contains("empezó en la columna"),
        "{}",
        loser.stdout
    );
    assert!(
        loser.stdout.contains("Perdiste: tu rival"),
        "{}",
        loser.stdout
    );
    // The loser's last board: its three stones X beside the winner's four O.
    assert!(
        loser.stdout.contains("|O|X| | | | | |") || loser.stdout.contains("|X|O| | | | | |"),
        "{}",
        loser.stdout
    );
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
