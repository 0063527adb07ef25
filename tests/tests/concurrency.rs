//! Concurrent and sequential sessions against the in-process simulator.

use cuatro_tests::scenarios as s;
use cuatro_tests::{bounded, in_process_sim};
use std::time::Duration;

#[test]
fn four_sessions_play_while_the_fifth_is_told_server_full() {
    let (_sim, t) = in_process_sim(21, None);
    let ends = bounded(Duration::from_secs(120), move || {
        s::four_sessions_and_server_full(&t, 3)
    });
    assert_eq!(ends.len(), 12);
}

#[test]
fn thirty_sequential_sessions_each_under_a_second() {
    let (_sim, t) = in_process_sim(22, None);
    let slowest = bounded(Duration::from_secs(60), move || {
        s::sequential_sessions(&t, 30, Duration::from_secs(1))
    });
    eprintln!("slowest sequential session: {slowest:?}");
}

#[test]
fn four_sessions_all_on_the_classic_port() {
    let (_sim, t) = in_process_sim(26, None);
    bounded(Duration::from_secs(60), move || {
        s::four_sessions_on_one_port(&t, cuatro_proto::Codec::Classic)
    });
}

#[test]
fn four_sessions_all_on_the_compact_port() {
    let (_sim, t) = in_process_sim(27, None);
    bounded(Duration::from_secs(60), move || {
        s::four_sessions_on_one_port(&t, cuatro_proto::Codec::Compact)
    });
}
