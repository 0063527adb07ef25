#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

const A: u8 = 0;
const B: u8 = 1;

fn now(answer: Answer) -> Reply {
    match answer {
        Answer::Now(r) => r,
        Answer::Held => panic!("held, expected a reply now"),
    }
}

fn held(answer: Answer) {
    assert_eq!(answer, Answer::Held);
}

/// A and B matched, A's `\juego_nuevo` answered.
fn matched() -> Matchmaker {
    let mut mm = Matchmaker::new();
    held(mm.join(A));
    assert!(mm.is_held(A));
    assert_eq!(mm.take(A), None, "no reply before an opponent comes");
    held(mm.join(B));
    assert!(mm.has_mail());
    let r = mm.take(A).unwrap();
    assert_eq!(r.event, Event::Matched { opening: None });
    assert_eq!(r.estado, Estado::Jugando);
    assert!(!mm.is_held(A));
    assert!(mm.is_held(B), "the second waits for the opening move");
    mm
}

fn cells(b: &Board, cell: Cell) -> usize {
    b.cells.iter().flatten().filter(|&&c| c == cell).count()
}

#[test]
fn first_to_join_moves_first_and_replies_wait_for_the_opponent() {
    let mut mm = matched();
    held(mm.play(A, 3));
    assert!(mm.is_held(A));
    let r = mm.take(B).unwrap();
    assert_eq!(r.event, Event::Matched { opening: Some(3) });
    // B sees A's stone as O.
    assert_eq!(r.tablero.cells[5][3], Cell::Cpu);
    assert_eq!(mm.take(A), None, "A waits for B's answer");
    held(mm.play(B, 4));
    let r = mm.take(A).unwrap();
    assert_eq!(
        r.event,
        Event::Answered {
            player: 3,
            opponent: Some(4)
        }
    );
    assert_eq!(r.tablero.cells[5][3], Cell::Player);
    assert_eq!(r.tablero.cells[5][4], Cell::Cpu);
    assert_eq!(r.estado, Estado::Jugando);
}

#[test]
fn a_win_answers_the_winner_at_once_and_tells_the_loser() {
    let mut mm = matched();
    // A: 0, 0, 0, 0 (vertical); B: 1, 1, 1.
    for _ in 0..3 {
        held(mm.play(A, 0));
        mm.take(B).unwrap();
        held(mm.play(B, 1));
        mm.take(A).unwrap();
    }
    let r = now(mm.play(A, 0));
    assert_eq!(r.estado, Estado::Ganaste);
    assert_eq!(
        r.event,
        Event::Answered {
            player: 0,
            opponent: None
        }
    );
    let r = mm.take(B).unwrap();
    assert_eq!(r.estado, Estado::Perdiste);
    assert_eq!(
        r.event,
        Event::Answered {
            player: 1,
            opponent: Some(0)
        }
    );
    assert_eq!(cells(&r.tablero, Cell::Player), 3, "B's own stones");
    assert_eq!(cells(&r.tablero, Cell::Cpu), 4, "A's");
    assert_eq!(mm.matches(), 0, "the match is freed");
    // Both may play again.
    held(mm.join(B));
    held(mm.join(A));
    assert_eq!(mm.take(B).unwrap().event, Event::Matched { opening: None });
}

#[test]
fn a_refused_move_is_answered_at_once_and_changes_nothing() {
    let mut mm = matched();
    let r = now(mm.play(A, 9));
    assert_eq!(r.event, Event::Refused(Refusal::OutOfRange(9)));
    assert_eq!(r.tablero, Board::default());
    for _ in 0..3 {
        held(mm.play(A, 2));
        mm.take(B).unwrap();
        held(mm.play(B, 2));
        mm.take(A).unwrap();
    }
    let r = now(mm.play(A, 2));
    assert_eq!(r.event, Event::Refused(Refusal::ColumnFull(2)));
    held(mm.play(A, 3));
}

#[test]
fn a_leaver_ends_the_game_for_a_waiting_opponent() {
    let mut mm = matched();
    held(mm.play(A, 3));
    mm.take(B).unwrap();
    held(mm.play(B, 3));
    // A leaves before B's reply came: B's held reply says B won.
    mm.take(A).unwrap();
    held(mm.play(A, 4));
    mm.leave(A);
    let r = mm.take(B).unwrap();
    assert_eq!(r.estado, Estado::Ganaste);
    assert_eq!(r.error, Some(Error::OpponentLeft));
    assert!(r.continuar);
    assert_eq!(mm.matches(), 0);
}

#[test]
fn a_leaver_on_its_opponents_move_is_told_at_the_next_action() {
    let mut mm = matched();
    held(mm.play(A, 3));
    mm.take(B).unwrap();
    // B to move; A leaves.
    mm.leave(A);
    assert!(!mm.has_mail(), "B is not sent a reply it did not ask for");
    let r = now(mm.play(B, 4));
    assert_eq!(r.estado, Estado::Ganaste);
    assert_eq!(r.error, Some(Error::OpponentLeft));
    assert_eq!(mm.matches(), 0);
    let r = now(mm.play(B, 4));
    assert_eq!(r.event, Event::Refused(Refusal::NoGame));
}

