//! Player vs player (SPEC.md, "Player vs player"): two clients matched on
//! the PvP ports play each other, each checked against the one board both
//! share (its own stones `X`), turn by turn: a reply comes only once the
//! opponent has answered; the winner and the loser are told; a leaver's
//! opponent is told `opponent_left`; a classic and a compact player are
//! matched; two matches at once do not mix.

use super::RECLAIM_WITHIN;
use crate::{Target, READ_TIMEOUT};
use cuatro_proto::{Action, Board, Cell, Codec, Error, Estado, Event};
use host::client::{Client, Received};
use std::time::Duration;

/// How long a held reply must stay held for the check that it is (the
/// opponent has not moved yet).
const HELD_FOR: Duration = Duration::from_millis(300);

/// One player: its client and the board as it should see it.
struct Player {
    client: Client,
    label: String,
    /// The shared game, from this player's side: its stones `Player`.
    board: Board,
}

impl Player {
    /// Connects and checks the greeting; a `server_full` greeting (the
    /// previous scenario's sessions still closing) is retried for up to
    /// [`RECLAIM_WITHIN`].
    fn connect(t: &Target, codec: Codec, label: &str) -> Player {
        let deadline = std::time::Instant::now() + RECLAIM_WITHIN;
        let (client, hello) = loop {
            let mut client = Client::connect(t.pvp_addr(codec), codec, READ_TIMEOUT)
                .unwrap_or_else(|e| panic!("{label}: connect: {e}"));
            let hello = client
                .recv()
                .unwrap_or_else(|e| panic!("{label}: greeting: {e}"));
            if hello.error != Some(Error::ServerFull) || std::time::Instant::now() >= deadline {
                break (client, hello);
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(hello.continuar, "{label}: greeting {hello:?}");
        assert_eq!(hello.estado, Estado::SinJuego, "{label}");
        if let Some(event) = hello.event {
            assert_eq!(event, Event::WelcomePvp, "{label}");
        }
        if let Some(m) = &hello.mensaje {
            assert!(m.contains("jugador contra jugador"), "{label}: {m}");
        }
        Player {
            client,
            label: label.to_owned(),
            board: Board::default(),
        }
    }

    fn send(&mut self, action: Action) {
        self.client
            .send(&action)
            .unwrap_or_else(|e| panic!("{}: send {action:?}: {e}", self.label));
    }

    fn recv(&mut self) -> Received {
        let r = self
            .client
            .recv()
            .unwrap_or_else(|e| panic!("{}: no reply: {e}", self.label));
        assert_eq!(
            r.tablero, self.board,
            "{}: the board is not the shared one (own stones X)\n{r:?}",
            self.label
        );
        r
    }

    /// Its reply is held: nothing arrives for a while.
    fn held(&mut self) {
        self.client
            .stream()
            .set_read_timeout(Some(HELD_FOR))
            .expect("set timeout");
        let got = self.client.recv();
        self.client
            .stream()
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("set timeout");
        if let Ok(r) = got {
            panic!(
                "{}: a reply came before the opponent answered: {r:?}",
                self.label
            );
        }
    }

    /// Drops a stone of `who` in `col` on this player's board.
    fn drop_stone(&mut self, col: usize, who: Cell) {
        let row = (0..6)
            .rev()
            .find(|&r| self.board.cells[r][col] == Cell::Empty)
            .expect("column has room");
        self.board.cells[row][col] = who;
    }
}

/// A plays its stone in `col` (both boards learn it).
fn stone(mover: &mut Player, other: &mut Player, col: usize) {
    mover.drop_stone(col, Cell::Player);
    other.drop_stone(col, Cell::Cpu);
}

/// Matches `a` (first to join: moves first) and `b`.
fn matched(a: &mut Player, b: &mut Player) {
    a.send(Action::NewGame);
    a.held();
    b.send(Action::NewGame);
    let r = a.recv();
    assert_eq!(r.estado, Estado::Jugando, "{}: {r:?}", a.label);
    if let Some(e) = r.event {
        assert_eq!(e, Event::Matched { opening: None }, "{}", a.label);
    }
    if let Some(m) = &r.mensaje {
        assert!(m.contains("tú empiezas"), "{}: {m}", a.label);
    }
    b.held();
}

/// A full game: `a` stacks column 0, `b` column 1; `a` wins on its
/// fourth stone. Replies are checked in order: each comes once the
/// opponent answered.
pub fn pvp_game(t: &Target, ca: Codec, cb: Codec) {
    let mut a = Player::connect(t, ca, &format!("first player ({ca:?})"));
    let mut b = Player::connect(t, cb, &format!("second player ({cb:?})"));
    matched(&mut a, &mut b);
    for turn in 0..4 {
        a.send(Action::Move(0));
        stone(&mut a, &mut b, 0);
        if turn == 3 {
            let r = a.recv();
            assert_eq!(r.estado, Estado::Ganaste, "{r:?}");
            if let Some(e) = r.event {
                assert_eq!(
                    e,
                    Event::Answered {
                        player: 0,
                        opponent: None
                    }
                );
            }
            let r = b.recv();
            assert_eq!(r.estado, Estado::Perdiste, "{r:?}");
            if let Some(m) = &r.mensaje {
                assert!(m.contains("tu rival hizo cuatro"), "{m}");
            }
            break;
        }
        a.held();
        let r = b.recv();
        assert_eq!(r.estado, Estado::Jugando);
        if let Some(e) = r.event {
            let want = if turn == 0 {
                Event::Matched { opening: Some(0) }
            } else {
                Event::Answered {
                    player: 1,
                    opponent: Some(0),
                }
            };
            assert_eq!(e, want, "{}", b.label);
        }
        b.send(Action::Move(1));
        stone(&mut b, &mut a, 1);
        b.held();
        let r = a.recv();
        assert_eq!(r.estado, Estado::Jugando);
        if let Some(e) = r.event {
            assert_eq!(
                e,
                Event::Answered {
                    player: 0,
                    opponent: Some(1)
                }
            );
        }
    }
    // Both can start over: b joins first this time and moves first.
    a.board = Board::default();
    b.board = Board::default();
    matched(&mut b, &mut a);
    b.send(Action::Quit);
    let r = b.client.recv().expect("goodbye");
    assert!(!r.continuar);
    let r = a.recv();
    assert_eq!(r.estado, Estado::Ganaste, "{r:?}");
    assert_eq!(r.error, Some(Error::OpponentLeft));
    assert!(r.continuar);
    a.send(Action::Quit);
    let _ = a.client.recv();
}

/// A player leaves mid-game (its connection dropped, no `\salir`): the
/// opponent, waiting for its move, is told it won (`opponent_left`); a
/// refused move (a full column, out of range) is answered at once.
pub fn pvp_leaver(t: &Target) {
    let mut a = Player::connect(t, Codec::Compact, "first player");
    let mut b = Player::connect(t, Codec::Classic, "second player");
    matched(&mut a, &mut b);
    a.send(Action::Move(9));
    let r = a.recv();
    assert_eq!(r.estado, Estado::Jugando, "refused at once: {r:?}");
    a.send(Action::Move(3));
    stone(&mut a, &mut b, 3);
    b.recv();
    b.send(Action::Move(4));
    stone(&mut b, &mut a, 4);
    a.recv();
    // a to move, b waits: a vanishes.
    drop(a);
    let r = b.recv();
    assert_eq!(r.estado, Estado::Ganaste, "{r:?}");
    assert_eq!(r.error, Some(Error::OpponentLeft));
    if let Some(m) = &r.mensaje {
        assert!(m.contains("opponent_left"), "{m}");
    }
    b.send(Action::Quit);
    let _ = b.client.recv();
}

/// Two matches at once (four players): each game goes on as if alone.
pub fn pvp_two_matches(t: &Target) {
    let mut p: Vec<Player> = (0..4)
        .map(|i| Player::connect(t, crate::CODECS[i % 2], &format!("player {i}")))
        .collect();
    let (first, second) = p.split_at_mut(2);
    let [a, b] = first else { unreachable!() };
    let [c, d] = second else { unreachable!() };
    matched(a, b);
    matched(c, d);
    // Interleaved: a and c move; b and d answer in different columns.
    a.send(Action::Move(2));
    stone(a, b, 2);
    c.send(Action::Move(5));
    stone(c, d, 5);
    d.recv();
    b.recv();
    d.send(Action::Move(5));
    stone(d, c, 5);
    b.send(Action::Move(2));
    stone(b, a, 2);
    a.recv();
    c.recv();
    for q in p.iter_mut() {
        q.send(Action::Quit);
    }
}

/// A client that sends `\juego_nuevo` and closes its sending half at once
/// (a scripted client, `printf … | nc`) still gets its held reply once an
/// opponent joins; then, with nothing more to say, it has left, and the
/// opponent waiting for its opening move is told `opponent_left`.
pub fn pvp_half_closed(t: &Target) {
    let mut a = Player::connect(t, Codec::Compact, "half-closed player");
    a.send(Action::NewGame);
    a.client
        .stream()
        .shutdown(std::net::Shutdown::Write)
        .expect("half-close");
    a.held();
    let mut b = Player::connect(t, Codec::Classic, "second player");
    b.send(Action::NewGame);
    let r = a.recv();
    if let Some(e) = r.event {
        assert_eq!(e, Event::Matched { opening: None });
    }
    let r = b.recv();
    assert_eq!(r.estado, Estado::Ganaste, "{r:?}");
    assert_eq!(r.error, Some(Error::OpponentLeft));
    b.send(Action::Quit);
    let _ = b.client.recv();
}
