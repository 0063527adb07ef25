//! Host tests against a fake chip (`tests/fake.rs`) that behaves like the
//! W5500 where the driver looks: bring-up, the MACRAW framing each way,
//! every out-of-step buffer the w5500 crate's `RawDevice` would trust or
//! assert on, and the bounds on every wait.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

extern crate std;

mod fake;

use super::*;
use cuatro_driver_kit::Nic;
use fake::*;
use smoltcp::phy::{Device, Medium, RxToken as _, TxToken as _};
use smoltcp::time::Instant;
use std::vec::Vec;

const MAC: [u8; 6] = [0x02, 0x00, 0x63, 0x75, 0x34, 0x03];
const OPEN: u8 = 0x01;
const CLOSE: u8 = 0x10;
const SEND: u8 = 0x20;
const RECV: u8 = 0x40;
/// Bus transactions one receive or send may take at most, whatever the
/// chip does: a reopen's bounded waits plus a frame's few transactions.
const MAX_OPS_PER_CALL: u64 = (2 * COMMAND_POLLS + 2 * STATUS_POLLS + SEND_POLLS) as u64 + 64;

fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

fn up(buffers: &mut Buffers) -> (W5500<'_, Fake>, Fake) {
    let fake = Fake::new();
    let nic = W5500::new(fake.clone(), buffers, MAC).expect("bring-up");
    fake.m().commands.clear();
    (nic, fake)
}

/// Receives one frame through smoltcp's tokens.
fn rx(nic: &mut W5500<'_, Fake>) -> Option<Vec<u8>> {
    let (token, _) = nic.receive(Instant::ZERO)?;
    Some(token.consume(|f| f.to_vec()))
}

/// Sends `f` through smoltcp's tokens.
fn tx(nic: &mut W5500<'_, Fake>, f: &[u8]) {
    let token = nic.transmit(Instant::ZERO).expect("a TX token");
    token.consume(f.len(), |buf| buf.copy_from_slice(f));
}

/// Whether the socket was closed and opened again since the commands were
/// last cleared, and is open now.
fn reopened(fake: &Fake) -> bool {
    let m = fake.m();
    let close = m.commands.iter().position(|&c| c == CLOSE);
    let open = m.commands.iter().rposition(|&c| c == OPEN);
    matches!((close, open), (Some(c), Some(o)) if c < o) && m.sr == SOCK_MACRAW
}

#[test]
fn bring_up_resets_sizes_the_buffers_and_opens_macraw_with_the_filter() {
    let fake = Fake::new();
    // Leftovers of an earlier run.
    fake.m().common[SIMR as usize] = 0xFF;
    fake.m().sock[0][SN_IMR as usize] = 0xFF;
    let mut b = Buffers::new();
    let mut nic = W5500::new(fake.clone(), &mut b, MAC).unwrap();
    {
        let m = fake.m();
        assert_eq!(m.common[MR as usize], 0x10, "ping block, nothing else");
        assert_eq!(&m.common[SHAR as usize..SHAR as usize + 6], &MAC);
        assert_eq!(m.common[SIMR as usize], 0);
        assert_eq!(m.sock[0][SN_IMR as usize], 0);
        assert_eq!(m.sock[0][SN_RXBUF as usize], 16);
        assert_eq!(m.sock[0][SN_TXBUF as usize], 16);
        for s in 1..8 {
            assert_eq!(m.sock[s][SN_RXBUF as usize], 0, "socket {s}");
            assert_eq!(m.sock[s][SN_TXBUF as usize], 0, "socket {s}");
        }
        assert_eq!(m.sock[0][SN_MR as usize], 0x84, "MACRAW + MFEN");
        assert_eq!(m.sr, SOCK_MACRAW);
        assert_eq!(m.commands, [OPEN]);
    }
    assert_eq!(nic.mac_address(), Some(MAC));
    assert_eq!(nic.link_up(), Some(true));
    fake.m().link = false;
    assert_eq!(nic.link_up(), Some(false));
    assert!(!nic.rx_pending());
}

