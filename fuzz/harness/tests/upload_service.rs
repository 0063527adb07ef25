//! The upload service through the whole server, on the in-memory link.

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

/// The upload port has one socket. A client that connects while it is
/// still closing the previous upload must be served once it is free, not
/// reset (found on the QEMU board: a 1-byte upload right after a 0-byte
/// one was reset in 2 of 3 runs).
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
        assert!(
            !reset,
            "delay {delay_ms} ms: the second upload's connection was reset"
        );
        assert_eq!(reply, b"Gracias", "delay {delay_ms} ms: second upload");
        assert_eq!(server.storage().files.len(), 2, "delay {delay_ms} ms");
    }
}

/// Sends `data` as one upload (header, then the bytes in 100-byte writes)
/// and returns the reply, read until the server closes.
fn upload(
    link: &mut Link,
    server: &mut cuatro_core::Server<'_, FaultyStorage>,
    data: &[u8],
) -> Vec<u8> {
    let h = link.connect(UPLOAD_PORT);
    let mut stream = (data.len() as u32).to_be_bytes().to_vec();
    stream.extend_from_slice(data);
    let mut offset = 0;
    let mut reply = Vec::new();
    for _ in 0..5000 {
        link.advance(server, Duration::from_millis(1));
        let socket = link.socket(h);
        if offset < stream.len() && socket.may_send() {
            let end = (offset + 100).min(stream.len());
            offset += socket.send_slice(&stream[offset..end]).unwrap_or(0);
        }
        read_all(link, h, &mut reply);
        let socket = link.socket(h);
        if !socket.may_recv()
            && matches!(
                socket.state(),
                State::CloseWait | State::Closed | State::TimeWait | State::LastAck
            )
        {
            break;
        }
    }
    link.socket(h).close();
    link.advance(server, Duration::from_millis(100));
    reply
}

/// A storage failure after part of the file was written is a failed
/// upload: counted in `uploads_failed`, not `uploads` (the server used to
/// decide from "some bytes were stored").
#[test]
fn a_storage_failure_after_some_data_counts_as_failed() {
    let mut memory: Box<ServerMemory<'_>> = Box::new(ServerMemory::new());
    let mut link = Link::new(11);
    let mut storage = FaultyStorage::new(1 << 16);
    storage.fail_write = Some(2);
    let mut server = link.server(&mut memory, storage, 11);
    let reply = upload(&mut link, &mut server, &[7u8; 2000]);
    assert!(
        reply.starts_with(b"Error:"),
        "reply {:?}",
        String::from_utf8_lossy(&reply)
    );
    let stats = server.stats();
    assert_eq!((stats.uploads, stats.uploads_failed), (0, 1), "{stats:?}");
    assert!(server.storage().files.is_empty());

    // And one that succeeds is counted as stored.
    server.storage_mut().fail_write = None;
    assert_eq!(upload(&mut link, &mut server, &[8u8; 300]), b"Gracias");
    let stats = server.stats();
    assert_eq!((stats.uploads, stats.uploads_failed), (1, 1), "{stats:?}");
}

/// A file larger than the storage is refused before any byte is taken:
/// counted as refused, neither stored nor failed (it never started).
#[test]
fn a_refused_upload_counts_as_neither() {
    let mut memory: Box<ServerMemory<'_>> = Box::new(ServerMemory::new());
    let mut link = Link::new(12);
    let mut server = link.server(&mut memory, FaultyStorage::new(100), 12);
    let reply = upload(&mut link, &mut server, &[1u8; 101]);
    assert!(
        reply.starts_with(b"Error: archivo demasiado grande"),
        "reply {:?}",
        String::from_utf8_lossy(&reply)
    );
    let stats = server.stats();
    let counts = (stats.uploads, stats.uploads_failed, stats.uploads_refused);
    assert_eq!(counts, (0, 0, 1), "{stats:?}");
}
