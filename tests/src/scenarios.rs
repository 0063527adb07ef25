//! Hostile-client and concurrency scenarios, as functions of a [`Target`].
//!
//! Each hostile scenario runs next to a *bystander*: another client in the
//! middle of a game, whose next reply after the attack must still be correct
//! (refereed). They panic with a precise message on the first deviation from
//! SPEC.md. The `#[test]`s in `tests/` run them against the in-process
//! simulator; a board test can run them against its own addresses.

use crate::referee::Referee;
use crate::{action_frame, frame, raw_frame, Refereed, Rng, Target, READ_TIMEOUT};
use cuatro_proto::{Action, Codec, Error, Estado, MAX_FRAME};
use host::client::{Client, Received};
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// How long a freed session may take to be available again.
pub const RECLAIM_WITHIN: Duration = Duration::from_secs(5);

/// Another client in the middle of a game, that must not notice anything.
pub struct Bystander {
    /// Its refereed connection.
    pub session: Refereed,
    rng: Rng,
}

impl Bystander {
    /// Connects, starts a game and plays one move.
    pub fn start(t: &Target, codec: Codec) -> Bystander {
        let mut session = Refereed::connect(t.addr(codec), codec, "bystander");
        let mut rng = Rng::new(0xB1_5747);
        session.act(Action::NewGame);
        session.step(&mut rng);
        Bystander { session, rng }
    }

    /// Plays on: its next reply must still be right.
    pub fn check(&mut self) -> Received {
        self.session.step(&mut self.rng)
    }

    /// Keeps playing for `d` (a move every 300 ms, so it never idles out).
    pub fn keep_playing_for(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            self.check();
            std::thread::sleep(
                Duration::from_millis(300).min(end.saturating_duration_since(Instant::now())),
            );
        }
    }
}

/// A client with a game in progress (one move played), to attack with.
pub fn victim(t: &Target, codec: Codec, label: &str) -> Refereed {
    let mut v = Refereed::connect(t.addr(codec), codec, label);
    v.act(Action::NewGame);
    v.step(&mut Rng::new(7));
    v
}

/// Resets a connection (SO_LINGER 0, then close: the kernel sends RST).
pub fn reset(client: Client) {
    let mut client = client;
    let fd = client.stream().as_raw_fd();
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a correctly sized struct.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER) failed");
    drop(client);
}

/// Connects and waits (at most `within`) for a game session: retries while
/// the server answers "server full" or refuses.
pub fn connect_session(addr: SocketAddr, codec: Codec, label: &str, within: Duration) -> Refereed {
    let deadline = Instant::now() + within;
    let mut last = String::new();
    while Instant::now() < deadline {
        match Client::connect(addr, codec, READ_TIMEOUT) {
            Ok(mut client) => match client.recv() {
                Ok(r) if r.error == Some(Error::ServerFull) => last = "server_full".into(),
                Ok(greeting) => {
                    let mut referee = Referee::new(codec);
                    if let Err(e) = referee.greeting(&greeting) {
                        panic!("{label}: bad greeting: {e}\n{greeting:?}");
                    }
                    return Refereed {
                        client,
                        referee,
                        label: label.into(),
                    };
                }
                Err(e) => last = format!("no greeting: {e}"),
            },
            Err(e) => last = format!("connect: {e}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{label}: no session within {within:?} (last: {last})");
}

// ---------------------------------------------------------------- framing

/// Length 0: `frame_empty`, `continuar: false`, closed.
pub fn frame_empty(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, codec, "victim");
    v.client.send_raw(&[0, 0, 0, 0]).expect("send");
    v.expect_error(Error::FrameEmpty, false, "a zero-length frame");
    assert!(v.client.closed_by_server(), "not closed after frame_empty");
    by.check();
}

/// Length 0xFFFFFFFF: `frame_too_large`, `continuar: false`, closed.
pub fn frame_huge(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, codec, "victim");
    v.client.send_raw(&[0xFF; 4]).expect("send");
    v.expect_error(Error::FrameTooLarge, false, "length 0xFFFFFFFF");
    assert!(
        v.client.closed_by_server(),
        "not closed after frame_too_large"
    );
    by.check();
}

