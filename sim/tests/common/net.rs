//! Real-network attack helpers (shared by `tap_attacks.rs` and
//! `relay_attacks.rs`): network namespaces with a TAP, threads that enter
//! them (`setns`), raw `AF_PACKET` and ICMP sockets, hand-built frames, a
//! `cuatro-sim` process, and a legitimate player that retries until it has
//! a game and says how long that took.
//!
//! Every address used here is 127.0.0.1 or inside a namespace the test
//! created; every loop and wait is bounded.

use cuatro_kit::{Received as Seen, Referee};
use cuatro_proto::frame::{encode_frame_with, FrameDecoder};
use cuatro_proto::{Action, Codec, MAX_FRAME};
use sim::impair::SplitMix64;
use std::ffi::CString;
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The board's address on the namespace's TAP (the simulator's default).
pub const BOARD_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
/// The namespace kernel's address on its TAP.
pub const HOST_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 100);
/// The TAP inside every test namespace.
pub const TAP: &str = "tap0";
/// A legitimate client retries a refused or "server full" connect this often.
pub const RETRY: Duration = Duration::from_millis(200);

// ---------------------------------------------------------------- skipping

/// `CUATRO_REQUIRE_TAP=1`: TAP tests must run.
pub fn tap_required() -> bool {
    std::env::var("CUATRO_REQUIRE_TAP").is_ok_and(|v| v == "1")
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Why the TAP tests cannot run here, if they cannot.
pub fn tap_unavailable() -> Option<String> {
    if !is_root() {
        return Some("not root".into());
    }
    if !Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun".into());
    }
    if run_bounded(Command::new("ip").arg("-V"), Duration::from_secs(5)).is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// Prints why `test` is skipped, or fails when TAP tests are required.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !tap_required(),
        "CUATRO_REQUIRE_TAP=1 but {test} cannot run: {reason}"
    );
    println!("skipping {test}: {reason}");
}

// ---------------------------------------------------------------- commands

/// Runs a command to completion, killing it after `limit`.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{desc}: {e}"))?;
    wait_bounded(&mut child, limit).map_err(|e| format!("{desc}: {e}"))
}

/// Waits for `child` (its output piped) and collects its output; kills it
/// after `limit`.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> Result<Output, String> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {limit:?}; killed"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    // Exited: its pipes hit EOF, so these reads end.
    let mut out = Vec::new();
    let mut err = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(Output {
        status,
        stdout: out,
        stderr: err,
    })
}

/// Runs `ip ARGS...` (bounded); its stdout, or its stderr as the error.
pub fn ip(args: &[&str]) -> Result<String, String> {
    let out = run_bounded(Command::new("ip").args(args), Duration::from_secs(10))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The path of the `cuatro-sim` binary cargo built for these tests.
pub fn sim_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cuatro-sim"))
}

/// A scratch directory for one test (removed on drop).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cuatro-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------- the simulator

/// A running `cuatro-sim` (killed on drop); its stderr goes to a file.
pub struct SimProcess {
    child: Child,
    /// The `ready` line it printed.
    pub ready: String,
    log: PathBuf,
}

impl SimProcess {
    /// Starts `cmd` (a `cuatro-sim` command line) and waits for its `ready` line.
    pub fn start(mut cmd: Command, log: PathBuf) -> Result<SimProcess, String> {
        let err = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("{cmd:?}: {e}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("no stdout".into());
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut sim = SimProcess {
            child,
            ready: String::new(),
            log,
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with("ready") => {
                    sim.ready = line;
                    return Ok(sim);
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(format!(
                        "cuatro-sim printed no ready line in 30 s: {}",
                        sim.log_tail()
                    ))
                }
            }
        }
    }

