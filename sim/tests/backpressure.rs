//! Backpressure: a client that pipelines many actions and reads nothing for
//! a while still gets every reply, whole and in order, once it reads — the
//! board's 1 KiB transmit buffer fills and the board stops taking input
//! instead of dropping or truncating replies.

use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{classic, compact, Action, Codec, Event, Refusal, MAX_FRAME};
use sim::{Running, SimConfig};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn pipelined(codec: Codec, n: usize) {
    let sim = Running::spawn(SimConfig {
        port_base: 0,
        ..Default::default()
    })
    .unwrap();
    let addr = match codec {
        Codec::Classic => sim.addrs().classic,
        Codec::Compact => sim.addrs().compact,
    };
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // A new game, then n refused moves: each answered with a full reply
    // naming its column.
    let mut requests = Vec::new();
    for i in 0..=n {
        let action = if i == 0 {
            Action::NewGame
        } else {
            Action::Move(100 + i as i64 - 1)
        };
        let mut frame = [0u8; 64];
        let len = encode_frame_with(&mut frame, |p| codec.encode_action(&action, p)).unwrap();
        requests.extend_from_slice(&frame[..len]);
    }
    let writer = {
        let mut w = s.try_clone().unwrap();
        std::thread::spawn(move || w.write_all(&requests).unwrap())
    };
    // Read nothing for a while: the board's buffers fill up.
    std::thread::sleep(Duration::from_millis(300));
    let mut dec = FrameDecoder::<MAX_FRAME>::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut replies = 0usize;
    while replies < n + 2 {
        let got = s.read(&mut buf).unwrap();
        assert!(got > 0, "closed after {replies} replies");
        pending.extend_from_slice(&buf[..got]);
        let mut at = 0;
        loop {
            let (used, res) = dec.feed(&pending[at..]);
            at += used;
            match res.unwrap() {
                Some(payload) => {
                    // Reply 0 is the greeting, 1 the new game.
                    if replies > 1 {
                        let want = 100 + replies as i64 - 2;
                        match codec {
                            Codec::Compact => {
                                let r = compact::decode_reply(payload).unwrap();
                                assert_eq!(r.event, Event::Refused(Refusal::OutOfRange(want)));
                            }
                            Codec::Classic => {
                                let r = classic::decode_reply(payload).unwrap();
                                assert!(
                                    r.mensaje.contains(&format!("{want}")),
                                    "reply {replies}: {}",
                                    r.mensaje
                                );
                            }
                        }
                    }
                    replies += 1;
                }
                None => break,
            }
        }
        pending.drain(..at);
    }
    writer.join().unwrap();
    assert!(pending.is_empty());
}

#[test]
fn classic_replies_survive_a_full_transmit_buffer() {
    pipelined(Codec::Classic, 5000);
}

#[test]
fn compact_replies_survive_a_full_transmit_buffer() {
    pipelined(Codec::Compact, 20000);
}
