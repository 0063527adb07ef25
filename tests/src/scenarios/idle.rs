//! Servers with a short idle timeout: a flood of silent connections, a
//! client stalled mid-frame, a trickler that never completes a frame.

use super::{alternating, check_server_full, connect_session, victim, Bystander, RECLAIM_WITHIN};
use crate::{Refereed, Rng, Target, READ_TIMEOUT};
use cuatro_proto::{Codec, Error};
use host::client::Client;
use std::time::{Duration, Instant};

/// With a server whose idle timeout is `idle` (short!): a flood of 20
/// silent connections. The extra ones are told "server full" (or refused),
/// the silent sessions are closed after the idle timeout, a bystander that
/// keeps playing is untouched, and new clients play normally afterwards.
pub fn idle_flood(t: &Target, idle: Duration) {
    let mut by = Bystander::start(t, Codec::Classic);
    let start = Instant::now();
    let mut flood: Vec<Client> = (0..20)
        .map(|i| {
            let codec = alternating(i);
            Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect")
        })
        .collect();
    let mut granted = Vec::new();
    let (mut full, mut refused) = (0, 0);
    for (i, mut c) in flood.drain(..).enumerate() {
        match c.recv() {
            Ok(r) if r.error == Some(Error::ServerFull) => {
                check_server_full(&mut c, &r, &format!("flood {i}"), true);
                full += 1;
            }
            Ok(r) => {
                assert!(
                    r.continuar && r.error.is_none(),
                    "flood {i}: odd greeting {r:?}"
                );
                granted.push(c);
            }
            Err(_) => refused += 1,
        }
    }
    eprintln!(
        "idle flood: {} sessions, {full} server_full, {refused} refused",
        granted.len()
    );
    assert!(
        granted.len() >= 3,
        "only {} of the flood got a session",
        granted.len()
    );
    assert!(full >= 1, "nobody of the flood was told server_full");
    by.check();

    // The silent sessions idle out; the bystander keeps playing meanwhile.
    by.keep_playing_for(idle + Duration::from_millis(1500));
    for (i, c) in granted.iter_mut().enumerate() {
        assert!(
            c.closed_by_server(),
            "silent session {i} still open after the idle timeout"
        );
    }
    assert!(
        start.elapsed() < idle + Duration::from_secs(8),
        "idle sessions took too long to close: {:?}",
        start.elapsed()
    );
    by.check();

    // Three newcomers get sessions and play.
    let mut rng = Rng::new(10);
    let mut fresh: Vec<Refereed> = (0..3)
        .map(|i| {
            connect_session(
                t.classic,
                Codec::Classic,
                &format!("newcomer {i}"),
                RECLAIM_WITHIN,
            )
        })
        .collect();
    for s in &mut fresh {
        s.play_full_game(&mut rng);
        by.check();
    }
    for s in fresh {
        s.quit();
    }
    by.check();
}

/// With a server whose idle timeout is `idle`: a client that stalls in the
/// middle of a frame loses its socket after about `idle` (not much before,
/// not much after); the bystander, playing on, is untouched.
pub fn stalled_mid_frame(t: &Target, idle: Duration) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "staller");
    v.client.send_raw(&[0, 0, 0, 30, b'{', b'"']).expect("send");
    let stalled_at = Instant::now();
    by.keep_playing_for(idle / 2);
    // Still connected halfway through the timeout: nothing arrives yet.
    v.client
        .stream()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut probe = [0u8; 1];
    let early = std::io::Read::read(v.client.stream(), &mut probe);
    assert!(
        matches!(&early, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "staller disconnected or answered before the idle timeout: {early:?}"
    );
    by.keep_playing_for(idle / 2 + Duration::from_millis(1500));
    v.client
        .stream()
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("timeout");
    assert!(
        v.client.closed_by_server(),
        "staller still connected after the idle timeout"
    );
    let took = stalled_at.elapsed();
    assert!(
        took < idle + Duration::from_secs(6),
        "staller closed only after {took:?}"
    );
    by.check();
}

/// A client that trickles a frame one byte at a time, each byte well
/// within the idle timeout, never completing it: the idle clock runs from
/// its last whole frame, so it is closed about `idle` after connecting, not
/// held as long as it trickles (SPEC.md, "Availability").
pub fn trickler_idles_out(t: &Target, idle: Duration) {
    let mut v = victim(t, Codec::Classic, "trickler");
    let connected = Instant::now();
    let header = [0u8, 0, 3, 0xe8]; // announces 1000 bytes
    let mut sent = 0usize;
    let step = idle / 4;
    let limit = idle * 4 + Duration::from_secs(4);
    let mut closed = false;
    while connected.elapsed() < limit {
        let byte = header.get(sent).copied().unwrap_or(b' ');
        if v.client.send_raw(&[byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        v.client
            .stream()
            .set_read_timeout(Some(step))
            .expect("timeout");
        let mut probe = [0u8; 64];
        match std::io::Read::read(v.client.stream(), &mut probe) {
            Ok(0) => {
                closed = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Ok(_) | Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let took = connected.elapsed();
    assert!(
        closed,
        "trickler still connected after {took:?} ({sent} bytes sent)"
    );
    assert!(
        took < idle * 2 + Duration::from_secs(2),
        "trickler held its session {took:?} (idle timeout {idle:?})"
    );
}
