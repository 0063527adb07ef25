//! Many full games on both codecs against the in-process simulator, every
//! reply refereed; plus checks that the referee itself catches bad replies.

use cuatro_proto::{Action, Board, Cell, Codec, Error, Estado, Event, Refusal};
use cuatro_tests::referee::{self, Referee};
use cuatro_tests::{in_process_sim, Refereed, Rng, CODECS};
use host::client::Received;

#[test]
fn many_full_games_both_codecs() {
    let (_sim, t) = in_process_sim(42, None);
    let mut rng = Rng::new(2024);
    let mut ends = Vec::new();
    for codec in CODECS {
        let mut s = Refereed::connect(t.addr(codec), codec, &format!("{codec:?}"));
        for _ in 0..25 {
            let e = s.play_full_game(&mut rng);
            ends.push((codec, e));
        }
        s.quit();
    }
    eprintln!("outcomes: {ends:?}");
    // A random player against a random CPU wins and loses some.
    for codec in CODECS {
        assert!(
            ends.contains(&(codec, Estado::Ganaste)),
            "{codec:?}: never won in 25 games"
        );
        assert!(
            ends.contains(&(codec, Estado::Perdiste)),
            "{codec:?}: never lost in 25 games"
        );
    }
}

#[test]
fn refused_moves_and_forgotten_games() {
    let (_sim, t) = in_process_sim(7, None);
    let mut rng = Rng::new(77);
    for codec in CODECS {
        let mut s = Refereed::connect(t.addr(codec), codec, &format!("{codec:?}"));
        // No game yet.
        s.act(Action::Move(3));
        s.act(Action::NewGame);
        for col in [-1, 7, 100, i64::MIN, i64::MAX] {
            s.act(Action::Move(col));
        }
        // Fill column 0 (player + CPU pieces) until the server refuses it,
        // unless the game ends first.
        for _ in 0..12 {
            if s.referee.game().is_none() {
                break;
            }
            if s.referee.full_columns().contains(&0) {
                s.act(Action::Move(0));
                break;
            }
            s.act(Action::Move(0));
        }
        // Finish the game, then the next move is refused: it was forgotten.
        while s.referee.game().is_some() {
            s.step(&mut rng);
        }
        let r = s.act(Action::Move(3));
        assert_eq!(r.estado, Estado::SinJuego);
        // \juego_nuevo in the middle of a game starts another.
        s.act(Action::NewGame);
        s.step(&mut rng);
        s.act(Action::NewGame);
        s.quit();
    }
}

#[test]
fn cpu_moves_look_uniform() {
    // The CPU picks a uniformly random legal column: over many first
    // moves every column shows up.
    let (_sim, t) = in_process_sim(3, None);
    let mut s = Refereed::connect(t.compact, Codec::Compact, "uniform");
    let mut counts = [0usize; 7];
    for _ in 0..140 {
        s.act(Action::NewGame);
        let r = s.act(Action::Move(3));
        if let Some(Event::Played { cpu: Some(c), .. }) = r.event {
            counts[c as usize] += 1;
        }
    }
    eprintln!("CPU first replies per column: {counts:?}");
    for (c, n) in counts.iter().enumerate() {
        assert!(
            *n >= 5,
            "column {c} chosen only {n} times in 140 games: {counts:?}"
        );
    }
    s.quit();
}

#[test]
fn win_checker_is_right() {
    let mut b = Board::default();
    assert_eq!(referee::winner(&b), None);
    for c in 0..4 {
        b.cells[5][c] = Cell::Player;
    }
    assert_eq!(referee::winner(&b), Some(Cell::Player));
    let mut b = Board::default();
    for r in 2..6 {
        b.cells[r][6] = Cell::Cpu;
    }
    assert_eq!(referee::winner(&b), Some(Cell::Cpu));
    let mut b = Board::default();
    for k in 0..4 {
        b.cells[5 - k][k + 2] = Cell::Player;
    }
    assert_eq!(referee::winner(&b), Some(Cell::Player));
    let mut b = Board::default();
    for k in 0..4 {
        b.cells[2 + k][k] = Cell::Cpu;
    }
    assert_eq!(referee::winner(&b), Some(Cell::Cpu));
    let mut b = Board::default();
    for c in 0..3 {
        b.cells[5][c] = Cell::Player;
    }
    b.cells[5][3] = Cell::Cpu;
    assert_eq!(referee::winner(&b), None);
}

fn reply(estado: Estado, tablero: Board, event: Event) -> Received {
    Received {
        mensaje: None,
        continuar: true,
        estado,
        tablero,
        event: Some(event),
        error: None,
    }
}

fn started() -> Referee {
    let mut r = Referee::new(Codec::Compact);
    r.after(
        &Action::NewGame,
        &reply(Estado::Jugando, Board::default(), Event::NewGame),
    )
    .expect("new game");
    r
}

