//! `cuatro serve`: the sans-IO core on the kernel's TCP stack.
//!
//! A thin driver: one thread per connection feeds [`Session::handle`] and
//! writes its replies. The same limits as the board: a fixed number of
//! sessions ("server full" beyond), an idle timeout.
//!
//! The CPU's search scratch ([`Search`], 2 KiB): the board shares one
//! between its sessions, because its poll loop runs one search at a time;
//! here sessions run in parallel on their threads, so each thread owns
//! its own (on the heap, dropped with the connection), and a `dificil`
//! search never waits for another.
//!
//! Player vs player (base + 3 classic, base + 4 compact): the threads share
//! one [`Matchmaker`] behind a mutex; a thread whose reply is held waits on
//! a condition variable (reading nothing more: pipelined actions wait in
//! the socket) until the opponent's move puts its reply in the outbox.

use cuatro_core::cpu::{Level, Search};
use cuatro_core::pvp::Matchmaker;
use cuatro_core::session::{self, Output, Session, REPLY_CAPACITY};
use cuatro_core::upload::{self, Storage, Upload, UploadOutput};
use cuatro_kit::DirStorage;
use cuatro_proto::Codec;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Settings of the std server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Classic on N, compact on N+1 (0: free ports).
    pub port_base: u16,
    /// Simultaneous sessions.
    pub sessions: usize,
    /// Idle timeout.
    pub idle_timeout: Duration,
    /// CPU seed.
    pub seed: u64,
    /// The CPU level of a `\juego_nuevo` without `nivel`.
    pub cpu_level: Level,
    /// Where uploads are stored.
    pub upload_dir: PathBuf,
    /// Largest upload accepted.
    pub upload_max: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            port_base: 8080,
            sessions: cuatro_core::server::SESSIONS,
            idle_timeout: Duration::from_secs(60),
            seed: 1,
            cpu_level: Level::Aleatorio,
            upload_dir: PathBuf::from(cuatro_kit::storage::DEFAULT_DIR),
            upload_max: cuatro_kit::storage::DEFAULT_MAX,
        }
    }
}

/// Bound listeners.
pub struct Serve {
    config: ServeConfig,
    listeners: Vec<(TcpListener, Codec)>,
    upload: TcpListener,
}

