//! The referee: an independent judge of the game protocol, client side, for
//! every client that checks a server (the simulator's netsim and relay/TAP
//! clients, the end-to-end tests).
//!
//! It keeps the game as the server should have it and checks each reply
//! against the rules of SPEC.md: the greeting first, then exactly one reply
//! per action, in order (pipelining allowed), none after the final one
//! (`continuar: false`); the player's piece lands at the bottom of the
//! chosen column, the CPU adds exactly one piece in a legal column (unless
//! the player just won or drew), no other cell changes and nothing floats;
//! wins and draws are declared exactly when four in a row / a full board
//! happen, and a finished game is forgotten; refused moves change nothing;
//! error replies carry their code, `continuar` as the SPEC says and the game
//! untouched. Compact replies must carry the right event; classic replies
//! must carry the lecture's `mensaje`, drawing the board and naming the
//! outcome. Its four-in-a-row checker is written here, on purpose not
//! shared with `cuatro_core::game`.
//!
//! Two ways to drive it: say what each reply answers ([`Referee::greeting`],
//! [`Referee::after`], [`Referee::error_reply`]), or record each action as
//! it is sent ([`Referee::sent`]) and hand it the replies in order
//! ([`Referee::check`]).

use crate::Received;
use cuatro_proto::{Action, Board, Cell, Codec, Error, Estado, Event, Refusal, COLS, ROWS};
use std::collections::VecDeque;

type Check = Result<(), String>;

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// The cell at `row` (0 on top), `col`; `None` off the board.
fn cell(b: &Board, row: usize, col: usize) -> Option<Cell> {
    b.cells.get(row)?.get(col).copied()
}

/// Puts `c` at `row`, `col` (nothing off the board).
fn put(b: &mut Board, row: usize, col: usize, c: Cell) {
    if let Some(x) = b.cells.get_mut(row).and_then(|r| r.get_mut(col)) {
        *x = c;
    }
}

/// Every owner of a line of four on `b` (one entry per line found).
pub fn lines_of_four(b: &Board) -> Vec<Cell> {
    let at = |r: i64, c: i64| -> Option<Cell> {
        cell(b, usize::try_from(r).ok()?, usize::try_from(c).ok()?)
    };
    let mut found = Vec::new();
    for r in 0..ROWS as i64 {
        for c in 0..COLS as i64 {
            let Some(first) = at(r, c).filter(|&x| x != Cell::Empty) else {
                continue;
            };
            for (dr, dc) in [(0, 1), (1, 0), (1, 1), (1, -1)] {
                if (1..4).all(|k| at(r + dr * k, c + dc * k) == Some(first)) {
                    found.push(first);
                }
            }
        }
    }
    found
}

/// Who has four in a row on `b`, if anyone (the first line found).
pub fn winner(b: &Board) -> Option<Cell> {
    lines_of_four(b).first().copied()
}

/// Whether `who` has four in a row on `b`.
pub fn has_four(b: &Board, who: Cell) -> bool {
    lines_of_four(b).contains(&who)
}

/// Whether every cell is taken.
pub fn is_full(b: &Board) -> bool {
    b.cells.iter().flatten().all(|&c| c != Cell::Empty)
}

/// The row a piece dropped in `col` lands on (row 0 is the top), if the
/// column exists and has room.
pub fn landing_row(b: &Board, col: usize) -> Option<usize> {
    (0..ROWS)
        .rev()
        .find(|&r| cell(b, r, col) == Some(Cell::Empty))
}

/// Columns that still have room.
pub fn open_columns(b: &Board) -> Vec<usize> {
    (0..COLS).filter(|&c| landing_row(b, c).is_some()).collect()
}

/// Checks that no piece floats above an empty cell.
pub fn check_gravity(b: &Board) -> Check {
    for r in 0..ROWS - 1 {
        for c in 0..COLS {
            if cell(b, r, c) != Some(Cell::Empty) && cell(b, r + 1, c) == Some(Cell::Empty) {
                return Err(format!(
                    "piece floating at row {r}, column {c}\n{}",
                    show(b)
                ));
            }
        }
    }
    Ok(())
}

/// A board as text, row 0 on top, for failure messages.
pub fn show(b: &Board) -> String {
    let mut s = String::from(" 0123456\n");
    for row in &b.cells {
        s.push('|');
        for c in row {
            s.push(match c {
                Cell::Empty => '.',
                Cell::Player => 'X',
                Cell::Cpu => 'O',
            });
        }
        s.push_str("|\n");
    }
    s
}

