//! A session on a codec left out of the build (cargo feature `classic` or
//! `compact` off) says nothing and closes; one on a built codec greets.
//!
//! Holds for every feature set: with the default features it checks that
//! both codecs greet; run it as
//! `cargo test -p cuatro-core --no-default-features --features compact --test codecs`
//! (or `--features classic`) to exercise the disabled side.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use cuatro_core::cpu::Search;
use cuatro_core::session::{reply_bound, Output, Session, MAX_REPLY_PAYLOAD, REPLY_CAPACITY};
use cuatro_core::{Config, Server, ServerMemory};
use cuatro_proto::{frame, Codec, Error, HEADER_LEN, MAX_FRAME};
use link::Machine;
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr};

const CODECS: [Codec; 2] = [Codec::Classic, Codec::Compact];

#[test]
fn greeting_only_on_built_codecs() {
    for codec in CODECS {
        let mut s = Session::new(codec, 1, 0);
        let mut out = [0u8; REPLY_CAPACITY];
        let greeting = s.greet(&mut out);
        if codec.is_enabled() {
            let n = greeting.unwrap();
            assert!(n > HEADER_LEN && n <= reply_bound(codec), "{codec:?}: {n}");
            assert!(!s.is_closed());
        } else {
            assert_eq!(greeting, Err(Error::CodecDisabled), "{codec:?}");
            assert!(s.is_closed(), "{codec:?}: session left open");
        }
    }
}

/// Even fed bytes (a driver that ignores the failed greeting), a session on
/// a disabled codec never writes a reply: it closes.
#[test]
fn disabled_codec_closes_on_input() {
    for codec in CODECS.into_iter().filter(|c| !c.is_enabled()) {
        let mut s = Session::new(codec, 1, 0);
        let mut out = [0u8; REPLY_CAPACITY];
        let mut input = [0u8; 16];
        let n = frame::encode_frame(b"\x00", &mut input).unwrap();
        let (consumed, output) = s.handle(&input[..n], 0, &mut out, &mut Search::new());
        assert_eq!((consumed, output), (n, Output::Close), "{codec:?}");
        assert!(s.is_closed());
        assert_eq!(
            s.handle(&input[..n], 0, &mut out, &mut Search::new()),
            (0, Output::Nothing)
        );
    }
}

/// The reply bounds stay sized whichever codecs are built.
#[test]
fn reply_bounds_fit() {
    for codec in CODECS {
        assert!(reply_bound(codec) <= REPLY_CAPACITY);
        assert!(reply_bound(codec) <= HEADER_LEN + MAX_FRAME);
    }
    assert_eq!(REPLY_CAPACITY, HEADER_LEN + MAX_REPLY_PAYLOAD);
}

// --- The smoltcp server, over an in-memory Ethernet link -------------------

/// The in-memory link and smoltcp machine of the simulator and the fuzz
/// harness (`cuatro_kit::link`), compiled as a module of this test: a
/// dev-dependency on `cuatro-kit` would build cuatro-core with its default
/// codecs, and this test runs without them.
#[allow(dead_code)]
#[path = "../../../kit/src/link.rs"]
mod link;

const SERVER_IP: Ipv4Address = Ipv4Address::new(192, 168, 69, 1);
const CLIENT_IP: Ipv4Address = Ipv4Address::new(192, 168, 69, 2);
const PORT_BASE: u16 = 8080;

/// What a client connecting to `port` gets before the server is done with it.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The first bytes the server sent (its greeting frame).
    Greeted(Vec<u8>),
    /// The connection ended (reset) with nothing received.
    ClosedSilently,
}

fn connect(port: u16) -> Outcome {
    let (mut board_nic, mut client_nic) = link::pair();
    let memory: &'static mut ServerMemory<'static> = Box::leak(Box::default());
    let config = Config::new(
        EthernetAddress([0x02, 0, 0, 0, 0, 1]),
        Ipv4Cidr::new(SERVER_IP, 24),
    );
    let mut now = Instant::from_millis(0);
    let mut server = Server::new(config, &mut board_nic, memory, now).unwrap();

    let client_mac = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
    let client_ip = IpCidr::new(CLIENT_IP.into(), 24);
    let mut client = Machine::new(&mut client_nic, client_mac, client_ip, 0, now);
    let handle = client
        .connect((IpAddress::from(SERVER_IP), port), 2048, 2048)
        .unwrap();

    let mut established = false;
    let mut received = Vec::new();
    for _ in 0..2_000 {
        server.poll(now, &mut board_nic);
        client.poll(now, &mut client_nic);
        let socket = client.socket(handle);
        established |= socket.state() == tcp::State::Established;
        if socket.can_recv() {
            socket
                .recv(|b| {
                    received.extend_from_slice(b);
                    (b.len(), ())
                })
                .unwrap();
        }
        if received.len() >= HEADER_LEN {
            return Outcome::Greeted(received);
        }
        if socket.state() == tcp::State::Closed {
            assert!(established, "port {port}: never connected");
            return Outcome::ClosedSilently;
        }
        now += Duration::from_millis(5);
    }
    panic!("port {port}: neither greeted nor closed in 10 s");
}

/// On the smoltcp server, a built codec's port greets; a left-out codec's
/// port accepts the connection and resets it at once, sending nothing.
#[test]
fn server_resets_connections_to_a_left_out_codec() {
    for (codec, port) in [(Codec::Classic, PORT_BASE), (Codec::Compact, PORT_BASE + 1)] {
        match connect(port) {
            Outcome::Greeted(bytes) => {
                assert!(codec.is_enabled(), "{codec:?}: greeted by a disabled codec");
                let len = u32::from_be_bytes(bytes[..HEADER_LEN].try_into().unwrap());
                assert!(
                    len as usize <= codec.max_reply_payload(),
                    "{codec:?}: {len}"
                );
            }
            Outcome::ClosedSilently => {
                assert!(!codec.is_enabled(), "{codec:?}: built, yet closed unheard")
            }
        }
    }
}