    /// `addr` from `key=addr` in the ready line.
    pub fn ready_addr(&self, key: &str) -> Option<SocketAddr> {
        self.ready
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|a| a.parse().ok())
    }

    /// The last lines of the simulator's stderr (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(20);
        lines.get(from..).unwrap_or_default().join("\n")
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cuatro-sim` in relay mode on free 127.0.0.1 ports (`--port-base 0`).
pub fn start_relay(scratch: &Scratch, extra: &[&str]) -> Result<(SimProcess, SocketAddr), String> {
    let mut cmd = Command::new(sim_exe());
    cmd.args(["--port-base", "0"])
        .arg("--upload-dir")
        .arg(scratch.0.join("up"))
        .args(extra);
    let sim = SimProcess::start(cmd, scratch.0.join("sim.stderr"))?;
    let addr = sim
        .ready_addr("classic")
        .ok_or_else(|| format!("no classic= in {:?}", sim.ready))?;
    Ok((sim, addr))
}

// ---------------------------------------------------------------- namespaces

/// A network namespace with `tap0` at 192.168.69.100/24, deleted on drop
/// (after the simulator in it, if any, is killed).
pub struct Netns {
    pub name: String,
    /// The simulator on `tap0`, once started.
    pub sim: Option<SimProcess>,
}

impl Netns {
    /// Creates `cuatro-<tag>-<pid>` with `tap0` up.
    pub fn create(tag: &str) -> Result<Netns, String> {
        let name = format!("cuatro-{tag}-{}", std::process::id());
        // A leftover from a crashed run with our pid: ours to remove.
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name])?;
        let ns = Netns { name, sim: None };
        let n = ns.name.as_str();
        ip(&["-n", n, "link", "set", "lo", "up"])?;
        ip(&["-n", n, "tuntap", "add", "dev", TAP, "mode", "tap"])?;
        ip(&["-n", n, "addr", "add", "192.168.69.100/24", "dev", TAP])?;
        ip(&["-n", n, "link", "set", TAP, "up"])?;
        Ok(ns)
    }

    /// `ip netns exec NAME program`
    pub fn exec(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }

    /// Starts `cuatro-sim --tap tap0` (plus `extra`) in the namespace.
    pub fn start_sim(&mut self, scratch: &Scratch, extra: &[&str]) -> Result<(), String> {
        let mut cmd = self.exec(&sim_exe());
        cmd.args(["--tap", TAP])
            .arg("--upload-dir")
            .arg(scratch.0.join("up"))
            .args(extra);
        self.sim = Some(SimProcess::start(cmd, scratch.0.join("sim.stderr"))?);
        Ok(())
    }

    /// The simulator's last stderr lines, and whether it still runs.
    pub fn sim_report(&mut self) -> String {
        match &mut self.sim {
            Some(s) => {
                let alive = s.alive();
                format!("simulator alive: {alive}; its stderr:\n{}", s.log_tail())
            }
            None => "no simulator".into(),
        }
    }

    /// The kernel's counters of `tap0` (`TX` is toward the simulator).
    pub fn tap_counters(&self) -> String {
        let out = ip(&["-s", "-n", &self.name, "link", "show", TAP]).unwrap_or_default();
        let lines: Vec<&str> = out.lines().map(str::trim).collect();
        let mut parts = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if l.starts_with("RX:") || l.starts_with("TX:") {
                let head = l.split_whitespace().skip(1);
                let vals = lines.get(i + 1).copied().unwrap_or("").split_whitespace();
                let kv: Vec<String> = head
                    .zip(vals)
                    .filter(|(k, _)| matches!(*k, "packets" | "dropped"))
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                parts.push(format!("{} {}", l.get(..2).unwrap_or(""), kv.join(" ")));
            }
        }
        format!("{TAP}: {}", parts.join("; "))
    }

    /// Runs `f` on a new thread inside the namespace: every socket it (and
    /// any thread it spawns) opens lives in the namespace.
    pub fn enter<T, F>(&self, f: F) -> JoinHandle<Result<T, String>>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, String> + Send + 'static,
    {
        let name = self.name.clone();
        std::thread::spawn(move || {
            enter_netns(&name)?;
            f()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.sim = None;
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Moves the calling thread into namespace `name`.
fn enter_netns(name: &str) -> Result<(), String> {
    let path = format!("/run/netns/{name}");
    let f = File::open(&path)
        .or_else(|_| File::open(format!("/var/run/netns/{name}")))
        .map_err(|e| format!("{path}: {e}"))?;
    // SAFETY: a plain system call on a descriptor we own for its duration.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(format!(
            "setns({path}): {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Joins a thread started by [`Netns::enter`] (or any `Result` thread).
pub fn join<T>(h: JoinHandle<Result<T, String>>) -> Result<T, String> {
    h.join()
        .unwrap_or_else(|_| Err("the thread panicked".into()))
}

// ---------------------------------------------------------------- raw sockets

fn last_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

fn set_rcv_timeout(fd: &OwnedFd, t: Duration) -> Result<(), String> {
    let tv = libc::timeval {
        tv_sec: t.as_secs() as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: `tv` is a valid timeval for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(last_err("SO_RCVTIMEO"));
    }
    Ok(())
}

/// An `AF_PACKET` socket on one interface of the calling thread's namespace.
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: i32,
}

/// `sll_pkttype` of a frame the kernel sent out of the interface (toward
/// the simulator, on a TAP).
pub const PACKET_OUTGOING: u8 = libc::PACKET_OUTGOING;

impl PacketSocket {
    fn open(iface: &str, protocol: u16) -> Result<PacketSocket, String> {
        let name = CString::new(iface).map_err(|e| e.to_string())?;
        // SAFETY: `name` is a NUL-terminated string.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if ifindex == 0 {
            return Err(last_err(&format!("if_nametoindex({iface})")));
        }
        // SAFETY: plain system call; the descriptor is owned below.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(protocol.to_be()),
            )
        };
        if raw < 0 {
            return Err(last_err("socket(AF_PACKET)"));
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let s = PacketSocket {
            fd,
            ifindex: ifindex as i32,
        };
        let sll = s.sockaddr(protocol);
        // SAFETY: `sll` is a valid sockaddr_ll of the size passed.
        let rc = unsafe {
            libc::bind(
                s.fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(last_err(&format!("bind(AF_PACKET, {iface})")));
        }
        Ok(s)
    }

    fn sockaddr(&self, protocol: u16) -> libc::sockaddr_ll {
        // SAFETY: sockaddr_ll is plain data; all zeros is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = protocol.to_be();
        sll.sll_ifindex = self.ifindex;
        sll
    }

    /// A socket that only sends (receives nothing).
    pub fn sender(iface: &str) -> Result<PacketSocket, String> {
        PacketSocket::open(iface, 0)
    }

    /// A socket that sees every frame on `iface`, both directions.
    pub fn sniffer(iface: &str, timeout: Duration) -> Result<PacketSocket, String> {
        let s = PacketSocket::open(iface, libc::ETH_P_ALL as u16)?;
        set_rcv_timeout(&s.fd, timeout)?;
        Ok(s)
    }

    /// Transmits one Ethernet frame (the simulator on the TAP receives it).
    pub fn send(&self, frame: &[u8]) -> Result<(), String> {
        let ethertype = frame
            .get(12..14)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .unwrap_or(0);
        let sll = self.sockaddr(ethertype);
        // SAFETY: `frame` and `sll` are valid for the call's duration.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(last_err("sendto(AF_PACKET)"));
        }
        Ok(())
    }

    /// The next frame and its `sll_pkttype`, or `None` after the timeout.
    pub fn recv(&self, buf: &mut [u8]) -> Result<Option<(usize, u8)>, String> {
        // SAFETY: sockaddr_ll is plain data; all zeros is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { zeroed() };
        let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf`, `sll` and `len` are valid for the call's duration.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut sll as *mut libc::sockaddr_ll).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.kind() {
                ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted => Ok(None),
                _ => Err(format!("recvfrom(AF_PACKET): {e}")),
            };
        }
        Ok(Some((n as usize, sll.sll_pkttype)))
    }
}