#[test]
fn no_chip_on_the_bus_is_not_found() {
    for version in [0x00, 0xFF, 0x03] {
        let fake = Fake::new();
        fake.m().version = version;
        let mut b = Buffers::new();
        let err = W5500::new(fake.clone(), &mut b, MAC).err();
        assert_eq!(err, Some(Error::NotFound(version)));
        assert!(fake.m().commands.is_empty());
        assert!(!Error::NotFound(version).message().is_empty());
    }
}

#[test]
fn a_reset_that_never_ends_and_an_open_that_fails_are_reported_bounded() {
    let fake = Fake::new();
    fake.m().reset_stuck = true;
    let mut b = Buffers::new();
    assert_eq!(
        W5500::new(fake.clone(), &mut b, MAC).err(),
        Some(Error::ResetTimeout)
    );
    assert!(fake.m().ops <= u64::from(RESET_POLLS) + 4);

    let fake = Fake::new();
    fake.m().open_fails = true;
    let mut b = Buffers::new();
    assert_eq!(
        W5500::new(fake.clone(), &mut b, MAC).err(),
        Some(Error::OpenFailed(0))
    );
    assert!(fake.m().ops <= u64::from(STATUS_POLLS) + 64);

    let fake = Fake::new();
    fake.m().cr_stuck = true;
    let mut b = Buffers::new();
    assert_eq!(
        W5500::new(fake.clone(), &mut b, MAC).err(),
        Some(Error::OpenFailed(0))
    );
    assert!(fake.m().ops <= u64::from(COMMAND_POLLS) + 64);
}

#[test]
fn a_frame_is_received_and_the_read_pointer_committed() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let f = frame(60, 1);
    fake.push_frame(&f);
    assert_eq!(rx(&mut nic), Some(f));
    {
        let m = fake.m();
        assert_eq!(m.rx_rd, 62, "past the length field and the frame");
        assert_eq!(m.rsr(), 0);
        assert_eq!(m.commands, [RECV]);
    }
    assert!(!nic.rx_pending());
    assert_eq!(nic.stats().rx_frames, 1);
    // Nothing more: no token, no command.
    assert!(nic.receive(Instant::ZERO).is_none());
    assert_eq!(fake.m().commands, [RECV]);
}

#[test]
fn frames_come_in_order_and_rx_pending_says_more_wait() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let frames: Vec<_> = [14, 60, 1514, 300]
        .iter()
        .map(|&n| frame(n, n as u8))
        .collect();
    for f in &frames {
        fake.push_frame(f);
    }
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(rx(&mut nic).as_ref(), Some(f), "frame {i}");
        assert_eq!(nic.rx_pending(), i + 1 < frames.len(), "after frame {i}");
    }
    assert!(rx(&mut nic).is_none());
    assert_eq!(nic.stats().rx_frames, 4);
    assert_eq!(nic.stats().rx_resyncs, 0);
}

#[test]
fn frames_and_length_fields_across_the_end_of_the_buffer() {
    for start in [BUF - 1, BUF - 2, BUF - 30, BUF - 1514] {
        let mut b = Buffers::new();
        let (mut nic, fake) = up(&mut b);
        fake.set_rx_pointer(start as u16);
        let (f1, f2) = (frame(100, 3), frame(1514, 4));
        fake.push_frame(&f1);
        fake.push_frame(&f2);
        assert_eq!(rx(&mut nic), Some(f1), "start {start}");
        assert_eq!(rx(&mut nic), Some(f2), "start {start}");
        assert_eq!(fake.m().crossings, 0, "split at the end, not wrapped");
        assert_eq!(nic.stats().rx_resyncs, 0);
    }
}

#[test]
fn the_read_pointer_wraps_at_64_kib() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.set_rx_pointer(0xFFF0);
    let f = frame(200, 9);
    fake.push_frame(&f);
    assert_eq!(rx(&mut nic), Some(f));
    assert_eq!(fake.m().rx_rd, 0xFFF0u16.wrapping_add(202));
}

