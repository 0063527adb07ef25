//! The referee's own tests (more, against crafted replies, in
//! `tests/tests/referee.rs`).
#![allow(clippy::unwrap_used)]

use super::board::put;
use super::mensaje::drawn_rows;
use super::*;
use cuatro_proto::{Cell, Level, Refusal};

fn seen(estado: Estado, board: Board, event: Event) -> Received {
    Received {
        continuar: true,
        estado,
        tablero: board,
        error: None,
        event: Some(event),
        mensaje: None,
    }
}

#[test]
fn checks_a_move_and_catches_floating_or_double_pieces() {
    let mut r = Referee::new(Codec::Compact);
    let welcome = seen(Estado::SinJuego, Board::default(), Event::Welcome);
    assert!(r.check(&welcome).is_ok());
    r.sent(Action::NewGame);
    let started = seen(Estado::Jugando, Board::default(), Event::NewGame);
    assert!(r.check(&started).is_ok());

    let played = Event::Played {
        player: 3,
        cpu: Some(0),
    };
    let mut good = Board::default();
    good.cells[5][3] = Cell::Player;
    good.cells[5][0] = Cell::Cpu;
    let mut r2 = r.clone();
    r2.sent(Action::Move(3));
    assert!(r2.check(&seen(Estado::Jugando, good, played)).is_ok());

    let mut floating = good;
    floating.cells[5][0] = Cell::Empty;
    floating.cells[4][0] = Cell::Cpu;
    let mut r3 = r.clone();
    r3.sent(Action::Move(3));
    assert!(r3.check(&seen(Estado::Jugando, floating, played)).is_err());

    let mut double = good;
    double.cells[5][1] = Cell::Cpu;
    let mut r4 = r.clone();
    r4.sent(Action::Move(3));
    assert!(r4.check(&seen(Estado::Jugando, double, played)).is_err());

    // An unsolicited (duplicated) reply.
    assert!(r2.check(&seen(Estado::Jugando, good, played)).is_err());
}

#[test]
fn replies_come_in_order_and_none_after_the_last() {
    let mut r = Referee::new(Codec::Compact);
    // A first reply that is not a greeting.
    assert!(r
        .check(&seen(Estado::Jugando, Board::default(), Event::NewGame))
        .is_err());
    let mut r = Referee::new(Codec::Compact);
    assert_eq!(r.outstanding(), 1, "the greeting is owed");
    assert!(r
        .check(&seen(Estado::SinJuego, Board::default(), Event::Welcome))
        .is_ok());
    assert_eq!(r.outstanding(), 0);
    // Pipelined: a refused move, then \salir; answered in order.
    r.sent(Action::Move(3));
    r.sent(Action::Quit);
    assert_eq!(r.outstanding(), 2);
    let refused = seen(
        Estado::SinJuego,
        Board::default(),
        Event::Refused(Refusal::NoGame),
    );
    assert!(r.check(&refused).is_ok());
    let mut bye = seen(Estado::SinJuego, Board::default(), Event::Goodbye);
    bye.continuar = false;
    assert!(r.check(&bye).is_ok());
    assert!(r.closed());
    r.sent(Action::NewGame);
    assert!(r
        .check(&seen(Estado::Jugando, Board::default(), Event::NewGame))
        .is_err());
}