/// The board drawing the classic `mensaje` must contain: one `| |X|O|...|`
/// line per row, top first.
fn drawn_rows(b: &Board) -> Vec<String> {
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

/// The judge of one connection.
#[derive(Debug, Clone)]
pub struct Referee {
    codec: Codec,
    /// The game as the server should have it (`None`: no game).
    game: Option<Board>,
    /// Whether the greeting was checked (or a reply to an action was).
    greeted: bool,
    /// Actions sent whose replies [`Referee::check`] still expects, in order.
    pending: VecDeque<Action>,
    replies: u64,
    results: Vec<Estado>,
    /// The server sent its final reply (`continuar: false`).
    closed: bool,
}

impl Referee {
    /// A referee for a fresh connection speaking `codec`: the greeting
    /// comes first.
    pub fn new(codec: Codec) -> Self {
        Referee {
            codec,
            game: None,
            greeted: false,
            pending: VecDeque::new(),
            replies: 0,
            results: Vec::new(),
            closed: false,
        }
    }

    /// The codec of the connection.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The current game as the server should have it.
    pub fn game(&self) -> Option<&Board> {
        self.game.as_ref()
    }

    /// Whether a game is in progress.
    pub fn in_game(&self) -> bool {
        self.game.is_some()
    }

    /// Columns a move may go to now (none without a game).
    pub fn legal_columns(&self) -> Vec<u8> {
        match &self.game {
            Some(b) => open_columns(b).into_iter().map(|c| c as u8).collect(),
            None => Vec::new(),
        }
    }

    /// Full columns of the current game.
    pub fn full_columns(&self) -> Vec<usize> {
        match &self.game {
            Some(b) => (0..COLS).filter(|&c| landing_row(b, c).is_none()).collect(),
            None => Vec::new(),
        }
    }

    /// Replies checked so far (greeting included).
    pub fn replies(&self) -> u64 {
        self.replies
    }

    /// Replies still owed: the greeting until it came, and one for each
    /// action recorded with [`Referee::sent`].
    pub fn outstanding(&self) -> usize {
        self.pending.len() + usize::from(!self.greeted)
    }

    /// How the games finished on this connection ended, in order.
    pub fn results(&self) -> &[Estado] {
        &self.results
    }

    /// Whether the server sent its final reply (`continuar: false`): it
    /// closes next, and any further reply is wrong.
    pub fn closed(&self) -> bool {
        self.closed
    }

    // ------------------------------------------------------------ in order

    /// Records an action sent (pipelining allowed: [`Referee::check`] takes
    /// the replies in order).
    pub fn sent(&mut self, action: Action) {
        self.pending.push_back(action);
    }

    /// Checks the next reply: the greeting first, then the reply to the
    /// oldest action recorded with [`Referee::sent`]. The message explains
    /// the violation and shows both boards.
    pub fn check(&mut self, r: &Received) -> Check {
        let n = self.replies;
        let res = if self.closed {
            self.replies += 1;
            Err("a reply after the server's final reply (continuar: false)".into())
        } else if !self.greeted {
            self.greeting(r)
        } else {
            match self.pending.pop_front() {
                Some(action) => self.judge(&action, r),
                None => {
                    self.replies += 1;
                    Err("a reply to no action (duplicated or unsolicited)".into())
                }
            }
        };
        res.map_err(|e| {
            format!(
                "reply #{n}: {e}\n  got estado={:?} continuar={} error={:?} event={:?}\n  got board:\n{}  referee's board:\n{}",
                r.estado,
                r.continuar,
                r.error,
                r.event,
                show(&r.tablero),
                show(&self.game.unwrap_or_default())
            )
        })
    }

    // ------------------------------------------------------------ told what a reply answers

    /// Checks the greeting sent on connect.
    pub fn greeting(&mut self, r: &Received) -> Check {
        self.replies += 1;
        ensure(!self.greeted, || "a second greeting".into())?;
        self.greeted = true;
        ensure(r.continuar, || "greeting has continuar false".into())?;
        ensure(r.error.is_none(), || {
            format!("greeting carries error {:?}", r.error)
        })?;
        self.check_event(r, Event::Welcome)?;
        self.check_current(r)?;
        self.check_mensaje(r)
    }

    /// Checks the reply to `action` and advances the game.
    pub fn after(&mut self, action: &Action, r: &Received) -> Check {
        self.in_turn(action)?;
        self.judge(action, r)
    }

    /// Checks an error reply (to a payload that is no action): `code`,
    /// `continuar` as given, game untouched.
    pub fn error_reply(&mut self, r: &Received, code: Error, continuar: bool) -> Check {
        self.in_turn(&format!("an error {code:?}"))?;
        self.replies += 1;
        self.greeted = true;
        ensure(!self.closed, || {
            "a reply after the server's final reply (continuar: false)".into()
        })?;
        ensure(r.error == Some(code), || {
            format!("expected error {code:?}, got {:?}", r.error)
        })?;
        ensure(r.continuar == continuar, || {
            format!("expected continuar {continuar}, got {}", r.continuar)
        })?;
        self.closed = !continuar;
        self.check_event(r, Event::Failed)?;
        self.check_current(r)?;
        if let Some(m) = &r.mensaje {
            ensure(m.contains(code.code()) || code == Error::ServerFull, || {
                format!(
                    "mensaje does not name the error code {}: {m:?}",
                    code.code()
                )
            })?;
        }
        self.check_mensaje(r)
    }

    /// Checks a "server full" reply (a connection that got no session).
    pub fn server_full(r: &Received) -> Check {
        ensure(r.error == Some(Error::ServerFull), || {
            format!("expected server_full, got {:?}", r.error)
        })?;
        ensure(!r.continuar, || "server_full with continuar true".into())?;
        ensure(r.estado == Estado::SinJuego, || {
            format!("server_full with estado {:?}", r.estado)
        })?;
        ensure(r.tablero == Board::default(), || {
            "server_full with a non-empty board".into()
        })?;
        if let Some(m) = &r.mensaje {
            ensure(!m.trim().is_empty(), || {
                "server_full with an empty mensaje".into()
            })?;
        }
        Ok(())
    }

    /// A reply the caller attributes to `what` comes in its turn: not while
    /// replies to recorded actions are owed.
    fn in_turn(&self, what: &dyn std::fmt::Debug) -> Check {
        ensure(self.pending.is_empty(), || {
            format!(
                "a reply taken as the answer to {what:?} while {} recorded action(s) await theirs",
                self.pending.len()
            )
        })
    }

    /// Checks the reply to `action` (in its turn) and advances the game.
    fn judge(&mut self, action: &Action, r: &Received) -> Check {
        self.replies += 1;
        self.greeted = true;
        ensure(!self.closed, || {
            "a reply after the server's final reply (continuar: false)".into()
        })?;
        ensure(r.error.is_none(), || {
            format!("unexpected error {:?}", r.error)
        })?;
        match *action {
            Action::NewGame => {
                ensure(r.continuar, || "continuar false".into())?;
                self.game = Some(Board::default());
                self.check_event(r, Event::NewGame)?;
                self.check_current(r)?;
            }
            Action::Quit => {
                ensure(!r.continuar, || {
                    "\\salir answered with continuar true".into()
                })?;
                self.check_event(r, Event::Goodbye)?;
                // The goodbye still describes the session's game.
                self.check_current(r)?;
                self.game = None;
                self.closed = true;
            }
            Action::Move(col) => self.check_move(col, r)?,
        }
        self.check_mensaje(r)
    }

    fn check_move(&mut self, col: i64, r: &Received) -> Check {
        ensure(r.continuar, || {
            format!("move {col} answered with continuar false")
        })?;
        let Some(before) = self.game else {
            self.check_event(r, Event::Refused(Refusal::NoGame))?;
            return self.check_current(r);
        };
        let Some(c) = usize::try_from(col).ok().filter(|&c| c < COLS) else {
            self.check_event(r, Event::Refused(Refusal::OutOfRange(col)))?;
            return self.check_current(r);
        };
        let Some(row) = landing_row(&before, c) else {
            self.check_event(r, Event::Refused(Refusal::ColumnFull(c as u8)))?;
            return self.check_current(r);
        };
        let mut mid = before;
        put(&mut mid, row, c, Cell::Player);
        check_gravity(&r.tablero)?;
        let context = || {
            format!(
                "before:\n{}after player move {c}:\n{}reply:\n{}",
                show(&before),
                show(&mid),
                show(&r.tablero)
            )
        };

        // The player's move ends the game (a win, or the last cell): the
        // CPU does not move.
        let ending = if has_four(&mid, Cell::Player) {
            Some((Estado::Ganaste, "player made four in a row"))
        } else if is_full(&mid) {
            Some((Estado::Empate, "board full after player move"))
        } else {
            None
        };
        if let Some((estado, why)) = ending {
            ensure(r.estado == estado, || {
                format!("{why} but estado is {:?}\n{}", r.estado, context())
            })?;
            ensure(r.tablero == mid, || {
                format!("board after the game's last move is wrong\n{}", context())
            })?;
            self.check_event(
                r,
                Event::Played {
                    player: c as u8,
                    cpu: None,
                },
            )?;
            self.finish(estado);
            return Ok(());
        }
        // Exactly one more cell: a CPU piece where a piece would land.
        let mut diffs = Vec::new();
        for rr in 0..ROWS {
            for cc in 0..COLS {
                if cell(&r.tablero, rr, cc) != cell(&mid, rr, cc) {
                    diffs.push((rr, cc));
                }
            }
        }
        let &[(cr, cc)] = diffs.as_slice() else {
            return Err(format!(
                "expected exactly one CPU piece added, {} cells differ: {diffs:?}\n{}",
                diffs.len(),
                context()
            ));
        };
        ensure(
            cell(&mid, cr, cc) == Some(Cell::Empty) && cell(&r.tablero, cr, cc) == Some(Cell::Cpu),
            || {
                format!(
                    "cell ({cr},{cc}) changed but is not a new CPU piece\n{}",
                    context()
                )
            },
        )?;
        ensure(landing_row(&mid, cc) == Some(cr), || {
            format!(
                "CPU piece at ({cr},{cc}) is not where it would land\n{}",
                context()
            )
        })?;
        self.check_event(
            r,
            Event::Played {
                player: c as u8,
                cpu: Some(cc as u8),
            },
        )?;
        let after = r.tablero;
        let expected = if has_four(&after, Cell::Cpu) {
            Estado::Perdiste
        } else if is_full(&after) {
            Estado::Empate
        } else {
            Estado::Jugando
        };
        ensure(r.estado == expected, || {
            format!(
                "estado {:?}, expected {expected:?}\n{}",
                r.estado,
                context()
            )
        })?;
        if expected == Estado::Jugando {
            self.game = Some(after);
        } else {
            self.finish(expected);
        }
        Ok(())
    }

    /// A game ended `estado`: recorded, and forgotten.
    fn finish(&mut self, estado: Estado) {
        self.results.push(estado);
        self.game = None;
    }

    /// The reply must describe the current game: `jugando` and its board,
    /// or `sin_juego` and an empty board.
    fn check_current(&self, r: &Received) -> Check {
        match &self.game {
            Some(b) => {
                ensure(r.estado == Estado::Jugando, || {
                    format!("estado {:?}, expected Jugando", r.estado)
                })?;
                ensure(r.tablero == *b, || {
                    format!(
                        "board changed; expected:\n{}got:\n{}",
                        show(b),
                        show(&r.tablero)
                    )
                })
            }
            None => {
                ensure(r.estado == Estado::SinJuego, || {
                    format!("estado {:?}, expected SinJuego", r.estado)
                })?;
                ensure(r.tablero == Board::default(), || {
                    format!("no game but the board is not empty:\n{}", show(&r.tablero))
                })
            }
        }
    }

    /// Compact replies carry the event: it must be `expected` (and so must
    /// any event a classic reply carries).
    fn check_event(&self, r: &Received, expected: Event) -> Check {
        match (self.codec, r.event) {
            (_, Some(e)) => ensure(e == expected, || {
                format!("event {e:?}, expected {expected:?}")
            }),
            (Codec::Compact, None) => Err("compact reply without an event".into()),
            (Codec::Classic, None) => Ok(()),
        }
    }

    /// Classic replies carry the lecture's `mensaje`: non-empty, showing the
    /// board when there is one, naming the outcome when the game ended
    /// (and any `mensaje` a compact reply carries is non-empty).
    fn check_mensaje(&self, r: &Received) -> Check {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(r.after(&Action::NewGame, &started).is_ok());
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
}