/// Every length field no frame can have, and every `Sn_RX_RSR` the
/// buffer cannot hold: no frame, the socket reopened and counted, and the
/// next frame received as usual.
#[test]
fn an_out_of_step_buffer_reopens_the_socket() {
    type Setup = fn(&Fake);
    let cases: [(&str, Setup); 9] = [
        ("length field 0xFFFF", |f| {
            f.push_raw(&[0xFF, 0xFF, 1, 2, 3])
        }),
        ("length field 0", |f| f.push_raw(&[0, 0, 1, 2, 3])),
        ("length field 2: no frame", |f| f.push_raw(&[0, 2, 0, 0])),
        ("length field under a header", |f| {
            f.push_raw(&[0, 15]);
            f.push_raw(&[0; 13]);
        }),
        ("length field MTU + 3", |f| {
            f.push_raw(&1517u16.to_be_bytes());
            f.push_raw(&[0; 1515]);
        }),
        ("length field beyond the bytes waiting", |f| {
            f.push_raw(&100u16.to_be_bytes());
            f.push_raw(&[0; 50]);
        }),
        // The one w5500's RawDevice asserts on: RSR 1.
        ("one byte waiting", |f| f.push_raw(&[0x05])),
        ("RSR over the buffer", |f| f.m().rsr_override = Some(0x8000)),
        ("RSR 0xFFFF", |f| f.m().rsr_override = Some(0xFFFF)),
    ];
    for (what, setup) in cases {
        let mut b = Buffers::new();
        let (mut nic, fake) = up(&mut b);
        setup(&fake);
        let ops = fake.m().ops;
        assert!(rx(&mut nic).is_none(), "{what}");
        assert!(fake.m().ops - ops <= MAX_OPS_PER_CALL, "{what}: bounded");
        assert_eq!(nic.stats().rx_resyncs, 1, "{what}");
        assert_eq!(nic.stats().rx_frames, 0, "{what}");
        assert!(reopened(&fake), "{what}: {:?}", fake.m().commands);
        assert!(!nic.rx_pending(), "{what}");
        fake.m().rsr_override = None;
        let f = frame(64, 5);
        fake.push_frame(&f);
        assert_eq!(rx(&mut nic), Some(f), "{what}: the next frame");
    }
}

#[test]
fn the_largest_length_field_is_a_full_frame() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let f = frame(MTU, 8);
    fake.push_frame(&f);
    let head = {
        let m = fake.m();
        [m.rx[0], m.rx[1]]
    };
    let field = u16::from_be_bytes(head);
    assert_eq!(field, 1516);
    assert_eq!(rx(&mut nic), Some(f));
    assert_eq!(nic.stats().rx_resyncs, 0);
}

#[test]
fn a_stale_rx_size_is_read_again_before_giving_up() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let (f1, f2) = (frame(60, 1), frame(60, 2));
    fake.push_frame(&f1);
    // The driver reads RSR (62) and takes f1; f2 arrives after that read.
    assert_eq!(rx(&mut nic), Some(f1));
    fake.push_frame(&f2);
    fake.push_frame(&frame(60, 3));
    assert_eq!(rx(&mut nic), Some(f2));
    // Now the cached size says 62 left; a frame longer than that arrives.
    let big = frame(600, 4);
    fake.push_frame(&big);
    assert!(rx(&mut nic).is_some());
    assert_eq!(rx(&mut nic), Some(big));
    assert_eq!(nic.stats().rx_resyncs, 0);
}

#[test]
fn an_rx_size_that_never_settles_is_retried_later_not_trusted() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.push_frame(&frame(60, 1));
    fake.m().rsr_flaps = true;
    let ops = fake.m().ops;
    assert!(rx(&mut nic).is_none());
    assert!(fake.m().ops - ops <= u64::from(STABLE_READS) + 2);
    assert_eq!(nic.stats().unstable_reads, 1);
    assert_eq!(nic.stats().rx_resyncs, 0);
    fake.m().rsr_flaps = false;
    assert_eq!(rx(&mut nic), Some(frame(60, 1)));
}

#[test]
fn a_command_the_chip_never_takes_is_bounded_and_reopens() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.push_frame(&frame(60, 1));
    fake.m().cr_stuck = true;
    let ops = fake.m().ops;
    assert!(rx(&mut nic).is_none(), "RECV never taken: no frame");
    assert!(fake.m().ops - ops <= MAX_OPS_PER_CALL);
    let s = nic.stats();
    assert!(s.command_timeouts >= 1);
    assert_eq!(s.rx_resyncs, 1);
    assert_eq!(s.reopen_failures, 1, "the stuck chip does not open either");
    // And sending is bounded too.
    let ops = fake.m().ops;
    assert!(!nic.send_frame(&frame(60, 2)));
    assert!(fake.m().ops - ops <= MAX_OPS_PER_CALL);
    // The chip recovers: the next reopen works.
    fake.m().cr_stuck = false;
    fake.m().cr = 0;
    fake.m().commands.clear();
    fake.m().rsr_override = Some(1);
    assert!(rx(&mut nic).is_none());
    assert!(reopened(&fake));
    fake.m().rsr_override = None;
    fake.push_frame(&frame(70, 7));
    assert_eq!(rx(&mut nic), Some(frame(70, 7)));
}