impl Serve {
    /// Binds 127.0.0.1 ports.
    pub fn bind(config: ServeConfig) -> io::Result<Serve> {
        let mut listeners = Vec::new();
        for (offset, codec) in [
            (0u16, Codec::Classic),
            (1, Codec::Compact),
            (3, Codec::Classic),
            (4, Codec::Compact),
        ] {
            let port = if config.port_base == 0 {
                0
            } else {
                config.port_base.saturating_add(offset)
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let l = TcpListener::bind(addr)
                .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
            listeners.push((l, codec));
        }
        let port = if config.port_base == 0 {
            0
        } else {
            config.port_base.saturating_add(2)
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let upload = TcpListener::bind(addr)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        Ok(Serve {
            config,
            listeners,
            upload,
        })
    }

    /// The `ready` line.
    pub fn ready_line(&self) -> String {
        let addr = |i: usize| self.listeners.get(i).and_then(|(l, _)| l.local_addr().ok());
        let show = |a: Option<SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
        format!(
            "ready classic={} compact={} upload={} pvp={} pvp_compact={}",
            show(addr(0)),
            show(addr(1)),
            show(self.upload.local_addr().ok()),
            show(addr(2)),
            show(addr(3)),
        )
    }

    /// Serves forever.
    pub fn run(self) -> io::Result<()> {
        let active = Arc::new(AtomicUsize::new(0));
        let seed = Arc::new(AtomicUsize::new(self.config.seed as usize));
        let mut threads = Vec::new();
        let upload_listener = self.upload;
        let mut storage = DirStorage::new(&self.config.upload_dir, self.config.upload_max);
        let idle = self.config.idle_timeout;
        threads.push(std::thread::spawn(move || {
            // One upload at a time, like the board; others wait in the backlog.
            for stream in upload_listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = receive_upload(stream, &mut storage, idle);
            }
        }));
        let pvp = Arc::new(Pvp::default());
        for (i, (listener, codec)) in self.listeners.into_iter().enumerate() {
            // Listeners 2 and 3: player vs player.
            let is_pvp = i >= 2;
            let pvp = pvp.clone();
            let active = active.clone();
            let seed = seed.clone();
            let config = self.config.clone();
            threads.push(std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let taken = active.fetch_add(1, Ordering::SeqCst);
                    if taken >= config.sessions {
                        active.fetch_sub(1, Ordering::SeqCst);
                        let _ = reject(stream, codec);
                        continue;
                    }
                    let s = seed.fetch_add(0x9E37_79B9, Ordering::SeqCst) as u64;
                    let active = active.clone();
                    let idle = config.idle_timeout;
                    let level = config.cpu_level;
                    let pvp = pvp.clone();
                    std::thread::spawn(move || {
                        if is_pvp {
                            let _ = serve_pvp(stream, codec, &pvp, idle);
                        } else {
                            let _ = serve_one(stream, codec, s, level, idle);
                        }
                        active.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            }));
        }
        for t in threads {
            let _ = t.join();
        }
        Ok(())
    }
}

fn reject(mut stream: TcpStream, codec: Codec) -> io::Result<()> {
    let mut out = [0u8; REPLY_CAPACITY];
    let n = session::server_full(codec, &mut out).map_err(|e| io::Error::other(e.to_string()))?;
    stream.write_all(out.get(..n).unwrap_or_default())?;
    stream.shutdown(std::net::Shutdown::Write)
}

/// Drives one session over a kernel TCP stream, its CPU at `level` by
/// default, with a search scratch of its own.
pub fn serve_one(
    mut stream: TcpStream,
    codec: Codec,
    seed: u64,
    level: Level,
    idle: Duration,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let mut session = Session::new(codec, seed, now_ms()).with_default_level(level);
    let mut search = Box::new(Search::new());
    let mut out = [0u8; REPLY_CAPACITY];
    greet(&mut session, &mut stream, &mut out)?;
    let mut buf = [0u8; 4096];
    loop {
        // The session says when it idles out (from its last whole frame:
        // bytes trickled in buy no time).
        wait_for(&stream, session.poll_timeout(core_duration(idle)), now_ms())?;
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) => return Err(e), // includes the idle timeout
        };
        let mut input = buf.get(..n).unwrap_or_default();
        // Answer every complete frame; coalesce the replies into one write.
        let mut pending = Vec::new();
        while !input.is_empty() {
            let (used, output) = session.handle(input, now_ms(), &mut out, &mut search);
            input = input.get(used..).unwrap_or_default();
            match output {
                Output::Nothing if used == 0 => break,
                Output::Nothing => {}
                Output::Reply { len, close } => {
                    pending.extend_from_slice(out.get(..len).unwrap_or_default());
                    if close {
                        stream.write_all(&pending)?;
                        return stream.shutdown(std::net::Shutdown::Write);
                    }
                }
                Output::Close => return Ok(()),
            }
        }
        stream.write_all(&pending)?;
    }
}

/// The matchmaker the player-vs-player threads share, the seats in use,
/// and the signal that some seat's reply may be ready.
#[derive(Default)]
struct Pvp {
    state: Mutex<PvpState>,
    changed: Condvar,
}

#[derive(Default)]
struct PvpState {
    matchmaker: Matchmaker,
    seats: std::collections::BTreeSet<u8>,
}

/// How often a thread waiting for its opponent checks that its own client
/// is still there.
const PVP_CHECK: Duration = Duration::from_millis(200);

/// Drives one player-vs-player session: a seat in the shared matchmaker
/// for the connection's life, its held replies waited for on the
/// condition variable.
fn serve_pvp(mut stream: TcpStream, codec: Codec, pvp: &Pvp, idle: Duration) -> io::Result<()> {
    let lock = || pvp.state.lock().unwrap_or_else(|e| e.into_inner());
    let seat = {
        let mut st = lock();
        let free = (0..=u8::MAX).find(|s| !st.seats.contains(s));
        let Some(seat) = free else {
            return reject(stream, codec);
        };
        st.seats.insert(seat);
        seat
    };
    let result = pvp_session(&mut stream, codec, pvp, seat, idle);
    let mut st = lock();
    st.matchmaker.leave(seat);
    st.seats.remove(&seat);
    drop(st);
    pvp.changed.notify_all();
    result
}

