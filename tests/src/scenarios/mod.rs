//! Hostile-client and concurrency scenarios, as functions of a [`Target`],
//! and their one list, [`registry`].
//!
//! Each hostile scenario runs next to a *bystander*: another client in the
//! middle of a game, whose next reply after the attack must still be correct
//! (refereed). They panic with a precise message on the first deviation from
//! SPEC.md. Every target iterates [`registry::all`]: `tests/hostile.rs` on
//! the in-process simulator, `tests/cli.rs` on `cuatro serve` and
//! `cuatro-sim`, `tests/board_qemu.rs` on each QEMU board.
//!
//! - [`framing`]: bad lengths, `MAX_FRAME`, nothing after a framing error;
//! - [`payloads`]: bad payloads in good frames, JSON spellings;
//! - [`pipelining`]: pipelined, byte-by-byte, half-closed, unread replies;
//! - [`idle`]: what a short idle timeout closes;
//! - [`levels`]: the CPU levels through both codecs, `bad_level`, the
//!   default level;
//! - [`pvp`]: player vs player: matched games, leavers, two matches;
//! - [`sessions`]: the session pool: reclaimed, full, shared by the ports.

pub mod framing;
pub mod idle;
pub mod levels;
pub mod payloads;
pub mod pipelining;
pub mod pvp;
pub mod registry;
pub mod sessions;

pub use framing::*;
pub use idle::*;
pub use levels::*;
pub use payloads::*;
pub use pipelining::*;
pub use pvp::*;
pub use sessions::*;

use crate::referee::Referee;
use crate::{Refereed, Rng, Target, READ_TIMEOUT};
use cuatro_proto::{Action, Codec, Error};
use host::client::{Client, Received};
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

/// The codec of client `i` in a group that alternates: even ones classic,
/// odd ones compact.
pub fn alternating(i: usize) -> Codec {
    match i % 2 {
        0 => Codec::Classic,
        _ => Codec::Compact,
    }
}

/// Checks `r`, the reply `c` got, as a correct "server full" (the
/// referee's judgement) and, with `closes`, that the server then closed
/// `c`. `who` names the client in a failure.
pub fn check_server_full(c: &mut Client, r: &Received, who: &str, closes: bool) {
    if let Err(e) = Referee::server_full(r) {
        panic!("{who}: {e}\n{r:?}");
    }
    if closes {
        assert!(c.closed_by_server(), "{who}: not closed after server_full");
    }
}

/// Reads `c`'s first reply and checks it with [`check_server_full`].
pub fn expect_server_full(c: &mut Client, who: &str, closes: bool) {
    let r = c
        .recv()
        .unwrap_or_else(|e| panic!("{who}: no server_full reply: {e}"));
    check_server_full(c, &r, who, closes);
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