#[test]
fn a_frame_is_sent_from_the_write_pointer() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let f = frame(60, 1);
    tx(&mut nic, &f);
    {
        let m = fake.m();
        assert_eq!(m.sent, core::slice::from_ref(&f));
        assert_eq!(m.tx_wr_reg, 60);
        assert_eq!(m.commands, [SEND]);
    }
    assert_eq!(nic.stats().tx_frames, 1);
    // A frame built in answer to a received one goes out the same way.
    fake.push_frame(&frame(42, 9));
    let (r, t) = nic.receive(Instant::ZERO).unwrap();
    assert_eq!(r.consume(|f| f.len()), 42);
    t.consume(42, |buf| buf.fill(0xAB));
    let mut padded = std::vec![0xAB; 42];
    padded.resize(MIN_WIRE_FRAME, 0);
    assert_eq!(fake.m().sent.last(), Some(&padded), "padded to 60 bytes");
}

#[test]
fn short_frames_are_padded_with_zeros_even_across_the_end() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    // Leftovers in the TX buffer must not leak into the padding.
    fake.m().tx.fill(0xEE);
    fake.set_tx_pointer((BUF - 20) as u16);
    for len in [MIN_FRAME, 42, 59, 60, 61] {
        assert!(nic.send_frame(&frame(len, 1)));
        let mut want = frame(len, 1);
        want.resize(len.max(MIN_WIRE_FRAME), 0);
        assert_eq!(fake.m().sent.last(), Some(&want), "length {len}");
    }
    assert_eq!(fake.m().crossings, 0);
}

#[test]
fn the_next_frame_waits_for_the_previous_send_ok() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.m().send_done = SendDone::AfterPolls(5);
    let frames: Vec<_> = (0..4).map(|i| frame(100 + i, i as u8)).collect();
    for f in &frames {
        assert!(nic.send_frame(f));
    }
    let m = fake.m();
    assert_eq!(m.sent, frames);
    assert_eq!(m.commands, [SEND; 4]);
    drop(m);
    assert_eq!(nic.stats().tx_timeouts, 0);
}

#[test]
fn a_send_ok_that_never_comes_is_bounded_and_reopens() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.m().send_done = SendDone::Never;
    assert!(nic.send_frame(&frame(60, 1)), "the first one does not wait");
    let ops = fake.m().ops;
    assert!(!nic.send_frame(&frame(60, 2)));
    assert!(fake.m().ops - ops <= MAX_OPS_PER_CALL);
    assert_eq!(nic.stats().tx_timeouts, 1);
    assert!(reopened(&fake));
    // After the reopen nothing is in flight: the next one goes.
    assert!(nic.send_frame(&frame(60, 3)));
    assert_eq!(fake.m().sent.len(), 2);
}

#[test]
fn frames_across_the_end_of_the_tx_buffer() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.set_tx_pointer((BUF - 10) as u16);
    let f = frame(1514, 6);
    assert!(nic.send_frame(&f));
    assert_eq!(fake.m().sent, [f]);
    assert_eq!(fake.m().crossings, 0);
}

#[test]
fn runts_giants_and_no_room_are_dropped_and_counted() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    assert!(!nic.send_frame(&[0; MIN_FRAME - 1]));
    assert!(!nic.send_frame(&[0; MTU + 1]));
    let token = nic.transmit(Instant::ZERO).unwrap();
    token.consume(MTU + 1, |buf| assert_eq!(buf.len(), MTU));
    // 10 bytes free.
    fake.m().tx_wr_reg = (BUF - 10) as u16;
    assert!(!nic.send_frame(&frame(60, 1)));
    assert_eq!(nic.stats().tx_dropped, 4);
    assert!(fake.m().sent.is_empty());
    assert!(fake.m().commands.is_empty());
}