#[test]
fn a_classic_reply_draws_the_board_and_names_the_outcome() {
    let mut r = Referee::new(Codec::Classic);
    let mut greeting = seen(Estado::SinJuego, Board::default(), Event::Welcome);
    greeting.event = None;
    assert!(r.clone().greeting(&greeting).is_err(), "no mensaje");
    greeting.mensaje = Some("Bienvenido".into());
    assert!(r.greeting(&greeting).is_ok());
    let mut started = seen(Estado::Jugando, Board::default(), Event::NewGame);
    started.event = None;
    started.mensaje = Some("Juego nuevo".into());
    assert!(
        r.clone().after(&Action::NewGame, &started).is_err(),
        "no level named"
    );
    started.mensaje = Some("Juego nuevo contra la CPU nivel facil: tú empiezas.".into());
    assert!(
        r.clone()
            .after(&Action::NewGameAt(Level::Dificil), &started)
            .is_err(),
        "the wrong level"
    );
    assert!(
        r.clone()
            .with_default_level(Level::Aleatorio)
            .after(&Action::NewGame, &started)
            .is_err(),
        "not the default level"
    );
    started.mensaje = Some("Juego nuevo contra la CPU nivel aleatorio: tú empiezas.".into());
    assert!(r.after(&Action::NewGame, &started).is_ok());
    assert_eq!(r.level(), Some(Level::Aleatorio));
    let mut b = Board::default();
    b.cells[5][3] = Cell::Player;
    b.cells[5][0] = Cell::Cpu;
    let mut moved = seen(Estado::Jugando, b, Event::NewGame);
    moved.event = None;
    moved.mensaje = Some("no board here".into());
    assert!(r.clone().after(&Action::Move(3), &moved).is_err());
    let rows: Vec<String> = drawn_rows(&b);
    moved.mensaje = Some(rows.join("\n"));
    assert!(r.after(&Action::Move(3), &moved).is_ok());
}

#[test]
fn four_in_a_row_in_every_direction() {
    let mut b = Board::default();
    for k in 0..4 {
        put(&mut b, 5 - k, k, Cell::Cpu);
    }
    assert!(has_four(&b, Cell::Cpu));
    assert!(!has_four(&b, Cell::Player));
    let mut v = Board::default();
    for r in 2..6 {
        put(&mut v, r, 6, Cell::Player);
    }
    assert!(has_four(&v, Cell::Player));
    assert_eq!(winner(&v), Some(Cell::Player));
}

/// At `facil` and `dificil` the CPU must take a win, else block one; at
/// `aleatorio` anything legal goes. Compact events name the level.
#[test]
fn the_levels_promises() {
    // The player has 0, 1 on the bottom, the CPU 0, 1 on top of them and
    // 6 on the bottom; the player plays 2 (threatening 3), and the CPU has
    // 3 in a row neither, so it must block at 3.
    let mut before = Board::default();
    for (r, c, who) in [
        (5, 0, Cell::Player),
        (5, 1, Cell::Player),
        (4, 0, Cell::Cpu),
        (4, 1, Cell::Cpu),
    ] {
        put(&mut before, r, c, who);
    }
    let mut mid = before;
    put(&mut mid, 5, 2, Cell::Player);
    let answer = |cpu_col: usize| {
        let mut b = mid;
        put(&mut b, 5, cpu_col, Cell::Cpu);
        seen(
            Estado::Jugando,
            b,
            Event::Played {
                player: 2,
                cpu: Some(cpu_col as u8),
            },
        )
    };
    for (level, event) in [
        (Level::Aleatorio, Event::NewGame),
        (Level::Facil, Event::NewGameAt(Level::Facil)),
        (Level::Dificil, Event::NewGameAt(Level::Dificil)),
    ] {
        let mut r = Referee::new(Codec::Compact);
        r.greeting(&seen(Estado::SinJuego, Board::default(), Event::Welcome))
            .unwrap();
        assert!(
            r.clone()
                .after(
                    &Action::NewGameAt(level),
                    &seen(
                        Estado::Jugando,
                        Board::default(),
                        Event::NewGameAt(Level::Aleatorio)
                    )
                )
                .is_err(),
            "{level:?}: an aleatorio game is NewGame"
        );
        r.after(
            &Action::NewGameAt(level),
            &seen(Estado::Jugando, Board::default(), event),
        )
        .unwrap();
        // Replay `before` as the referee's game.
        r.game = Some(before);
        assert!(r.clone().after(&Action::Move(2), &answer(3)).is_ok());
        assert_eq!(
            r.clone().after(&Action::Move(2), &answer(6)).is_ok(),
            level == Level::Aleatorio,
            "{level:?} not blocking"
        );
    }
}
