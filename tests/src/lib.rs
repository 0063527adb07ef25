//! # cuatro-tests — end-to-end harness
//!
//! Everything here is address-based: it talks to a cuatro server given its
//! classic and compact addresses ([`Target`]), whether that server is the
//! in-process simulator ([`in_process_sim`]), the `cuatro-sim` or
//! `cuatro serve` binaries ([`process::Spawned`]), or a QEMU / real board.
//!
//! - [`referee`]: the independent judge of every reply (board, gravity, CPU
//!   move, wins and draws by its own four-in-a-row checker; it does not use
//!   `cuatro_core::game`): `cuatro_kit::referee`, the one the simulator's
//!   clients use too.
//! - [`Refereed`]: a client whose every reply is refereed; plays full games.
//! - [`process`]: spawns the binaries, waits for their `ready` line, runs
//!   commands with a bounded time.
//! - [`scenarios`]: hostile-client and concurrency scenarios, as functions of
//!   a [`Target`], so any server can be put through them, and their one list
//!   ([`scenarios::registry`]) that every target iterates.
//! - [`runner`]: runs scenarios one after the other against one server,
//!   reporting each failure by name with the server's log.
//! - [`board`]: the QEMU boards as fixtures.
//! - [`Rng`]: a tiny seeded generator (reproducible games).

pub mod board;
pub mod netns;
pub mod process;
pub mod runner;
pub mod scenarios;
pub mod scripts;

pub use cuatro_kit::referee;

use cuatro_proto::{Action, Codec, Estado};
use host::client::{Client, Received};
use referee::Referee;
use std::net::SocketAddr;
use std::time::Duration;

/// How long any single read may block in these tests.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The two game ports of a server under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Classic JSON game port.
    pub classic: SocketAddr,
    /// Compact (postcard) game port.
    pub compact: SocketAddr,
    /// The player-vs-player ports (classic, compact), if the server has
    /// them.
    pub pvp: Option<(SocketAddr, SocketAddr)>,
}

impl Target {
    /// The address speaking `codec`.
    pub fn addr(&self, codec: Codec) -> SocketAddr {
        match codec {
            Codec::Classic => self.classic,
            Codec::Compact => self.compact,
        }
    }

    /// The player-vs-player address speaking `codec` (panics if the
    /// server has none: a scenario that needs them says so in its
    /// [`scenarios::registry::Needs`]).
    pub fn pvp_addr(&self, codec: Codec) -> SocketAddr {
        let (classic, compact) = self.pvp.expect("the server has no player-vs-player ports");
        match codec {
            Codec::Classic => classic,
            Codec::Compact => compact,
        }
    }
}

impl From<sim::Addrs> for Target {
    fn from(a: sim::Addrs) -> Self {
        Target {
            classic: a.classic,
            compact: a.compact,
            pvp: Some((a.pvp, a.pvp_compact)),
        }
    }
}

/// Starts the simulator in-process on free ports. `idle_timeout` defaults to
/// the SPEC's 60 s.
pub fn in_process_sim(seed: u64, idle_timeout: Option<Duration>) -> (sim::Running, Target) {
    let running = sim::Running::spawn(sim::SimConfig {
        port_base: 0,
        seed,
        idle_timeout: idle_timeout.unwrap_or(Duration::from_secs(60)),
        ..Default::default()
    })
    .expect("spawning the in-process simulator");
    let target = Target::from(running.addrs());
    (running, target)
}

/// Runs `f` on its own thread and fails if it takes longer than `limit`
/// (so a wedged server or a deadlocked scenario fails instead of hanging).
/// Panics inside `f` are propagated.
pub fn bounded<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(limit) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("scenario did not finish within {limit:?}")
        }
    }
}

/// Both codecs, for loops.
pub const CODECS: [Codec; 2] = [Codec::Classic, Codec::Compact];