#[test]
fn interrupts_recv_only_and_ack_clears_recv_not_send_ok() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.m().ir = IR_RECV;
    nic.enable_interrupts();
    {
        let m = fake.m();
        assert_eq!(m.ir, 0, "stale RECV cleared");
        assert_eq!(m.sock[0][SN_IMR as usize], IR_RECV);
        assert_eq!(m.common[SIMR as usize], 0x01);
    }
    fake.push_frame(&frame(60, 1));
    fake.m().ir |= IR_SEND_OK;
    nic.ack_interrupts();
    assert_eq!(fake.m().ir, IR_SEND_OK);
    nic.disable_interrupts();
    assert_eq!(fake.m().common[SIMR as usize], 0);
    assert_eq!(fake.m().sock[0][SN_IMR as usize], 0);
}

#[test]
fn capabilities() {
    let mut b = Buffers::new();
    let (nic, _fake) = up(&mut b);
    let caps = nic.capabilities();
    assert_eq!(caps.medium, Medium::Ethernet);
    assert_eq!(caps.max_transmission_unit, MTU);
    assert_eq!(caps.max_burst_size, Some(MAX_BURST_FRAMES));
    assert_eq!(MAX_BURST_FRAMES, 10);
}

/// xorshift64*, seeded: the same sequence every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Whatever the RX buffer holds and `Sn_RX_RSR` says, no call panics or
/// takes more than its bound; valid frames come out whole and in order;
/// and after garbage, once the driver has drained or reopened, the next
/// frame is received.
#[test]
fn random_buffers_never_panic_stay_bounded_and_recover() {
    random_buffers(false);
}

/// The same without the chip's MAC filter (multicast asked for): random
/// destinations, so about half the frames are other hosts' unicast.
#[test]
fn random_buffers_without_the_filter_too() {
    random_buffers(true);
}

fn random_buffers(all_frames: bool) {
    let mut rng = Rng(0x5EED_C4A7_0000_0001);
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    let mut max_ops = MAX_OPS_PER_CALL;
    if all_frames {
        assert!(Nic::accept_multicast(
            &mut nic,
            [0x01, 0x00, 0x5e, 0, 0, 0xfb]
        ));
        // Each frame passed over: its length, its destination, RX_RD, RECV.
        max_ops += 8 * (MAX_SKIPPED as u64 + 1);
    }
    let for_us = |f: &[u8]| !all_frames || f[0] & 1 != 0 || f[..6] == MAC;
    for round in 0..3_000 {
        let garbage = rng.below(4) == 0;
        let mut expected = Vec::new();
        for _ in 0..rng.below(4) {
            let f = frame(
                MIN_FRAME + rng.below((MTU - MIN_FRAME + 1) as u64) as usize,
                rng.next() as u8,
            );
            fake.push_frame(&f);
            if for_us(&f) {
                expected.push(f);
            }
        }
        if garbage {
            let n = 1 + rng.below(40) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            fake.push_raw(&bytes);
            if rng.below(3) == 0 {
                fake.m().rsr_override = Some(rng.next() as u16);
            }
        }
        let mut got = Vec::new();
        for _ in 0..16 {
            let ops = fake.m().ops;
            let r = rx(&mut nic);
            assert!(fake.m().ops - ops <= max_ops, "round {round}");
            match r {
                Some(f) => got.push(f),
                None if !nic.rx_pending() => break,
                None => {}
            }
            if rng.below(5) == 0 {
                nic.send_frame(&frame(60, round as u8));
            }
        }
        if !garbage {
            assert_eq!(got, expected, "round {round}");
        }
        fake.m().rsr_override = None;
        // Drained (or reopened): a marker frame comes out.
        while rx(&mut nic).is_some() {}
        let mut marker = frame(99, round as u8);
        marker[..6].copy_from_slice(&MAC);
        fake.push_frame(&marker);
        assert_eq!(rx(&mut nic), Some(marker), "round {round}: recovery");
        assert_eq!(fake.m().crossings, 0);
    }
    assert!(nic.stats().rx_resyncs > 0, "garbage was seen");
    if all_frames {
        assert!(nic.stats().rx_foreign > 0, "other hosts' frames were seen");
        assert_eq!(fake.m().sock[0][SN_MR as usize], 0x04, "still without MFEN");
    }
}

