//! `server`: the whole `Server` over an in-memory link (smoltcp's `iface`
//! fuzz harness is the model). A smoltcp client machine opens connections
//! and sends well-formed actions and arbitrary bytes; raw frames, and
//! mutations of the frames on the wire (checksums fixed or not), arrive
//! in between; time jumps.
//!
//! Invariants: no panic; when the input ends, the client hangs up and time
//! runs past every timeout, and then no connection is left on the server
//! (no session, no socket out of LISTEN/CLOSED); and a new client still
//! gets its greeting (nobody is locked out).

use crate::link::{Link, PORT_BASE};
use crate::upload::FaultyStorage;
use arbitrary::{Arbitrary, Unstructured};
use cuatro_core::server::ServerMemory;
use cuatro_proto::{classic, frame, Action, Codec, HEADER_LEN, MAX_FRAME};
use smoltcp::iface::SocketHandle;
use smoltcp::time::Duration;
use smoltcp::wire::{
    EthernetFrame, EthernetProtocol, IpAddress, IpProtocol, Ipv4Packet, TcpPacket,
};

/// Most operations taken from one input.
const MAX_OPS: usize = 48;
/// How long past the input's end every timeout has surely passed: the idle
/// timeout (60 s), the close linger (30 s), the answered half-open (30 s)
/// and smoltcp's retransmissions, with room.
const WIND_DOWN: Duration = Duration::from_secs(200);

#[derive(Debug, Arbitrary)]
enum Op {
    /// A client connects to one of the five ports (classic, compact,
    /// upload, player vs player classic and compact).
    Connect(u8),
    /// A client sends a well-formed action frame.
    Action { sock: u8, kind: u8 },
    /// A client sends arbitrary bytes.
    Bytes { sock: u8, bytes: Vec<u8> },
    /// A client closes (FIN) or aborts (RST).
    Close { sock: u8, abort: bool },
    /// An arbitrary frame arrives at the server.
    Raw(Vec<u8>),
    /// A frame seen on the wire arrives again, changed.
    Mutate {
        which: u8,
        at: Vec<(u16, u8)>,
        fix_checksums: bool,
    },
    /// Time passes.
    Wait(u16),
}

#[derive(Debug, Arbitrary)]
struct Scenario {
    seed: u64,
    ops: Vec<Op>,
}

/// Recomputes the IPv4 and TCP checksums of an Ethernet frame, when it
/// carries them, so that a mutation gets past them.
fn fix_checksums(frame: &mut [u8]) {
    let Ok(mut eth) = EthernetFrame::new_checked(&mut *frame) else {
        return;
    };
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return;
    }
    let Ok(mut ip) = Ipv4Packet::new_checked(eth.payload_mut()) else {
        return;
    };
    ip.fill_checksum();
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    if ip.next_header() == IpProtocol::Tcp {
        if let Ok(mut tcp) = TcpPacket::new_checked(ip.payload_mut()) {
            tcp.fill_checksum(&IpAddress::Ipv4(src), &IpAddress::Ipv4(dst));
        }
    }
}

fn action_frame(kind: u8) -> Vec<u8> {
    let action = match kind % 10 {
        0 => Action::NewGame,
        9 => Action::Quit,
        k => Action::Move(i64::from(k % 8)),
    };
    let mut buf = [0u8; HEADER_LEN + MAX_FRAME];
    let n = frame::encode_frame_with(&mut buf, |p| Codec::Classic.encode_action(&action, p))
        .expect("every action encodes");
    buf[..n].to_vec()
}

/// Runs `scenario`; returns the link and server state checks.
pub fn run(data: &[u8]) {
    let Ok(scenario) = Scenario::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut memory: Box<ServerMemory<'_>> = Box::new(ServerMemory::new());
    let mut link = Link::new(scenario.seed);
    let storage = FaultyStorage::new(4096);
    let mut server = link.server(&mut memory, storage, scenario.seed);
    let mut socks: Vec<SocketHandle> = Vec::new();
    let mut seen: Vec<Vec<u8>> = Vec::new();

    for op in scenario.ops.into_iter().take(MAX_OPS) {
        let pick =
            |socks: &[SocketHandle], i: u8| socks.get(usize::from(i) % socks.len().max(1)).copied();
        match op {
            Op::Connect(p) if socks.len() < 8 => {
                socks.push(link.connect(PORT_BASE + u16::from(p % 5)));
            }
            Op::Connect(_) => {}
            Op::Action { sock, kind } => {
                if let Some(h) = pick(&socks, sock) {
                    let _ = link.socket(h).send_slice(&action_frame(kind));
                }
            }
            Op::Bytes { sock, bytes } => {
                if let Some(h) = pick(&socks, sock) {
                    let _ = link.socket(h).send_slice(&bytes);
                }
            }
            Op::Close { sock, abort } => {
                if let Some(h) = pick(&socks, sock) {
                    if abort {
                        link.socket(h).abort();
                    } else {
                        link.socket(h).close();
                    }
                }
            }
            Op::Raw(frame) => link.inject(frame),
            Op::Mutate {
                which,
                at,
                fix_checksums: fix,
            } => {
                if let Some(base) = seen.get(usize::from(which) % seen.len().max(1)) {
                    let mut frame = base.clone();
                    for (pos, byte) in at.into_iter().take(8) {
                        if let Some(b) = frame.get_mut(usize::from(pos) % base.len().max(1)) {
                            *b = byte;
                        }
                    }
                    if fix {
                        fix_checksums(&mut frame);
                    }
                    link.inject(frame);
                }
            }
            Op::Wait(ms) => {
                link.advance(&mut server, Duration::from_millis(u64::from(ms) * 4));
                continue;
            }
        }
        // Keep a few of the client's frames to mutate later.
        for frame in link.to_server(4) {
            if seen.len() < 16 {
                seen.push(frame);
            }
        }
        link.settle(&mut server);
        // Replies are read as they come, so windows stay open.
        for &h in &socks {
            let socket = link.socket(h);
            while socket.can_recv() {
                if socket.recv(|b| (b.len(), ())).is_err() {
                    break;
                }
            }
        }
    }

    // The input is over: every client hangs up, time passes every timeout.
    for &h in &socks {
        link.socket(h).abort();
    }
    link.settle(&mut server);
    link.advance(&mut server, WIND_DOWN);
    let stats = server.stats();
    assert_eq!(
        stats.active, 0,
        "sessions left after every timeout: {stats:?}"
    );
    assert_eq!(
        server.connections(),
        0,
        "connections left after every timeout: {stats:?}"
    );

    // And the board still serves: a new client gets its greeting.
    let h = link.connect(PORT_BASE);
    link.advance(&mut server, Duration::from_secs(3));
    let mut got = Vec::new();
    let socket = link.socket(h);
    while socket.can_recv() {
        let _ = socket.recv(|b| {
            got.extend_from_slice(b);
            (b.len(), ())
        });
    }
    assert!(
        got.len() > HEADER_LEN,
        "no greeting after the fuzz input ({} bytes)",
        got.len()
    );
    classic::decode_reply(&got[HEADER_LEN..]).expect("the greeting decodes");
}

/// The target.
pub fn fuzz(data: &[u8]) {
    run(data);
}