/// A raw ICMP socket (the kernel adds IP and Ethernet), as `ping` uses.
pub struct IcmpSocket {
    fd: OwnedFd,
}

impl IcmpSocket {
    pub fn open(timeout: Duration) -> Result<IcmpSocket, String> {
        // SAFETY: plain system call; the descriptor is owned below.
        let raw = unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::IPPROTO_ICMP,
            )
        };
        if raw < 0 {
            return Err(last_err("socket(AF_INET, SOCK_RAW, ICMP)"));
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        set_rcv_timeout(&fd, timeout)?;
        Ok(IcmpSocket { fd })
    }

    /// Sends one echo request to `dst`.
    pub fn send_echo(&self, dst: Ipv4Addr, id: u16, seq: u16) -> Result<(), String> {
        let packet = icmp_echo(id, seq);
        // SAFETY: sockaddr_in is plain data; all zeros is a valid value.
        let mut sin: libc::sockaddr_in = unsafe { zeroed() };
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr = libc::in_addr {
            s_addr: u32::from_ne_bytes(dst.octets()),
        };
        // SAFETY: `packet` and `sin` are valid for the call's duration.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&sin as *const libc::sockaddr_in).cast(),
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(last_err("sendto(ICMP)"));
        }
        Ok(())
    }

    /// The next echo reply `(id, seq)` from `from`, or `None` after the
    /// timeout. `wait` makes it block (up to the socket's timeout).
    pub fn recv_echo(&self, from: Ipv4Addr, wait: bool) -> Result<Option<(u16, u16)>, String> {
        let mut buf = [0u8; 1500];
        loop {
            let flags = if wait { 0 } else { libc::MSG_DONTWAIT };
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    flags,
                )
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                return match e.kind() {
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted => {
                        Ok(None)
                    }
                    _ => Err(format!("recv(ICMP): {e}")),
                };
            }
            let pkt = buf.get(..n as usize).unwrap_or_default();
            let ihl = usize::from(pkt.first().copied().unwrap_or(0) & 0x0f) * 4;
            let src = pkt
                .get(12..16)
                .map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]));
            let icmp = pkt.get(ihl..).unwrap_or_default();
            // Type 0: echo reply.
            if src == Some(from) && icmp.len() >= 8 && icmp.first() == Some(&0) {
                let id = u16::from_be_bytes([icmp[4], icmp[5]]);
                let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                return Ok(Some((id, seq)));
            }
        }
    }
}