#[test]
fn referee_catches_bad_replies() {
    let mut good = Board::default();
    good.cells[5][3] = Cell::Player;
    good.cells[5][4] = Cell::Cpu;
    let played = Event::Played {
        player: 3,
        cpu: Some(4),
    };
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, good, played))
        .is_ok());

    // CPU played twice.
    let mut two = good;
    two.cells[5][5] = Cell::Cpu;
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, two, played))
        .is_err());
    // Player piece in the wrong column.
    let mut wrong = Board::default();
    wrong.cells[5][2] = Cell::Player;
    wrong.cells[5][4] = Cell::Cpu;
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, wrong, played))
        .is_err());
    // Floating CPU piece.
    let mut floating = Board::default();
    floating.cells[5][3] = Cell::Player;
    floating.cells[3][4] = Cell::Cpu;
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, floating, played))
        .is_err());
    // CPU did not move.
    let mut lone = Board::default();
    lone.cells[5][3] = Cell::Player;
    let no_cpu = Event::Played {
        player: 3,
        cpu: None,
    };
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, lone, no_cpu))
        .is_err());
    // Wrong estado.
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Ganaste, good, played))
        .is_err());
    // Event names the wrong CPU column.
    let lie = Event::Played {
        player: 3,
        cpu: Some(5),
    };
    assert!(started()
        .after(&Action::Move(3), &reply(Estado::Jugando, good, lie))
        .is_err());
    // A refused move that changes the board.
    assert!(started()
        .after(
            &Action::Move(9),
            &reply(
                Estado::Jugando,
                good,
                Event::Refused(Refusal::OutOfRange(9))
            )
        )
        .is_err());
    // No game but a board.
    let mut fresh = Referee::new(Codec::Compact);
    assert!(fresh
        .after(
            &Action::Move(3),
            &reply(Estado::SinJuego, good, Event::Refused(Refusal::NoGame))
        )
        .is_err());
    // An error reply with the wrong code.
    let mut err = reply(Estado::SinJuego, Board::default(), Event::Failed);
    err.error = Some(Error::InvalidJson);
    assert!(Referee::new(Codec::Compact)
        .error_reply(&err, Error::WrongType, true)
        .is_err());
    assert!(Referee::new(Codec::Compact)
        .error_reply(&err, Error::InvalidJson, true)
        .is_ok());
}

#[test]
fn referee_detects_missed_win() {
    // Player has three in the bottom row and completes four: the server
    // must say Ganaste with no CPU move.
    let mut r = started();
    let mut b = Board::default();
    let mut moves = Vec::new();
    for (p, cpu) in [(0usize, 0usize), (1, 1), (2, 2)] {
        b.cells[5][p] = Cell::Player;
        b.cells[4][cpu] = Cell::Cpu;
        moves.push((p, b, cpu));
    }
    for (p, board, cpu) in moves {
        let e = Event::Played {
            player: p as u8,
            cpu: Some(cpu as u8),
        };
        r.after(&Action::Move(p as i64), &reply(Estado::Jugando, board, e))
            .expect("setup");
    }
    let mut win = b;
    win.cells[5][3] = Cell::Player;
    let mut missed = r.clone();
    let mut cont = win;
    cont.cells[5][4] = Cell::Cpu;
    let e = Event::Played {
        player: 3,
        cpu: Some(4),
    };
    assert!(missed
        .after(&Action::Move(3), &reply(Estado::Jugando, cont, e))
        .is_err());
    let e = Event::Played {
        player: 3,
        cpu: None,
    };
    assert!(r
        .after(&Action::Move(3), &reply(Estado::Ganaste, win, e))
        .is_ok());
    assert!(r.game().is_none(), "a finished game is forgotten");
}

#[test]
fn same_seed_same_game() {
    // The CPU draws from a seeded generator: two boards started with the
    // same seed answer the same moves with the same moves.
    let moves: Vec<i64> = (0..30).map(|i| (i * 5 % 7) as i64).collect();
    let (_a, ta) = in_process_sim(1234, None);
    let (_b, tb) = in_process_sim(1234, None);
    let (_c, tc) = in_process_sim(4321, None);
    for codec in CODECS {
        let first = cuatro_tests::scenarios::replay(ta.addr(codec), codec, &moves);
        let second = cuatro_tests::scenarios::replay(tb.addr(codec), codec, &moves);
        assert_eq!(first, second, "{codec:?}: same seed, different CPU moves");
    }
    let a = cuatro_tests::scenarios::replay(ta.classic, Codec::Classic, &moves);
    let c = cuatro_tests::scenarios::replay(tc.classic, Codec::Classic, &moves);
    assert_ne!(a, c, "different seeds gave the very same 30-move game");
}