/// A body of MAX_FRAME + 1 bytes: `frame_too_large`, closed.
pub fn frame_over_max(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, codec, "victim");
    let body = vec![b' '; MAX_FRAME + 1];
    // The server may close before taking the body: a failed write is fine.
    let _ = v.client.send_raw(&raw_frame(body.len() as u32, &body));
    v.expect_error(Error::FrameTooLarge, false, "a 1025-byte frame");
    assert!(
        v.client.closed_by_server(),
        "not closed after frame_too_large"
    );
    by.check();
}

/// A frame of exactly MAX_FRAME bytes is legal: a padded `\juego_nuevo`.
pub fn frame_at_max(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut payload = br#"{"tipo": "\\juego_nuevo"}"#.to_vec();
    payload.resize(MAX_FRAME, b' ');
    v.client.send_raw(&frame(&payload)).expect("send");
    v.expect_reply(&Action::NewGame);
    // And with the padding inside, in an extra string member.
    let mut payload = br#"{"tipo": "\\jugada", "data": 3, "x": ""#.to_vec();
    payload.resize(MAX_FRAME - 2, b'a');
    payload.extend_from_slice(b"\"}");
    assert_eq!(payload.len(), MAX_FRAME);
    v.client.send_raw(&frame(&payload)).expect("send");
    v.expect_reply(&Action::Move(3));
    by.check();
    v.quit();
}

// ---------------------------------------------------------------- content

/// Sends `payload` in a frame on a classic victim; expects error `code`
/// (connection kept), then checks a valid action still gets its reply.
fn bad_payload(v: &mut Refereed, payload: &[u8], code: Error, rng: &mut Rng) {
    let what = format!("payload {:?}", String::from_utf8_lossy(payload));
    v.client.send_raw(&frame(payload)).expect("send");
    v.expect_error(code, true, &what);
    // The framing is still in sync: the next valid action is answered.
    v.step(rng);
}

/// Truncated and otherwise invalid JSON: `invalid_json`, connection kept.
pub fn invalid_json(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(1);
    for p in [
        &br#"{"tipo": "\\jugada", "da"#[..],
        br#"{"tipo": "\\juego_nuevo""#,
        b"not json at all",
        br#"{"tipo": "\\salir",}"#,
        br#"{'tipo': '\\salir'}"#,
        br#"{"tipo": "\\salir"} {"tipo": "\\salir"}"#,
        b"{",
        b" ",
    ] {
        bad_payload(&mut v, p, Error::InvalidJson, &mut rng);
    }
    by.check();
    v.quit();
}

/// Invalid UTF-8: `invalid_utf8`, connection kept.
pub fn invalid_utf8(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(2);
    for p in [
        &[0xFF, 0xFE, b'{', b'}'][..],
        b"{\"tipo\": \"\\\\salir\xC3\"}",
        b"{\"tipo\": \"\\\\salir\", \"x\": \"\xED\xA0\x80\"}",
    ] {
        bad_payload(&mut v, p, Error::InvalidUtf8, &mut rng);
    }
    by.check();
    v.quit();
}

