//! `mdns`: the mDNS/DNS-SD responder fed arbitrary packets, from the mDNS
//! port or another, while probing and once ready.
//!
//! Input: one byte (bit 0: from port 5353 or a legacy resolver's; bit 1:
//! start ready or probing), then the packet.
//!
//! Invariants: no panic; every reply fits `MAX_PACKET`, is a DNS response
//! (QR and AA set) that a third-party parser (`dns-parser`) reads whole, and
//! names only the responder's own records; a legacy resolver's reply echoes
//! its id; the responder's name stays a valid label (`cuatro` or
//! `cuatro-N`) whatever conflicts it saw.

use cuatro_core::mdns::{Responder, MAX_PACKET, MDNS_PORT};

const IP: [u8; 4] = [10, 0, 2, 15];

/// Runs one input.
pub fn fuzz(data: &[u8]) {
    let Some((&mode, packet)) = data.split_first() else {
        return;
    };
    let src_port = if mode & 1 == 0 { MDNS_PORT } else { 40_000 };
    let mut r = Responder::new(b"cuatro", IP, 8080, 0);
    let mut out = [0u8; MAX_PACKET];
    let mut now = 0;
    if mode & 2 == 0 {
        // Past probing and announcing.
        while let Some(t) = r.poll_timeout() {
            now = now.max(t);
            let _ = r.poll(now, &mut out);
        }
    } else {
        let _ = r.poll(now, &mut out);
    }
    for _ in 0..2 {
        if let Some((n, _dest)) = r.handle(packet, src_port, now, &mut out) {
            assert!(n <= MAX_PACKET);
            check_reply(&out[..n], packet, src_port, r.name());
        }
        // The state machine's own packets stay well-formed too.
        now += 300;
        if let Some(n) = r.poll(now, &mut out) {
            let p = dns_parser::Packet::parse(&out[..n]).expect("own packet parses");
            let _ = p;
        }
    }
    let name = r.name();
    let valid = name == b"cuatro"
        || (name.len() == 8 && name.starts_with(b"cuatro-") && name[7].is_ascii_digit());
    assert!(valid, "name {:?}", String::from_utf8_lossy(name));
}

fn check_reply(reply: &[u8], query: &[u8], src_port: u16, name: &[u8]) {
    let p = dns_parser::Packet::parse(reply).expect("a reply parses");
    assert!(!p.header.query, "a reply is a response");
    assert!(p.header.authoritative);
    assert!(!p.answers.is_empty(), "a reply answers something");
    if src_port != MDNS_PORT {
        let id = u16::from_be_bytes([query[0], query[1]]);
        assert_eq!(p.header.id, id, "a legacy reply echoes the id");
    }
    let label = String::from_utf8_lossy(name).into_owned();
    let ours = [
        format!("{label}.local"),
        "_cuatro._tcp.local".to_owned(),
        format!("{label}._cuatro._tcp.local"),
        "_services._dns-sd._udp.local".to_owned(),
    ];
    for rr in p.answers.iter().chain(&p.additional) {
        let n = rr.name.to_string();
        assert!(ours.contains(&n), "a record for {n}");
    }
}