// ---------------------------------------------------------------- frames

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// The Internet checksum over the concatenation of `parts`.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in part.iter() {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn icmp_echo(id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![8u8, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..56u8).map(|i| i.wrapping_mul(7)));
    let c = checksum(&[&p]);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// A TCP segment's fields, for [`tcp_frame`] and [`parse_tcp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp {
    pub eth_dst: [u8; 6],
    pub eth_src: [u8; 6],
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Payload length (parsed frames only; built frames carry none).
    pub len: usize,
}

/// An Ethernet + IPv4 + TCP frame without payload; a SYN carries an MSS option.
pub fn tcp_frame(t: &Tcp, ip_id: u16) -> Vec<u8> {
    let options: &[u8] = if t.flags & SYN != 0 {
        &[2, 4, 0x05, 0xb4] // MSS 1460
    } else {
        &[]
    };
    let tcp_len = 20 + options.len();
    let mut tcp = Vec::with_capacity(tcp_len);
    tcp.extend_from_slice(&t.sport.to_be_bytes());
    tcp.extend_from_slice(&t.dport.to_be_bytes());
    tcp.extend_from_slice(&t.seq.to_be_bytes());
    tcp.extend_from_slice(&t.ack.to_be_bytes());
    tcp.push(((tcp_len / 4) as u8) << 4);
    tcp.push(t.flags);
    tcp.extend_from_slice(&t.window.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend_from_slice(options);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&t.src.octets());
    pseudo.extend_from_slice(&t.dst.octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp_len as u16).to_be_bytes());
    let c = checksum(&[&pseudo, &tcp]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());

    let total = 20 + tcp_len;
    let mut ip = vec![0x45u8, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&ip_id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0, 64, 6, 0, 0]); // DF, TTL 64, TCP
    ip.extend_from_slice(&t.src.octets());
    ip.extend_from_slice(&t.dst.octets());
    let c = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());

    let mut frame = Vec::with_capacity(14 + total);
    frame.extend_from_slice(&t.eth_dst);
    frame.extend_from_slice(&t.eth_src);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&tcp);
    frame
}

/// Parses an Ethernet + IPv4 + TCP frame.
pub fn parse_tcp(frame: &[u8]) -> Option<Tcp> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if ip.get(9)? != &6 || ihl < 20 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let tcp = ip.get(ihl..total.max(ihl))?;
    let off = usize::from(tcp.get(12)? >> 4) * 4;
    let b = |r: std::ops::Range<usize>| tcp.get(r);
    let u16_at = |i: usize| b(i..i + 2).map(|x| u16::from_be_bytes([x[0], x[1]]));
    let u32_at = |i: usize| b(i..i + 4).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
    let mac = |i: usize| -> Option<[u8; 6]> { frame.get(i..i + 6)?.try_into().ok() };
    let addr = |i: usize| {
        ip.get(i..i + 4)
            .map(|x| Ipv4Addr::new(x[0], x[1], x[2], x[3]))
    };
    Some(Tcp {
        eth_dst: mac(0)?,
        eth_src: mac(6)?,
        src: addr(12)?,
        dst: addr(16)?,
        sport: u16_at(0)?,
        dport: u16_at(2)?,
        seq: u32_at(4)?,
        ack: u32_at(8)?,
        flags: *tcp.get(13)?,
        window: u16_at(14)?,
        len: tcp.len().checked_sub(off)?,
    })
}