/// Wrong JSON types and missing fields.
pub fn wrong_types(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(3);
    for (p, code) in [
        (
            &br#"{"tipo": "\\jugada", "data": "3"}"#[..],
            Error::WrongType,
        ),
        (br#"{"tipo": 5}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": 3.0}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": null}"#, Error::WrongType),
        (br#"{"tipo": "\\jugada", "data": [3]}"#, Error::WrongType),
        (br#"{"tipo": ["\\salir"]}"#, Error::WrongType),
        (br#"["\\salir"]"#, Error::WrongType),
        (br#""\\salir""#, Error::WrongType),
        (b"3", Error::WrongType),
        (br#"{}"#, Error::MissingField),
        (br#"{"data": 3}"#, Error::MissingField),
        (br#"{"tipo": "\\jugada"}"#, Error::MissingField),
    ] {
        bad_payload(&mut v, p, code, &mut rng);
    }
    by.check();
    v.quit();
}

/// Unknown `tipo`: `unknown_tipo`, connection kept.
pub fn unknown_tipo(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(4);
    for p in [
        &br#"{"tipo": "\\bailar"}"#[..],
        br#"{"tipo": "juego_nuevo"}"#,
        br#"{"tipo": "\\SALIR"}"#,
        br#"{"tipo": ""}"#,
        br#"{"tipo": "\\salir "}"#,
    ] {
        bad_payload(&mut v, p, Error::UnknownTipo, &mut rng);
    }
    by.check();
    v.quit();
}

/// `{"tipo": "\\salir", "x": [[[[...500...]]]]}`: `too_deep`, and it is
/// not taken as `\salir`.
pub fn deep_nesting(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(5);
    let mut p = br#"{"tipo": "\\salir", "x": "#.to_vec();
    p.extend(std::iter::repeat_n(b'[', 490));
    p.extend(std::iter::repeat_n(b']', 490));
    p.push(b'}');
    assert!(p.len() <= MAX_FRAME);
    bad_payload(&mut v, &p, Error::TooDeep, &mut rng);
    // Unbalanced deep nesting too (would also be invalid JSON).
    let deep = vec![b'['; 1000];
    bad_payload(&mut v, &deep, Error::TooDeep, &mut rng);
    let mut objs = Vec::new();
    for _ in 0..100 {
        objs.extend_from_slice(br#"{"a":"#);
    }
    objs.extend_from_slice(b"1");
    objs.extend(std::iter::repeat_n(b'}', 100));
    bad_payload(&mut v, &objs, Error::TooDeep, &mut rng);
    by.check();
    v.quit();
}

/// Integers: beyond i64 → `number_out_of_range`; any other column outside
/// 0..6 → a refused move, board unchanged, `continuar: true`.
pub fn numbers_out_of_range(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Classic, "victim");
    let mut rng = Rng::new(6);
    for p in [
        &br#"{"tipo": "\\jugada", "data": 99999999999999999999999}"#[..],
        br#"{"tipo": "\\jugada", "data": 9223372036854775808}"#,
        br#"{"tipo": "\\jugada", "data": -9223372036854775809}"#,
    ] {
        bad_payload(&mut v, p, Error::NumberOutOfRange, &mut rng);
    }
    for (text, n) in [
        ("-5", -5i64),
        ("1000000", 1_000_000),
        ("7", 7),
        ("-1", -1),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
    ] {
        let p = format!(r#"{{"tipo": "\\jugada", "data": {text}}}"#);
        v.client.send_raw(&frame(p.as_bytes())).expect("send");
        let r = v.expect_reply(&Action::Move(n));
        assert!(r.continuar && r.error.is_none(), "move {n}: {r:?}");
    }
    by.check();
    v.quit();

    // The same on the compact port.
    let mut v = victim(t, Codec::Compact, "compact victim");
    for n in [-5i64, 7, 1_000_000, i64::MAX, i64::MIN] {
        v.act(Action::Move(n));
    }
    by.check();
    v.quit();
}

/// Invalid compact payloads: `invalid_compact`, connection kept.
pub fn compact_garbage(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = victim(t, Codec::Compact, "compact victim");
    let mut rng = Rng::new(8);
    for p in [
        &[0x07][..],
        &[0x01],                   // Move without its column
        &[0x00, 0x00],             // trailing byte
        &[0x01, 0xFF, 0xFF, 0xFF], // unterminated varint
        &[
            0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        ],
        b"{\"tipo\": \"\\\\salir\"}", // JSON on the compact port
    ] {
        v.client.send_raw(&frame(p)).expect("send");
        v.expect_error(
            Error::InvalidCompact,
            true,
            &format!("compact payload {p:02x?}"),
        );
        v.step(&mut rng);
    }
    by.check();
    v.quit();
}

/// What Python's `json.dumps` (and people) may send: separators, indent,
/// key order, extra keys, escapes. All must parse as the same actions.
pub fn json_variants(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.classic, Codec::Classic, "variants");
    let cases: [(&str, Action); 12] = [
        (r#"{"tipo":"\\juego_nuevo"}"#, Action::NewGame),
        (r#"{"tipo":"\\jugada","data":3}"#, Action::Move(3)),
        (
            "{\n  \"tipo\": \"\\\\jugada\",\n  \"data\": 2\n}",
            Action::Move(2),
        ),
        (r#"{"data": 4, "tipo": "\\jugada"}"#, Action::Move(4)),
        (
            r#"{"tipo": "\\jugada", "data": 1, "extra": {"a": [1, 2.5, null, true]}}"#,
            Action::Move(1),
        ),
        (r#"{"tipo": "\u005cjugada", "data": 0}"#, Action::Move(0)),
        (r#"{"ti\u0070o": "\\jugada", "data": 5}"#, Action::Move(5)),
        (
            " \t\r\n{\"tipo\": \"\\\\jugada\", \"data\": 6} \n",
            Action::Move(6),
        ),
        (r#"{"tipo": "\\jugada", "data": -0}"#, Action::Move(0)),
        (
            r#"{"tipo": "\\salir", "tipo": "\\jugada", "data": 3}"#,
            Action::Move(3),
        ),
        (
            r#"{"tipo": "\\juego_nuevo", "data": "ignored"}"#,
            Action::NewGame,
        ),
        (r#"{"tipo" : "\\jugada" , "data" : 3 }"#, Action::Move(3)),
    ];
    for (p, action) in cases {
        v.client.send_raw(&frame(p.as_bytes())).expect("send");
        v.expect_reply(&action);
    }
    by.check();
    v.client
        .send_raw(&frame(br#"{"tipo":"\\salir"}"#))
        .expect("send");
    v.expect_reply(&Action::Quit);
    assert!(
        v.client.closed_by_server(),
        "not closed after a compact \\salir"
    );
}

// ---------------------------------------------------------------- delivery

/// `n` actions in one write: `n` replies, in order, each refereed.
pub fn pipelined(t: &Target, codec: Codec, n: usize) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "pipeliner");
    let mut actions = Vec::new();
    for i in 0..n {
        actions.push(if i % 15 == 0 {
            Action::NewGame
        } else {
            Action::Move((i % 7) as i64)
        });
    }
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    v.client.send_raw(&bytes).expect("send");
    for a in &actions {
        v.expect_reply(a);
    }
    by.check();
    v.quit();
}

/// Valid and invalid frames mixed in one write: answered in order.
pub fn pipelined_mixed(t: &Target) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.classic, Codec::Classic, "pipeliner");
    let mut bytes = Vec::new();
    bytes.extend(frame(b"garbage"));
    bytes.extend(action_frame(Codec::Classic, &Action::NewGame));
    bytes.extend(frame(br#"{"tipo": "\\jugada", "data": "3"}"#));
    bytes.extend(action_frame(Codec::Classic, &Action::Move(3)));
    bytes.extend(frame(br#"{"tipo": "\\nada"}"#));
    bytes.extend(action_frame(Codec::Classic, &Action::Move(3)));
    bytes.extend(action_frame(Codec::Classic, &Action::Quit));
    // Anything after \salir must be ignored.
    bytes.extend(action_frame(Codec::Classic, &Action::NewGame));
    v.client.send_raw(&bytes).expect("send");
    v.expect_error(Error::InvalidJson, true, "garbage");
    v.expect_reply(&Action::NewGame);
    v.expect_error(Error::WrongType, true, "data \"3\"");
    v.expect_reply(&Action::Move(3));
    v.expect_error(Error::UnknownTipo, true, "\\nada");
    v.expect_reply(&Action::Move(3));
    v.expect_reply(&Action::Quit);
    assert!(
        v.client.closed_by_server(),
        "not closed after \\salir (with data after it)"
    );
    by.check();
}

/// Every byte in its own segment: the same replies.
pub fn byte_by_byte(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "trickler");
    for a in [
        Action::NewGame,
        Action::Move(3),
        Action::Move(3),
        Action::Move(-2),
    ] {
        for b in action_frame(codec, &a) {
            v.client.stream().write_all(&[b]).expect("send a byte");
            std::thread::sleep(Duration::from_millis(3));
        }
        v.expect_reply(&a);
    }
    by.check();
    v.quit();
}

// ---------------------------------------------------------------- resources

/// Clients that reset or vanish mid-game / mid-frame give their sessions
/// back promptly: afterwards 4 sessions can be had (within
/// [`RECLAIM_WITHIN`]) and play normally.
pub fn resets_free_sessions(t: &Target) {
    let mut by = Bystander::start(t, Codec::Classic);
    // RST mid-game.
    let a = victim(t, Codec::Classic, "rst mid-game");
    // RST mid-frame.
    let mut b = victim(t, Codec::Compact, "rst mid-frame");
    b.client.send_raw(&[0, 0, 0, 40, b'{']).expect("send");
    // FIN mid-frame.
    let mut c = victim(t, Codec::Classic, "fin mid-frame");
    c.client.send_raw(&[0, 0]).expect("send");
    std::thread::sleep(Duration::from_millis(50));
    reset(a.client);
    reset(b.client);
    drop(c.client);
    by.check();
    // The bystander leaves without \salir (FIN between frames).
    drop(by);

    let mut sessions: Vec<Refereed> = (0..4)
        .map(|i| {
            let codec = if i % 2 == 0 {
                Codec::Classic
            } else {
                Codec::Compact
            };
            connect_session(t.addr(codec), codec, &format!("fresh {i}"), RECLAIM_WITHIN)
        })
        .collect();
    let mut rng = Rng::new(9);
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}

/// With a server whose idle timeout is `idle` (short!): a flood of 20
/// silent connections. The extra ones are told "server full" (or refused),
/// the silent sessions are closed after the idle timeout, a bystander that
/// keeps playing is untouched, and new clients play normally afterwards.
pub fn idle_flood(t: &Target, idle: Duration) {
    let mut by = Bystander::start(t, Codec::Classic);
    let start = Instant::now();
    let mut flood: Vec<Client> = (0..20)
        .map(|i| {
            let codec = if i % 2 == 0 {
                Codec::Classic
            } else {
                Codec::Compact
            };
            Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect")
        })
        .collect();
    let mut granted = Vec::new();
    let (mut full, mut refused) = (0, 0);
    for (i, mut c) in flood.drain(..).enumerate() {
        match c.recv() {
            Ok(r) if r.error == Some(Error::ServerFull) => {
                if let Err(e) = Referee::server_full(&r) {
                    panic!("flood {i}: {e}");
                }
                assert!(
                    c.closed_by_server(),
                    "flood {i}: not closed after server_full"
                );
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

// ---------------------------------------------------------------- concurrency

/// 4 sessions play `games` full games each, concurrently, while a 5th and
/// 6th client are told "server full" (`continuar: false`, then closed). The
/// 4 are unaffected (every reply refereed). Returns how the games ended.
pub fn four_sessions_and_server_full(t: &Target, games: usize) -> Vec<Estado> {
    use std::sync::{Arc, Barrier};
    // Main and the 4 players meet at: all connected; checked, go; halfway
    // (after the first game); checked again, go on.
    let meet = Arc::new(Barrier::new(5));
    let mut threads = Vec::new();
    for i in 0..4 {
        let t = *t;
        let meet = meet.clone();
        threads.push(std::thread::spawn(move || {
            let codec = if i % 2 == 0 {
                Codec::Classic
            } else {
                Codec::Compact
            };
            let mut s = Refereed::connect(t.addr(codec), codec, &format!("player {i}"));
            let mut rng = Rng::new(100 + i as u64);
            s.act(Action::NewGame);
            s.step(&mut rng);
            meet.wait();
            meet.wait();
            let mut ends = vec![s.play_full_game(&mut rng)];
            s.act(Action::NewGame);
            s.step(&mut rng);
            meet.wait();
            meet.wait();
            // Their games go on where they were.
            s.step(&mut rng);
            for _ in 1..games {
                ends.push(s.play_full_game(&mut rng));
            }
            s.quit();
            ends
        }));
    }
    meet.wait();
    // The pool is taken: a 5th (classic) and 6th (compact) client.
    for codec in [Codec::Classic, Codec::Compact] {
        let mut c = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        let r = c
            .recv()
            .unwrap_or_else(|e| panic!("extra {codec:?} client got no server_full reply: {e}"));
        if let Err(e) = Referee::server_full(&r) {
            panic!("extra {codec:?} client: {e}\n{r:?}");
        }
        assert!(
            c.closed_by_server(),
            "extra {codec:?} client not closed after server_full"
        );
    }
    meet.wait();
    meet.wait();
    // And again, once the rejecting sockets came back.
    for codec in [Codec::Compact, Codec::Classic] {
        let mut c = connect_until_answered(t.addr(codec), codec);
        let r = c.recv().expect("server_full reply");
        if let Err(e) = Referee::server_full(&r) {
            panic!("second extra {codec:?} client: {e}\n{r:?}");
        }
        assert!(
            c.closed_by_server(),
            "second extra {codec:?} client not closed after server_full"
        );
    }
    meet.wait();
    let mut ends = Vec::new();
    for th in threads {
        match th.join() {
            Ok(e) => ends.extend(e),
            Err(p) => std::panic::resume_unwind(p),
        }
    }
    // Everybody left: a session is available again.
    let s = connect_session(t.compact, Codec::Compact, "after", RECLAIM_WITHIN);
    s.quit();
    ends
}

/// Connects until the server sends something (retrying refused/closed
/// connections for up to [`RECLAIM_WITHIN`]); the reply is left unread.
fn connect_until_answered(addr: SocketAddr, codec: Codec) -> Client {
    let deadline = Instant::now() + RECLAIM_WITHIN;
    loop {
        let mut c = Client::connect(addr, codec, READ_TIMEOUT).expect("connect");
        let mut peek = [0u8; 1];
        if matches!(c.stream().peek(&mut peek), Ok(n) if n > 0) {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "the server never answered a new connection"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `n` sessions one after the other: connect, play a short game, `\salir`;
/// each must take less than `max_each`. Returns the slowest.
pub fn sequential_sessions(t: &Target, n: usize, max_each: Duration) -> Duration {
    let mut slowest = Duration::ZERO;
    let mut rng = Rng::new(11);
    for i in 0..n {
        let codec = if i % 2 == 0 {
            Codec::Classic
        } else {
            Codec::Compact
        };
        let start = Instant::now();
        let mut s = Refereed::connect(t.addr(codec), codec, &format!("sequential {i}"));
        if i % 3 != 2 {
            s.act(Action::NewGame);
            for _ in 0..3 {
                if s.step(&mut rng).estado != Estado::Jugando {
                    break;
                }
            }
        }
        s.quit();
        let took = start.elapsed();
        assert!(
            took < max_each,
            "session {i} took {took:?} (limit {max_each:?})"
        );
        slowest = slowest.max(took);
    }
    slowest
}

// ---------------------------------------------------------------- more

/// A client that sends its actions and then shuts down its write half
/// (FIN) still gets every reply, then the server closes.
pub fn half_close(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Classic);
    let mut v = Refereed::connect(t.addr(codec), codec, "half-closer");
    let actions = [Action::NewGame, Action::Move(2), Action::Move(4)];
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    v.client.send_raw(&bytes).expect("send");
    v.client
        .stream()
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    for a in &actions {
        v.expect_reply(a);
    }
    assert!(
        v.client.closed_by_server(),
        "server did not close after the client's FIN"
    );
    by.check();
}

/// A frame after a framing error is never answered: valid, then length 0,
/// then valid, in one write → one reply, the error, then close.
pub fn nothing_after_framing_error(t: &Target, codec: Codec) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.addr(codec), codec, "desync");
    let mut bytes = action_frame(codec, &Action::NewGame);
    bytes.extend([0, 0, 0, 0]);
    bytes.extend(action_frame(codec, &Action::Move(3)));
    v.client.send_raw(&bytes).expect("send");
    v.expect_reply(&Action::NewGame);
    v.expect_error(Error::FrameEmpty, false, "length 0 after a valid frame");
    assert!(
        v.client.closed_by_server(),
        "not closed (or answered more) after the framing error"
    );
    by.check();
}

/// A client that pipelines `n` actions while not reading for a while: the
/// server stops reading (backpressure) rather than dropping or corrupting
/// replies; all `n` replies arrive, in order; the bystander is unaffected
/// meanwhile.
pub fn slow_reader(t: &Target, codec: Codec, n: usize) {
    let mut by = Bystander::start(t, Codec::Compact);
    let mut v = Refereed::connect(t.addr(codec), codec, "slow reader");
    let actions: Vec<Action> = (0..n)
        .map(|i| {
            if i % 20 == 0 {
                Action::NewGame
            } else {
                Action::Move((i % 7) as i64)
            }
        })
        .collect();
    let mut bytes = Vec::new();
    for a in &actions {
        bytes.extend(action_frame(codec, a));
    }
    let mut writer = v.client.stream().try_clone().expect("clone");
    let w = std::thread::spawn(move || writer.write_all(&bytes));
    // Not reading: the bystander plays meanwhile.
    by.keep_playing_for(Duration::from_millis(1000));
    for a in &actions {
        v.expect_reply(a);
    }
    w.join()
        .expect("writer thread")
        .expect("writing the pipelined actions");
    by.check();
    v.quit();
}

/// `n` connections opened and dropped at once, cycling through `kinds`:
/// 0 reset, 1 closed, 2 reset mid-frame, 3 closed right after an action;
/// none reading: afterwards 4 sessions can be had and play.
pub fn churn(t: &Target, n: usize, kinds: &[usize]) {
    let mut by = Bystander::start(t, Codec::Classic);
    for i in 0..n {
        let codec = if i % 2 == 0 {
            Codec::Classic
        } else {
            Codec::Compact
        };
        let Ok(mut c) = Client::connect(t.addr(codec), codec, READ_TIMEOUT) else {
            continue;
        };
        match kinds[i % kinds.len()] {
            0 => reset(c),
            1 => drop(c),
            2 => {
                let _ = c.send_raw(&[0, 0, 0, 9, 1]);
                reset(c);
            }
            _ => {
                let _ = c.send_raw(&action_frame(codec, &Action::NewGame));
                drop(c);
            }
        }
        if i % 10 == 0 {
            by.check();
        }
    }
    by.check();
    drop(by);
    let mut rng = Rng::new(12);
    let mut sessions: Vec<Refereed> = (0..4)
        .map(|i| {
            let codec = if i % 2 == 0 {
                Codec::Classic
            } else {
                Codec::Compact
            };
            connect_session(
                t.addr(codec),
                codec,
                &format!("after churn {i}"),
                RECLAIM_WITHIN,
            )
        })
        .collect();
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}

/// All 4 sessions on the same port (`codec`), each playing a game, then a
/// 5th client on that port and a 6th on the other are told "server full".
/// (SPEC: at least 4 simultaneous sessions, whichever port they use.)
pub fn four_sessions_on_one_port(t: &Target, codec: Codec) {
    let mut rng = Rng::new(13);
    let mut sessions = Vec::new();
    for i in 0..4 {
        let label = format!("{codec:?} session {i}");
        let mut c = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        let greeting = c.recv().unwrap_or_else(|e| {
            panic!("{label}: no greeting with {i} sessions open on the same port: {e}")
        });
        let mut referee = Referee::new(codec);
        if let Err(e) = referee.greeting(&greeting) {
            panic!("{label}: {e}\n{greeting:?}");
        }
        let mut s = Refereed {
            client: c,
            referee,
            label,
        };
        s.act(Action::NewGame);
        s.step(&mut rng);
        sessions.push(s);
    }
    let other = match codec {
        Codec::Classic => Codec::Compact,
        Codec::Compact => Codec::Classic,
    };
    for c in [codec, other] {
        let mut x = Client::connect(t.addr(c), c, READ_TIMEOUT).expect("connect");
        let r = x
            .recv()
            .unwrap_or_else(|e| panic!("5th client on the {c:?} port: no server_full reply: {e}"));
        if let Err(e) = Referee::server_full(&r) {
            panic!("5th client on the {c:?} port: {e}\n{r:?}");
        }
    }
    for s in &mut sessions {
        s.play_full_game(&mut rng);
    }
    for s in sessions {
        s.quit();
    }
}

/// The board of each reply to the same moves, on a fresh connection: used
/// to check that the CPU's generator is seeded (same seed, same game).
pub fn replay(addr: SocketAddr, codec: Codec, moves: &[i64]) -> Vec<cuatro_proto::Board> {
    let mut s = Refereed::connect(addr, codec, "replay");
    s.act(Action::NewGame);
    let mut boards = Vec::new();
    for &m in moves {
        if s.referee.game().is_none() {
            s.act(Action::NewGame);
        }
        boards.push(s.act(Action::Move(m)).tablero);
    }
    s.quit();
    boards
}

/// With every session taken and one "server full" reply closing, a
/// newcomer on either port still hears "server full": the one spare
/// listener follows demand to the port asked for. A regression guard: over
/// the simulator's relay the closing socket is short-lived (the relay
/// closes its end at once), so this passes on the code from before the
/// availability work too; the case that refused connections then, a closing
/// socket whose client never reads, is covered by the netsim's zero-window
/// test (`sim/tests/availability.rs`).
pub fn spare_listener_follows_demand(t: &Target) {
    let mut rng = Rng::new(12);
    // Four players, all on the classic port: the two spare sockets end up
    // one listening on each port.
    let mut players: Vec<Refereed> = (0..4)
        .map(|i| {
            let mut p = Refereed::connect(t.classic, Codec::Classic, &format!("player {i}"));
            p.act(Action::NewGame);
            p
        })
        .collect();
    for codec in [Codec::Compact, Codec::Classic, Codec::Compact] {
        // A client told "server full" that keeps its end open: its socket
        // is closing on the board.
        let mut lingering = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        let r = lingering.recv().expect("server_full reply");
        assert_eq!(r.error, Some(Error::ServerFull), "{codec:?}: {r:?}");
        // A newcomer on the same port at once: answered, not refused.
        let mut newcomer = Client::connect(t.addr(codec), codec, READ_TIMEOUT).expect("connect");
        match newcomer.recv() {
            Ok(r) => {
                if let Err(e) = Referee::server_full(&r) {
                    panic!("{codec:?} newcomer: {e}");
                }
            }
            Err(e) => panic!("{codec:?} newcomer refused while a listener could take it: {e}"),
        }
        drop(lingering);
        for p in &mut players {
            p.step(&mut rng);
        }
    }
    for p in players {
        p.quit();
    }
}