/// A seeded PRNG for reproducible random games: the simulator's
/// SplitMix64 (the one its impairments draw from).
#[derive(Debug, Clone)]
pub struct Rng(cuatro_kit::SplitMix64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(cuatro_kit::SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A connection whose every reply is checked by a [`Referee`]; panics with
/// a precise message at the first inconsistent reply.
pub struct Refereed {
    /// The underlying client (for raw writes).
    pub client: Client,
    /// The judge, holding the game as the server should see it.
    pub referee: Referee,
    /// A label for messages (`"bystander"`, `"session 3"`, ...).
    pub label: String,
}

impl Refereed {
    /// Connects, reads and checks the greeting (no game, `continuar: true`).
    pub fn connect(addr: SocketAddr, codec: Codec, label: &str) -> Refereed {
        let mut client = Client::connect(addr, codec, READ_TIMEOUT)
            .unwrap_or_else(|e| panic!("{label}: cannot connect to {addr}: {e}"));
        let mut referee = Referee::new(codec);
        let greeting = client
            .recv()
            .unwrap_or_else(|e| panic!("{label}: no greeting from {addr}: {e}"));
        if let Err(e) = referee.greeting(&greeting) {
            panic!("{label}: bad greeting: {e}\nreply: {greeting:?}");
        }
        Refereed {
            client,
            referee,
            label: label.to_owned(),
        }
    }

    /// The codec of the connection.
    pub fn codec(&self) -> Codec {
        self.client.codec()
    }

    /// Receives one reply to `action` (already sent) and referees it.
    pub fn expect_reply(&mut self, action: &Action) -> Received {
        let label = &self.label;
        let reply = self
            .client
            .recv()
            .unwrap_or_else(|e| panic!("{label}: no reply to {action:?}: {e}"));
        if let Err(e) = self.referee.after(action, &reply) {
            panic!("{label}: wrong reply to {action:?}: {e}\nreply: {reply:?}");
        }
        reply
    }

    /// Sends `action`, receives and referees the reply.
    pub fn act(&mut self, action: Action) -> Received {
        let label = &self.label;
        self.client
            .send(&action)
            .unwrap_or_else(|e| panic!("{label}: cannot send {action:?}: {e}"));
        self.expect_reply(&action)
    }

    /// Receives one reply to a hostile payload and checks it is the error
    /// `code` with the game untouched and `continuar` as given.
    pub fn expect_error(
        &mut self,
        code: cuatro_proto::Error,
        continuar: bool,
        what: &str,
    ) -> Received {
        let label = &self.label;
        let reply = self
            .client
            .recv()
            .unwrap_or_else(|e| panic!("{label}: no reply to {what}: {e}"));
        if let Err(e) = self.referee.error_reply(&reply, code, continuar) {
            panic!("{label}: wrong reply to {what}: {e}\nreply: {reply:?}");
        }
        reply
    }

    /// Plays one legal random move of the current game (or starts a game
    /// if there is none); returns the reply.
    pub fn step(&mut self, rng: &mut Rng) -> Received {
        if self.referee.game().is_none() {
            return self.act(Action::NewGame);
        }
        let col = rng.pick(&self.referee.legal_columns());
        self.act(Action::Move(i64::from(col)))
    }

    /// Starts a game and plays random legal moves until it ends; every reply
    /// refereed. Returns how it ended (`Ganaste`, `Perdiste` or `Empate`).
    pub fn play_full_game(&mut self, rng: &mut Rng) -> Estado {
        self.act(Action::NewGame);
        // 21 player moves fill the board: a game cannot last longer.
        for _ in 0..21 {
            let reply = self.step(rng);
            if reply.estado != Estado::Jugando {
                return reply.estado;
            }
        }
        panic!("{}: game still going after 21 player moves", self.label);
    }

    /// Sends `\salir`, checks the goodbye (`continuar: false`) and that the
    /// server then closes the connection.
    pub fn quit(mut self) {
        let reply = self.act(Action::Quit);
        assert!(
            !reply.continuar,
            "{}: \\salir answered with continuar true",
            self.label
        );
        assert!(
            self.client.closed_by_server(),
            "{}: the server did not close after \\salir",
            self.label
        );
    }
}

/// Plays one full random game on `client` (any state), refereeing every
/// reply: the free-function form for callers holding a bare [`Client`].
pub fn play_full_game(client: Client, rng: &mut Rng) -> (Client, Estado) {
    let codec = client.codec();
    let mut r = Refereed {
        client,
        referee: Referee::new(codec),
        label: "play_full_game".into(),
    };
    let estado = r.play_full_game(rng);
    (r.client, estado)
}

/// A frame with an arbitrary header and body (no checks: for hostile input).
pub fn raw_frame(len: u32, body: &[u8]) -> Vec<u8> {
    let mut v = len.to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// A well-formed frame around `payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    raw_frame(payload.len() as u32, payload)
}

/// The encoded frame of `action` in `codec`.
pub fn action_frame(codec: Codec, action: &Action) -> Vec<u8> {
    let mut buf = [0u8; cuatro_proto::MAX_FRAME];
    let n = codec
        .encode_action(action, &mut buf)
        .expect("encoding an action");
    frame(&buf[..n])
}
