//! Hostile clients against the in-process simulator: every case answered as
//! SPEC.md says while a bystander plays on undisturbed. The scenarios live
//! in `cuatro_tests::scenarios` so they can run against any address.

use cuatro_proto::Codec;
use cuatro_tests::in_process_sim;
use cuatro_tests::scenarios as s;
use std::time::Duration;

#[test]
fn frame_empty_classic() {
    let (_sim, t) = in_process_sim(1, None);
    s::frame_empty(&t, Codec::Classic);
}

#[test]
fn frame_empty_compact() {
    let (_sim, t) = in_process_sim(1, None);
    s::frame_empty(&t, Codec::Compact);
}

#[test]
fn frame_length_ffffffff() {
    let (_sim, t) = in_process_sim(2, None);
    s::frame_huge(&t, Codec::Classic);
    s::frame_huge(&t, Codec::Compact);
}

#[test]
fn frame_over_max() {
    let (_sim, t) = in_process_sim(3, None);
    s::frame_over_max(&t, Codec::Classic);
    s::frame_over_max(&t, Codec::Compact);
}

#[test]
fn frame_at_max_is_accepted() {
    let (_sim, t) = in_process_sim(4, None);
    s::frame_at_max(&t);
}

#[test]
fn invalid_json_keeps_the_connection() {
    let (_sim, t) = in_process_sim(5, None);
    s::invalid_json(&t);
}

#[test]
fn invalid_utf8_keeps_the_connection() {
    let (_sim, t) = in_process_sim(6, None);
    s::invalid_utf8(&t);
}

#[test]
fn wrong_types_and_missing_fields() {
    let (_sim, t) = in_process_sim(7, None);
    s::wrong_types(&t);
}

#[test]
fn unknown_tipo() {
    let (_sim, t) = in_process_sim(8, None);
    s::unknown_tipo(&t);
}

#[test]
fn deep_nesting_is_too_deep() {
    let (_sim, t) = in_process_sim(9, None);
    s::deep_nesting(&t);
}

#[test]
fn numbers_out_of_range() {
    let (_sim, t) = in_process_sim(10, None);
    s::numbers_out_of_range(&t);
}

#[test]
fn compact_garbage() {
    let (_sim, t) = in_process_sim(11, None);
    s::compact_garbage(&t);
}

#[test]
fn json_variants_parse() {
    let (_sim, t) = in_process_sim(12, None);
    s::json_variants(&t);
}

#[test]
fn pipelined_ten_frames() {
    let (_sim, t) = in_process_sim(13, None);
    s::pipelined(&t, Codec::Classic, 10);
    s::pipelined(&t, Codec::Compact, 10);
}

#[test]
fn pipelined_many_frames_backpressure() {
    // More requests than the board's receive buffer, more reply bytes than
    // its transmit buffer: everything answered, in order.
    let (_sim, t) = in_process_sim(14, None);
    s::pipelined(&t, Codec::Classic, 80);
    s::pipelined(&t, Codec::Compact, 200);
}

#[test]
fn pipelined_mixed_errors() {
    let (_sim, t) = in_process_sim(15, None);
    s::pipelined_mixed(&t);
}

#[test]
fn byte_by_byte() {
    let (_sim, t) = in_process_sim(16, None);
    s::byte_by_byte(&t, Codec::Classic);
    s::byte_by_byte(&t, Codec::Compact);
}

#[test]
fn resets_give_sessions_back() {
    let (_sim, t) = in_process_sim(17, None);
    s::resets_free_sessions(&t);
}

#[test]
fn idle_flood_and_recovery() {
    let idle = Duration::from_secs(2);
    let (_sim, t) = in_process_sim(18, Some(idle));
    s::idle_flood(&t, idle);
}

#[test]
fn stalled_mid_frame_loses_its_socket() {
    let idle = Duration::from_secs(2);
    let (_sim, t) = in_process_sim(19, Some(idle));
    s::stalled_mid_frame(&t, idle);
}

#[test]
fn half_close_gets_every_reply() {
    let (_sim, t) = in_process_sim(20, None);
    s::half_close(&t, Codec::Classic);
    s::half_close(&t, Codec::Compact);
}

#[test]
fn nothing_answered_after_a_framing_error() {
    let (_sim, t) = in_process_sim(23, None);
    s::nothing_after_framing_error(&t, Codec::Classic);
    s::nothing_after_framing_error(&t, Codec::Compact);
}

#[test]
fn slow_reader_backpressure() {
    let (_sim, t) = in_process_sim(24, None);
    cuatro_tests::bounded(Duration::from_secs(120), move || {
        s::slow_reader(&t, Codec::Classic, 400);
        s::slow_reader(&t, Codec::Compact, 2000);
    });
}

#[test]
fn connection_churn() {
    let (_sim, t) = in_process_sim(25, None);
    cuatro_tests::bounded(Duration::from_secs(120), move || {
        s::churn(&t, 200, &[0, 1, 2, 3])
    });
}

#[test]
fn spare_listener_follows_demand() {
    let (_sim, t) = in_process_sim(24, None);
    s::spare_listener_follows_demand(&t);
}