#[test]
fn the_second_player_left_waiting_for_the_opening_is_told() {
    let mut mm = matched();
    mm.leave(A);
    let r = mm.take(B).unwrap();
    assert_eq!(r.error, Some(Error::OpponentLeft));
    assert_eq!(mm.matches(), 0);
}

#[test]
fn a_queued_player_who_leaves_is_forgotten() {
    let mut mm = Matchmaker::new();
    held(mm.join(A));
    mm.leave(A);
    assert!(!mm.is_held(A));
    held(mm.join(B));
    assert!(mm.is_held(B), "B waits: A is gone");
    assert_eq!(mm.matches(), 0);
}

#[test]
fn joining_again_forfeits_the_current_game() {
    let mut mm = matched();
    held(mm.play(A, 3));
    mm.take(B).unwrap();
    held(mm.join(B));
    // A's held reply: it won, B left.
    let r = mm.take(A).unwrap();
    assert_eq!(r.error, Some(Error::OpponentLeft));
    assert!(mm.is_held(B), "B waits in the queue");
}

#[test]
fn full_matches_refuse_with_server_full() {
    let mut mm = Matchmaker::new();
    for seat in 0..(2 * MATCHES as u8) {
        held(mm.join(seat));
    }
    assert_eq!(mm.matches(), MATCHES);
    let extra = 2 * MATCHES as u8;
    held(mm.join(extra));
    let r = now(mm.join(extra + 1));
    assert_eq!(r.error, Some(Error::ServerFull));
    assert!(!r.continuar);
    assert!(mm.is_held(extra), "the queued player still waits");
}

#[test]
fn a_draw_ends_both() {
    // Fill the board without four: columns in pairs, as the first player
    // then the second; a known drawn order.
    let order: [i64; 42] = [
        0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4, 5,
        5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6,
    ];
    let mut mm = matched();
    let seats = [A, B];
    let mut last = None;
    for (i, &col) in order.iter().enumerate() {
        let seat = seats[i % 2];
        match mm.play(seat, col) {
            Answer::Held => {
                mm.take(seats[(i + 1) % 2]).unwrap();
            }
            Answer::Now(r) => {
                assert_eq!(i, 41, "only the last move ends it: {r:?}");
                last = Some(r);
            }
        }
    }
    assert_eq!(last.unwrap().estado, Estado::Empate);
    assert_eq!(mm.take(A).unwrap().estado, Estado::Empate);
    assert_eq!(mm.matches(), 0);
}

#[test]
fn memory_is_small_and_fixed() {
    let size = core::mem::size_of::<Matchmaker>();
    assert!(size <= 512, "{size} B");
}

mod random {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Join(u8),
        Play(u8, i64),
        Leave(u8),
        Take(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        let seat = 0u8..6;
        prop_oneof![
            seat.clone().prop_map(Op::Join),
            (seat.clone(), -1i64..8).prop_map(|(s, c)| Op::Play(s, c)),
            seat.clone().prop_map(Op::Leave),
            seat.prop_map(Op::Take),
        ]
    }

    proptest! {
        /// Whatever six seats do, in any order: no panic, a seat is in at
        /// most one match or the queue, a held seat is answered only
        /// through `take`, every reply's board has as many stones of each
        /// side as a game allows, and a seat that left has nothing held.
        #[test]
        fn invariants_hold(ops in proptest::collection::vec(op(), 0..200)) {
            let mut mm = Matchmaker::new();
            for op in ops {
                let check = |r: &Reply| {
                    let x = cells(&r.tablero, Cell::Player);
                    let o = cells(&r.tablero, Cell::Cpu);
                    assert!(x.abs_diff(o) <= 1, "{r:?}");
                };
                match op {
                    Op::Join(s) => {
                        if let Answer::Now(r) = mm.join(s) {
                            assert_eq!(r.error, Some(Error::ServerFull));
                        }
                    }
                    Op::Play(s, c) => {
                        if mm.is_held(s) {
                            // A driver feeds a held seat nothing.
                            continue;
                        }
                        if let Answer::Now(r) = mm.play(s, c) {
                            check(&r);
                        }
                    }
                    Op::Leave(s) => {
                        mm.leave(s);
                        assert!(!mm.is_held(s));
                        assert_eq!(mm.take(s), None);
                    }
                    Op::Take(s) => {
                        if let Some(r) = mm.take(s) {
                            check(&r);
                        }
                    }
                }
                for s in 0..6u8 {
                    let places = mm
                        .matches
                        .iter()
                        .flatten()
                        .flat_map(|m| m.sides.iter())
                        .filter(|side| side.seat == Some(s))
                        .count()
                        + usize::from(mm.waiting == Some(s));
                    assert!(places <= 1, "seat {s} in {places} places: {mm:?}");
                }
                assert!(mm.matches() <= MATCHES);
            }
        }
    }
}
