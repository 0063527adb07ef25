//! A kernel-TCP game client that referees every reply (shared by the relay
//! and TAP tests).

#![allow(dead_code)]

pub mod net;

use cuatro_kit::Referee;
use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{Action, Codec, MAX_FRAME};
use sim::impair::SplitMix64;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Reads one reply frame and referees it.
fn read_reply(
    s: &mut TcpStream,
    dec: &mut FrameDecoder<MAX_FRAME>,
    pending: &mut Vec<u8>,
    codec: Codec,
    referee: &mut Referee,
) -> Result<(), String> {
    loop {
        if !pending.is_empty() {
            let (used, got) = dec.feed(pending);
            let done = match got {
                Ok(Some(payload)) => Some(cuatro_kit::reply::decode_shown(codec, payload)?),
                Ok(None) => None,
                Err(e) => return Err(format!("framing error {e:?}")),
            };
            pending.drain(..used);
            if let Some(seen) = done {
                return referee.check(&seen);
            }
        }
        let mut buf = [0u8; 2048];
        let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!("EOF with {} replies owed", referee.outstanding()));
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// Plays `games` full games on `addr` in `codec` over the kernel's TCP,
/// refereeing every reply. Ends with `\salir` when `quit`, else by closing
/// its half and waiting for the server's EOF. Returns the replies checked.
pub fn play(
    addr: SocketAddr,
    codec: Codec,
    games: usize,
    quit: bool,
    seed: u64,
) -> Result<u64, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut dec = FrameDecoder::<MAX_FRAME>::new();
    let mut pending = Vec::new();
    let mut referee = Referee::new(codec);
    let mut rng = SplitMix64::new(seed);
    read_reply(&mut s, &mut dec, &mut pending, codec, &mut referee)?;
    let send = |s: &mut TcpStream, referee: &mut Referee, a: Action| -> Result<(), String> {
        let mut buf = [0u8; 64];
        let n = encode_frame_with(&mut buf, |p| codec.encode_action(&a, p))
            .map_err(|e| format!("{e:?}"))?;
        s.write_all(&buf[..n]).map_err(|e| format!("write: {e}"))?;
        referee.sent(a);
        Ok(())
    };
    for _ in 0..games {
        send(&mut s, &mut referee, Action::NewGame)?;
        read_reply(&mut s, &mut dec, &mut pending, codec, &mut referee)?;
        let before = referee.results().len();
        for _ in 0..42 {
            if referee.results().len() > before {
                break;
            }
            let legal = referee.legal_columns();
            let col = legal[rng.below(legal.len() as u64) as usize];
            // Now and then a refused move pipelined before the real one.
            if rng.below(4) == 0 {
                send(&mut s, &mut referee, Action::Move(7))?;
            }
            send(&mut s, &mut referee, Action::Move(i64::from(col)))?;
            while referee.outstanding() > 0 {
                read_reply(&mut s, &mut dec, &mut pending, codec, &mut referee)?;
            }
        }
        if referee.results().len() == before {
            return Err("a game did not end in 42 moves".into());
        }
    }
    if quit {
        send(&mut s, &mut referee, Action::Quit)?;
        read_reply(&mut s, &mut dec, &mut pending, codec, &mut referee)?;
    } else {
        s.shutdown(std::net::Shutdown::Write)
            .map_err(|e| e.to_string())?;
    }
    // Then the server closes: EOF, and nothing more.
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(_) if rest.is_empty() => Ok(referee.replies()),
        Ok(_) => Err(format!("{} bytes after the last reply", rest.len())),
        Err(e) => Err(format!("waiting for EOF: {e}")),
    }
}