/// A random address in 192.168.69.0/24 that nobody on the TAP has (not
/// the board's .1, not the kernel's .100, not .0 or .255).
pub fn spoofed_ip(rng: &mut SplitMix64) -> Ipv4Addr {
    loop {
        let last = 2 + rng.below(253) as u8; // 2..=254
        if last != 100 {
            return Ipv4Addr::new(192, 168, 69, last);
        }
    }
}

/// A random locally administered unicast MAC (nobody's).
pub fn spoofed_mac(rng: &mut SplitMix64) -> [u8; 6] {
    let r = rng.next_u64().to_be_bytes();
    [(r[0] & 0xfc) | 0x02, r[1], r[2], r[3], r[4], r[5]]
}

/// A SYN to the board's `port` from a spoofed source that never answers ARP.
pub fn spoofed_syn(rng: &mut SplitMix64, port: u16) -> Vec<u8> {
    let t = Tcp {
        eth_dst: sim::tap::TAP_MAC.0,
        eth_src: spoofed_mac(rng),
        src: spoofed_ip(rng),
        dst: BOARD_IP,
        sport: 1024 + rng.below(60000) as u16,
        dport: port,
        seq: rng.next_u64() as u32,
        ack: 0,
        flags: SYN,
        window: 64240,
        len: 0,
    };
    tcp_frame(&t, rng.next_u64() as u16)
}