fn pvp_session(
    stream: &mut TcpStream,
    codec: Codec,
    pvp: &Pvp,
    seat: u8,
    idle: Duration,
) -> io::Result<()> {
    let lock = || pvp.state.lock().unwrap_or_else(|e| e.into_inner());
    stream.set_nodelay(true)?;
    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let mut session = Session::new(codec, 0, now_ms()).with_pvp();
    let mut out = [0u8; REPLY_CAPACITY];
    greet(&mut session, stream, &mut out)?;
    let mut buf = [0u8; 4096];
    loop {
        wait_for(stream, session.poll_timeout(core_duration(idle)), now_ms())?;
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) => return Err(e),
        };
        let mut input = buf.get(..n).unwrap_or_default();
        while !input.is_empty() {
            let (used, output) = {
                let mut st = lock();
                let r = session.handle_pvp(input, now_ms(), &mut out, seat, &mut st.matchmaker);
                drop(st);
                pvp.changed.notify_all();
                r
            };
            input = input.get(used..).unwrap_or_default();
            match output {
                Output::Nothing if used == 0 => break,
                Output::Nothing => {}
                Output::Reply { len, close } => {
                    stream.write_all(out.get(..len).unwrap_or_default())?;
                    if close {
                        return stream.shutdown(std::net::Shutdown::Write);
                    }
                    continue;
                }
                Output::Close => return Ok(()),
            }
            // A held reply: wait for the opponent (the rest of `input`,
            // and anything else the client sends, waits).
            let reply = loop {
                let mut st = lock();
                if !st.matchmaker.is_held(seat) {
                    break None;
                }
                if let Some(r) = st.matchmaker.take(seat) {
                    break Some(r);
                }
                let (guard, _) = pvp
                    .changed
                    .wait_timeout(st, PVP_CHECK)
                    .unwrap_or_else(|e| e.into_inner());
                drop(guard);
                // Our own client gone meanwhile: leave (the caller does).
                if client_gone(stream)? {
                    return Ok(());
                }
                session.touch(now_ms());
            };
            if let Some(reply) = reply {
                let n = session
                    .deliver(&reply, &mut out)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                stream.write_all(out.get(..n).unwrap_or_default())?;
                session.touch(now_ms());
                if !reply.continuar {
                    return stream.shutdown(std::net::Shutdown::Write);
                }
            }
        }
    }
}

/// Sends the session's greeting.
fn greet(session: &mut Session, stream: &mut TcpStream, out: &mut [u8]) -> io::Result<()> {
    let n = session
        .greet(out)
        .map_err(|e| io::Error::other(e.to_string()))?;
    stream.write_all(out.get(..n).unwrap_or_default())
}

/// Whether the client reset the connection (peeked without blocking
/// long). A client that only closed its sending half still gets its held
/// reply, as on the board.
fn client_gone(stream: &TcpStream) -> io::Result<bool> {
    stream.set_read_timeout(Some(Duration::from_millis(1)))?;
    let mut b = [0u8; 1];
    let gone = match stream.peek(&mut b) {
        Ok(_) => false,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            false
        }
        Err(_) => true,
    };
    Ok(gone)
}

/// Drives one upload over a kernel TCP stream into `storage`.
pub fn receive_upload<S: Storage>(
    mut stream: TcpStream,
    storage: &mut S,
    idle: Duration,
) -> io::Result<()> {
    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let mut up = Upload::new(now_ms());
    let mut out = [0u8; upload::REPLY_CAPACITY];
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let waited = wait_for(&stream, up.poll_timeout(core_duration(idle)), now_ms());
        let read = waited.and_then(|()| stream.read(&mut buf));
        let n = match read {
            Ok(0) => {
                up.fail(storage);
                return Ok(());
            }
            Ok(n) => n,
            Err(e) => {
                up.fail(storage); // reset or stalled past the idle timeout
                return Err(e);
            }
        };
        let mut input = buf.get(..n).unwrap_or_default();
        while !input.is_empty() {
            let (used, output) = up.handle(input, now_ms(), storage, &mut out);
            input = input.get(used..).unwrap_or_default();
            if let UploadOutput::Reply { len, .. } = output {
                stream.write_all(out.get(..len).unwrap_or_default())?;
                return stream.shutdown(std::net::Shutdown::Write);
            }
            if used == 0 {
                break;
            }
        }
    }
}

/// `idle` as the core's (smoltcp's) duration.
fn core_duration(idle: Duration) -> cuatro_core::server::Duration {
    cuatro_core::server::Duration::from_millis(u64::try_from(idle.as_millis()).unwrap_or(u64::MAX))
}

/// Sets the read timeout to what is left until `deadline_ms` (a sans-IO
/// machine's `poll_timeout`); past it, the timeout error.
fn wait_for(stream: &TcpStream, deadline_ms: Option<u64>, now_ms: u64) -> io::Result<()> {
    let Some(deadline) = deadline_ms else {
        return stream.set_read_timeout(None);
    };
    match deadline.checked_sub(now_ms).filter(|&left| left > 0) {
        Some(left) => stream.set_read_timeout(Some(Duration::from_millis(left))),
        None => Err(io::Error::new(io::ErrorKind::TimedOut, "idle timeout")),
    }
}
