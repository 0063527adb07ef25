//! An independent referee of the game protocol.
//!
//! It keeps the game as the server should have it and checks each reply
//! against the rules of SPEC.md: the player's piece lands at the bottom of
//! the chosen column, the CPU adds exactly one piece in a legal column
//! (unless the player just won or drew), no other cell changes, wins and
//! draws are declared exactly when four in a row / a full board happen, and a
//! finished game is forgotten. Its four-in-a-row checker is written here, on
//! purpose not shared with `cuatro_core::game`.

use cuatro_proto::{Action, Board, Cell, Codec, Error, Estado, Event, Refusal, COLS, ROWS};
use host::client::Received;

/// The judge of one connection.
#[derive(Debug, Clone)]
pub struct Referee {
    codec: Codec,
    game: Option<Board>,
    /// Replies checked so far.
    pub replies: usize,
}

type Check = Result<(), String>;

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// Who has four in a row on `b`, if anyone (both: reported as an error by
/// the caller through [`lines_of_four`]).
pub fn winner(b: &Board) -> Option<Cell> {
    let lines = lines_of_four(b);
    lines.first().copied()
}

/// Every owner of a line of four on `b` (one entry per line found).
pub fn lines_of_four(b: &Board) -> Vec<Cell> {
    let mut found = Vec::new();
    let dirs: [(i32, i32); 4] = [(0, 1), (1, 0), (1, 1), (1, -1)];
    for r in 0..ROWS as i32 {
        for c in 0..COLS as i32 {
            let first = b.cells[r as usize][c as usize];
            if first == Cell::Empty {
                continue;
            }
            for (dr, dc) in dirs {
                let all = (1..4).all(|k| {
                    let (rr, cc) = (r + dr * k, c + dc * k);
                    (0..ROWS as i32).contains(&rr)
                        && (0..COLS as i32).contains(&cc)
                        && b.cells[rr as usize][cc as usize] == first
                });
                if all {
                    found.push(first);
                }
            }
        }
    }
    found
}

/// Whether every cell is taken.
pub fn is_full(b: &Board) -> bool {
    b.cells.iter().flatten().all(|&c| c != Cell::Empty)
}

/// The row a piece dropped in `col` lands on (row 0 is the top), if the
/// column has room.
pub fn landing_row(b: &Board, col: usize) -> Option<usize> {
    (0..ROWS).rev().find(|&r| b.cells[r][col] == Cell::Empty)
}

/// Columns that still have room.
pub fn open_columns(b: &Board) -> Vec<usize> {
    (0..COLS).filter(|&c| landing_row(b, c).is_some()).collect()
}

/// Checks that no piece floats above an empty cell.
pub fn check_gravity(b: &Board) -> Check {
    for r in 0..ROWS - 1 {
        for c in 0..COLS {
            if b.cells[r][c] != Cell::Empty && b.cells[r + 1][c] == Cell::Empty {
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

impl Referee {
    /// A referee for a fresh connection speaking `codec`.
    pub fn new(codec: Codec) -> Self {
        Referee {
            codec,
            game: None,
            replies: 0,
        }
    }

    /// The current game as the server should have it.
    pub fn game(&self) -> Option<&Board> {
        self.game.as_ref()
    }

    /// Columns a move may go to now (`None`: no game).
    pub fn legal_columns(&self) -> Option<Vec<usize>> {
        self.game.as_ref().map(open_columns)
    }

    /// Full columns of the current game.
    pub fn full_columns(&self) -> Vec<usize> {
        match &self.game {
            Some(b) => (0..COLS).filter(|&c| landing_row(b, c).is_none()).collect(),
            None => Vec::new(),
        }
    }

    /// Checks the greeting sent on connect.
    pub fn greeting(&mut self, r: &Received) -> Check {
        self.replies += 1;
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
        self.replies += 1;
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
            }
            Action::Move(col) => self.check_move(col, r)?,
        }
        self.check_mensaje(r)
    }

    /// Checks an error reply: `code`, `continuar` as given, game untouched.
    pub fn error_reply(&mut self, r: &Received, code: Error, continuar: bool) -> Check {
        self.replies += 1;
        ensure(r.error == Some(code), || {
            format!("expected error {code:?}, got {:?}", r.error)
        })?;
        ensure(r.continuar == continuar, || {
            format!("expected continuar {continuar}, got {}", r.continuar)
        })?;
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

    fn check_move(&mut self, col: i64, r: &Received) -> Check {
        ensure(r.continuar, || {
            format!("move {col} answered with continuar false")
        })?;
        let Some(before) = self.game else {
            self.check_event(r, Event::Refused(Refusal::NoGame))?;
            return self.check_current(r);
        };
        if !(0..COLS as i64).contains(&col) {
            self.check_event(r, Event::Refused(Refusal::OutOfRange(col)))?;
            return self.check_current(r);
        }
        let c = col as usize;
        let Some(row) = landing_row(&before, c) else {
            self.check_event(r, Event::Refused(Refusal::ColumnFull(c as u8)))?;
            return self.check_current(r);
        };
        let mut mid = before;
        mid.cells[row][c] = Cell::Player;
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
        let ending = if lines_of_four(&mid).contains(&Cell::Player) {
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
            self.game = None;
            return Ok(());
        }
        // Exactly one more cell: a CPU piece where a piece would land.
        let mut diffs = Vec::new();
        for rr in 0..ROWS {
            for cc in 0..COLS {
                if r.tablero.cells[rr][cc] != mid.cells[rr][cc] {
                    diffs.push((rr, cc));
                }
            }
        }
        let [(cr, cc)] = diffs[..] else {
            return Err(format!(
                "expected exactly one CPU piece added, {} cells differ: {diffs:?}\n{}",
                diffs.len(),
                context()
            ));
        };
        ensure(
            mid.cells[cr][cc] == Cell::Empty && r.tablero.cells[cr][cc] == Cell::Cpu,
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
        let expected = if lines_of_four(&after).contains(&Cell::Cpu) {
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
        self.game = (expected == Estado::Jugando).then_some(after);
        Ok(())
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

    /// Compact replies carry the event: it must be `expected`.
    fn check_event(&self, r: &Received, expected: Event) -> Check {
        match (self.codec, r.event) {
            (Codec::Compact, Some(e)) => ensure(e == expected, || {
                format!("event {e:?}, expected {expected:?}")
            }),
            (Codec::Compact, None) => Err("compact reply without an event".into()),
            (Codec::Classic, _) => Ok(()),
        }
    }

    /// Classic replies carry the lecture's `mensaje`: non-empty, showing the
    /// board when there is one, naming the outcome when the game ended.
    fn check_mensaje(&self, r: &Received) -> Check {
        match (self.codec, &r.mensaje) {
            (Codec::Compact, _) => Ok(()),
            (Codec::Classic, None) => Err("classic reply without mensaje".into()),
            (Codec::Classic, Some(m)) => {
                ensure(!m.trim().is_empty(), || "empty mensaje".into())?;
                if r.tablero != Board::default() {
                    let mut rest = m.as_str();
                    for line in drawn_rows(&r.tablero) {
                        match rest.find(&line) {
                            Some(i) => rest = &rest[i + line.len()..],
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