/// A frame of `len` bytes to `dst` (then our test pattern).
fn frame_to(dst: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut f = frame(len, seed);
    f[..6].copy_from_slice(&dst);
    f
}

const MDNS_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
const OTHER: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x99];

#[test]
fn multicast_is_asked_for_by_opening_socket_0_again_without_the_mac_filter() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.m().model_mfen = true;
    // With MFEN (the chip as brought up), mDNS's group never arrives.
    fake.push_frame(&frame_to(MDNS_MAC, 80, 1));
    assert_eq!(rx(&mut nic), None);
    assert_eq!(fake.m().mfen_dropped, 1);

    assert!(Nic::accept_multicast(&mut nic, MDNS_MAC));
    assert_eq!(fake.m().sock[0][SN_MR as usize], 0x04, "MACRAW, no MFEN");
    assert!(reopened(&fake));
    let ours = frame_to(MAC, 70, 2);
    let group = frame_to(MDNS_MAC, 80, 3);
    let broadcast = frame_to([0xFF; 6], 60, 4);
    for f in [&group, &ours, &broadcast] {
        fake.push_frame(f);
    }
    assert_eq!(rx(&mut nic), Some(group));
    assert_eq!(rx(&mut nic), Some(ours));
    assert_eq!(rx(&mut nic), Some(broadcast));
    assert_eq!(rx(&mut nic), None);
    assert_eq!(fake.m().mfen_dropped, 1);

    // Asked again (another group): already so, no second reopening.
    fake.m().commands.clear();
    assert!(Nic::accept_multicast(&mut nic, [0x01, 0, 0x5e, 0, 0, 1]));
    assert!(fake.m().commands.is_empty());
}

#[test]
fn without_the_filter_other_hosts_unicast_is_passed_over_unread() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    assert!(Nic::accept_multicast(&mut nic, MDNS_MAC));
    let ours = frame_to(MAC, 100, 5);
    fake.push_frame(&frame_to(OTHER, 1_514, 6));
    fake.push_frame(&ours);
    fake.m().rx_bytes_read = 0;
    assert_eq!(rx(&mut nic), Some(ours));
    {
        let m = fake.m();
        assert_eq!(m.rsr(), 0, "both frames given back to the chip");
        // Two length fields, the other frame's destination, all of ours.
        assert_eq!(m.rx_bytes_read, 2 + 6 + 2 + 100);
    }
    let s = nic.stats();
    assert_eq!((s.rx_foreign, s.rx_frames), (1, 1));
}

#[test]
fn a_flood_of_other_hosts_frames_is_bounded_per_receive() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    assert!(Nic::accept_multicast(&mut nic, MDNS_MAC));
    for i in 0..(MAX_SKIPPED + 1) {
        fake.push_frame(&frame_to(OTHER, 60, i as u8));
    }
    let ours = frame_to(MAC, 60, 7);
    fake.push_frame(&ours);
    fake.m().ops = 0;
    // This receive passes over MAX_SKIPPED + 1 frames and stops there.
    assert_eq!(rx(&mut nic), None);
    assert!(fake.m().ops <= 8 * (MAX_SKIPPED as u64 + 1) + 8);
    assert!(nic.rx_pending(), "the rest waits for the next poll");
    assert_eq!(rx(&mut nic), Some(ours));
    assert_eq!(nic.stats().rx_foreign, MAX_SKIPPED as u32 + 1);
}

#[test]
fn a_reopening_without_the_filter_that_fails_says_no_and_goes_back() {
    let mut b = Buffers::new();
    let (mut nic, fake) = up(&mut b);
    fake.m().open_fails = true;
    assert!(!Nic::accept_multicast(&mut nic, MDNS_MAC));
    assert!(nic.stats().reopen_failures >= 1);
    fake.m().open_fails = false;
    // The filter is back: the next reopening (out of step) opens with it.
    fake.push_raw(&[0x00, 0x01]);
    assert_eq!(rx(&mut nic), None);
    assert_eq!(fake.m().sock[0][SN_MR as usize], 0x84);
    assert_eq!(fake.m().sr, SOCK_MACRAW);
}