/// Calls `send(i)` `rate` times a second, for `dur` or until `stop`;
/// returns how many were sent and over how long.
pub fn paced(
    rate: u32,
    dur: Duration,
    stop: &AtomicBool,
    mut send: impl FnMut(u64) -> Result<(), String>,
) -> Result<(u64, Duration), String> {
    let start = Instant::now();
    let mut sent = 0u64;
    while start.elapsed() < dur && !stop.load(Ordering::SeqCst) {
        let due = (start.elapsed().as_secs_f64() * f64::from(rate)) as u64;
        while sent < due {
            send(sent)?;
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok((sent, start.elapsed()))
}

// ---------------------------------------------------------------- players

/// A refereed game connection (classic JSON).
pub struct Conn {
    pub stream: TcpStream,
    dec: FrameDecoder<MAX_FRAME>,
    pending: Vec<u8>,
    pub referee: Referee,
    rng: SplitMix64,
}

impl Conn {
    fn new(stream: TcpStream, seed: u64) -> Conn {
        Conn {
            stream,
            dec: FrameDecoder::new(),
            pending: Vec::new(),
            referee: Referee::new(Codec::Classic),
            rng: SplitMix64::new(seed),
        }
    }

    /// The next reply frame, decoded (not refereed).
    pub fn read_seen(&mut self) -> Result<Seen, String> {
        loop {
            if !self.pending.is_empty() {
                let (used, got) = self.dec.feed(&self.pending);
                let done = match got {
                    Ok(Some(payload)) => {
                        Some(cuatro_kit::reply::decode_shown(Codec::Classic, payload)?)
                    }
                    Ok(None) => None,
                    Err(e) => return Err(format!("framing error {e:?}")),
                };
                self.pending.drain(..used);
                if let Some(seen) = done {
                    return Ok(seen);
                }
            }
            let mut buf = [0u8; 2048];
            let n = self
                .stream
                .read(&mut buf)
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("EOF".into());
            }
            self.pending
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
    }

    /// Sends `a` (the referee records it).
    pub fn send(&mut self, a: Action) -> Result<(), String> {
        let mut buf = [0u8; 64];
        let n = encode_frame_with(&mut buf, |p| Codec::Classic.encode_action(&a, p))
            .map_err(|e| format!("{e:?}"))?;
        self.stream
            .write_all(buf.get(..n).unwrap_or_default())
            .map_err(|e| format!("write: {e}"))?;
        self.referee.sent(a);
        Ok(())
    }

    /// Sends `a` and referees its reply.
    pub fn act(&mut self, a: Action) -> Result<Seen, String> {
        self.send(a)?;
        let seen = self.read_seen()?;
        self.referee.check(&seen)?;
        Ok(seen)
    }

    /// One legal move, refereed.
    pub fn play_move(&mut self) -> Result<Seen, String> {
        let legal = self.referee.legal_columns();
        let col = legal
            .get(self.rng.below(legal.len() as u64) as usize)
            .copied()
            .ok_or("no legal column")?;
        self.act(Action::Move(i64::from(col)))
    }

    /// `\salir`, then the server's close (EOF, nothing more).
    pub fn quit(mut self) -> Result<(), String> {
        let seen = self.act(Action::Quit)?;
        if seen.continuar {
            return Err("\\salir answered with continuar: true".into());
        }
        let mut rest = Vec::new();
        match self.stream.read_to_end(&mut rest) {
            Ok(_) if rest.is_empty() => Ok(()),
            Ok(_) => Err(format!("{} bytes after the last reply", rest.len())),
            Err(e) => Err(format!("waiting for EOF: {e}")),
        }
    }
}

/// A legitimate player who has a game (its `\juego_nuevo` answered).
pub struct Game {
    pub conn: Conn,
    /// From the first connect attempt to the `\juego_nuevo` reply.
    pub to_game: Duration,
    /// Connections tried.
    pub attempts: u32,
}

enum Attempt {
    Game(Box<Conn>),
    /// Try again (after a pause when `true`).
    Retry(String, bool),
    Fatal(String),
}

fn attempt(addr: SocketAddr, deadline: Instant, seed: u64) -> Attempt {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Attempt::Retry("out of time".into(), false);
    }
    let stream = match TcpStream::connect_timeout(&addr, left.min(Duration::from_secs(1))) {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
            return Attempt::Retry(format!("connect: {e}"), false)
        }
        Err(e) => return Attempt::Retry(format!("connect: {e}"), true),
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let _ = stream.set_nodelay(true);
    if let Err(e) = stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))) {
        return Attempt::Retry(format!("set_read_timeout: {e}"), true);
    }
    let mut conn = Conn::new(stream, seed);
    let first = match conn.read_seen() {
        Ok(s) => s,
        Err(e) => return Attempt::Retry(format!("no greeting: {e}"), true),
    };
    if let Some(err) = first.error {
        return Attempt::Retry(format!("refused with {}", err.code()), true);
    }
    if let Err(e) = conn.referee.check(&first) {
        return Attempt::Fatal(format!("bad greeting: {e}"));
    }
    if let Err(e) = conn.send(Action::NewGame) {
        return Attempt::Retry(format!("\\juego_nuevo: {e}"), true);
    }
    let reply = match conn.read_seen() {
        Ok(s) => s,
        Err(e) => return Attempt::Retry(format!("no \\juego_nuevo reply: {e}"), true),
    };
    if let Some(err) = reply.error {
        return Attempt::Retry(format!("\\juego_nuevo answered {}", err.code()), true);
    }
    match conn.referee.check(&reply) {
        Ok(()) => Attempt::Game(Box::new(conn)),
        Err(e) => Attempt::Fatal(format!("bad \\juego_nuevo reply: {e}")),
    }
}

/// Connects to `addr` until a game starts (greeting, then a `\juego_nuevo`
/// reply), retrying a refused or "server full" connection every
/// [`RETRY`]; gives up after `limit`.
pub fn get_game(addr: SocketAddr, limit: Duration, seed: u64) -> Result<Game, String> {
    let start = Instant::now();
    let deadline = start + limit;
    let mut attempts = 0u32;
    let mut last = String::from("no attempt");
    // Bounded by the deadline; the count bounds it too.
    while attempts < 10_000 && Instant::now() < deadline {
        attempts += 1;
        match attempt(addr, deadline, seed.wrapping_add(u64::from(attempts))) {
            Attempt::Game(conn) => {
                let to_game = start.elapsed();
                conn.stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .map_err(|e| e.to_string())?;
                return Ok(Game {
                    conn: *conn,
                    to_game,
                    attempts,
                });
            }
            Attempt::Fatal(e) => return Err(e),
            Attempt::Retry(why, pause) => {
                last = why;
                if pause {
                    let left = deadline.saturating_duration_since(Instant::now());
                    std::thread::sleep(RETRY.min(left));
                }
            }
        }
    }
    Err(format!(
        "no game within {:.1} s ({attempts} attempts; last: {last})",
        limit.as_secs_f64()
    ))
}

