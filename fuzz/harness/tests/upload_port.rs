//! The upload port has one socket. A client that connects while it is
//! still closing the previous upload must be served once it is free, not
//! reset (found on the QEMU board: a 1-byte upload right after a 0-byte
//! one was reset about half the time).

use cuatro_core::server::ServerMemory;
use cuatro_fuzz::link::{Link, PORT_BASE};
use cuatro_fuzz::upload::FaultyStorage;
use smoltcp::socket::tcp::State;
use smoltcp::time::Duration;

const UPLOAD_PORT: u16 = PORT_BASE + 2;

fn read_all(link: &mut Link, h: smoltcp::iface::SocketHandle, into: &mut Vec<u8>) {
    let socket = link.socket(h);
    while socket.can_recv() {
        let _ = socket.recv(|b| {
            into.extend_from_slice(b);
            (b.len(), ())
        });
    }
}

#[test]
fn a_client_connecting_while_the_last_upload_closes_is_served() {
    // Each delay is when the second client's SYN leaves, counted from the
    // moment the first client has its whole reply: the closing handshake
    // of the first connection is under way at each of them.
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 20] {
        let mut memory: Box<ServerMemory<'_>> = Box::new(ServerMemory::new());
        let mut link = Link::new(7);
        let mut server = link.server(&mut memory, FaultyStorage::new(1 << 16), 7);

        let first = link.connect(UPLOAD_PORT);
        link.advance(&mut server, Duration::from_millis(50));
        let _ = link.socket(first).send_slice(&0u32.to_be_bytes());
        let mut reply = Vec::new();
        for _ in 0..200 {
            link.advance(&mut server, Duration::from_millis(1));
            read_all(&mut link, first, &mut reply);
            if reply == b"Gracias" && !link.socket(first).may_recv() {
                break;
            }
        }
        assert_eq!(reply, b"Gracias", "first upload");
        link.socket(first).close();
        if delay_ms > 0 {
            // (With none, the first client's FIN and the second's SYN
            // leave together and reach the board in one batch.)
            link.advance(&mut server, Duration::from_millis(delay_ms));
        }

        let second = link.connect(UPLOAD_PORT);
        let mut data = 1u32.to_be_bytes().to_vec();
        data.push(0x42);
        let mut sent = false;
        let mut reply = Vec::new();
        let mut reset = false;
        for _ in 0..3000 {
            link.advance(&mut server, Duration::from_millis(1));
            let socket = link.socket(second);
            if !sent && socket.may_send() {
                sent = socket.send_slice(&data).is_ok();
            }
            if socket.state() == State::Closed && reply.is_empty() {
                reset = true;
                break;
            }
            read_all(&mut link, second, &mut reply);
            if reply == b"Gracias" {
                break;
            }
        }
        assert!(!reset, "delay {delay_ms} ms: the second upload's connection was reset");
        assert_eq!(reply, b"Gracias", "delay {delay_ms} ms: second upload");
        assert_eq!(server.storage().files.len(), 2, "delay {delay_ms} ms");
    }
}