/// A short game: get one within `limit`, play `moves` moves, `\salir`.
/// Returns the time to the game.
pub fn short_game(
    addr: SocketAddr,
    limit: Duration,
    moves: usize,
    seed: u64,
) -> Result<Duration, String> {
    let mut g = get_game(addr, limit, seed)?;
    for i in 0..moves {
        let seen = g
            .conn
            .play_move()
            .map_err(|e| format!("move {i} (after a game in {:?}): {e}", g.to_game))?;
        if seen.error.is_some() || !seen.continuar {
            return Err(format!("move {i}: {seen:?}"));
        }
    }
    g.conn
        .quit()
        .map_err(|e| format!("\\salir (after a game in {:?}): {e}", g.to_game))?;
    Ok(g.to_game)
}

/// A connection that takes a session (its greeting arrives) and never sends.
pub fn silent_holder(addr: SocketAddr) -> Result<TcpStream, String> {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map_err(|e| format!("holder connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .map_err(|e| e.to_string())?;
    let mut c = Conn::new(s, 0);
    let first = c.read_seen().map_err(|e| format!("holder greeting: {e}"))?;
    if let Some(e) = first.error {
        return Err(format!("holder refused: {}", e.code()));
    }
    Ok(c.stream)
}

/// A connection that takes a session, then sends a `\juego_nuevo` frame one
/// byte every `every`, until stopped or the connection fails.
pub struct Trickler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<String>>,
}

impl Trickler {
    /// Connects (greeting received) and starts trickling, on a new thread
    /// (in the caller's namespace).
    pub fn start(addr: SocketAddr, every: Duration) -> Result<Trickler, String> {
        let mut s = silent_holder(addr)?;
        let mut frame = [0u8; 64];
        let n = encode_frame_with(&mut frame, |p| {
            Codec::Classic.encode_action(&Action::NewGame, p)
        })
        .map_err(|e| format!("{e:?}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut next = Instant::now();
            let mut sent = 0usize;
            // Bounded: one byte per period, at most the frame's length.
            while !flag.load(Ordering::SeqCst) && sent < n {
                if Instant::now() >= next {
                    let byte = frame.get(sent..=sent).unwrap_or_default();
                    if let Err(e) = s.write_all(byte) {
                        return format!("stopped after {sent} bytes: {e}");
                    }
                    sent += 1;
                    next += every;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = s.shutdown(Shutdown::Both);
            format!("sent {sent} of {n} bytes")
        });
        Ok(Trickler {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops it; says how far it got.
    pub fn stop(mut self) -> String {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Trickler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------- figures

/// `label: n=.. [each] max .. p99 ..` in seconds.
pub fn figures(label: &str, times: &[Duration]) -> String {
    let mut v: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    if v.is_empty() {
        return format!("{label}: no player got a game");
    }
    v.sort_by(f64::total_cmp);
    let max = v.last().copied().unwrap_or(f64::NAN);
    // Nearest rank.
    let rank = ((v.len() as f64) * 0.99).ceil() as usize;
    let p99 = v.get(rank.saturating_sub(1)).copied().unwrap_or(f64::NAN);
    let each: Vec<String> = v.iter().map(|t| format!("{t:.3}")).collect();
    format!(
        "{label}: n={} time to game [{}] s, max {max:.3} s, p99 {p99:.3} s",
        v.len(),
        each.join(", ")
    )
}

/// Prints the figures of `results`; returns the failures and the times.
pub fn report(label: &str, results: &[Result<Duration, String>]) -> (Vec<String>, Vec<Duration>) {
    let times: Vec<Duration> = results.iter().filter_map(|r| r.clone().ok()).collect();
    let fails: Vec<String> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("{label} client {i}: {e}")))
        .collect();
    println!("{}", figures(label, &times));
    for f in &fails {
        println!("  {f}");
    }
    (fails, times)
}

/// Failures for every time over `bound` (and every error).
pub fn over(label: &str, results: &[Result<Duration, String>], bound: Duration) -> Vec<String> {
    let (mut fails, _) = report(label, results);
    for (i, r) in results.iter().enumerate() {
        if let Ok(t) = r {
            if *t > bound {
                fails.push(format!(
                    "{label} client {i}: game after {:.3} s, more than {:.1} s",
                    t.as_secs_f64(),
                    bound.as_secs_f64()
                ));
            }
        }
    }
    fails
}
