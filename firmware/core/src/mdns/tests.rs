#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

//! The responder against a third-party DNS codec (`dns-parser`): its
//! queries built there, its answers parsed there.

use super::*;
use dns_parser::{Builder, Packet, QueryClass, QueryType, RData};
use std::net::Ipv4Addr;
use std::string::ToString;
use std::vec::Vec;

const IP: [u8; 4] = [192, 168, 7, 2];

/// A responder past probing and announcing.
fn ready() -> Responder {
    let mut r = Responder::new(b"cuatro", IP, 8080, 0);
    let mut out = [0u8; MAX_PACKET];
    let mut now = 0;
    while let Some(t) = r.poll_timeout() {
        now = now.max(t);
        r.poll(now, &mut out);
    }
    assert!(r.is_ready());
    r
}

fn query(name: &str, qtype: QueryType, unicast: bool) -> Vec<u8> {
    let mut b = Builder::new_query(0, false);
    b.add_question(name, unicast, qtype, QueryClass::IN);
    b.build().unwrap()
}

fn ask(r: &mut Responder, q: &[u8], src_port: u16) -> Option<(Vec<u8>, Dest)> {
    let mut out = [0u8; MAX_PACKET];
    r.handle(q, src_port, 10_000, &mut out)
        .map(|(n, d)| (out[..n].to_vec(), d))
}

#[test]
fn probes_then_announces_then_answers() {
    let mut r = Responder::new(b"cuatro", IP, 8080, 1000);
    let mut out = [0u8; MAX_PACKET];
    // Not ready while probing: queries go unanswered.
    assert!(ask(&mut r, &query("cuatro.local", QueryType::A, false), 5353).is_none());
    let mut times = Vec::new();
    let mut kinds = Vec::new();
    while let Some(t) = r.poll_timeout() {
        let n = r.poll(t, &mut out).unwrap();
        let p = Packet::parse(&out[..n]).unwrap();
        times.push(t);
        kinds.push(p.header.query);
        if p.header.query {
            // A probe: both names, type ANY, unicast wanted; our records
            // proposed in the authority section.
            assert_eq!(p.questions.len(), 2);
            assert!(p.questions.iter().all(|q| q.prefer_unicast));
            assert_eq!(p.nameservers.len(), 3);
        } else {
            assert_eq!(p.answers.len(), 4, "PTR, SRV, TXT, A");
        }
    }
    assert_eq!(kinds, [true, true, true, false, false]);
    assert_eq!(times, [1000, 1250, 1500, 1750, 2750]);
    assert!(r.is_ready());
}

#[test]
fn answers_the_host_name() {
    let mut r = ready();
    let (reply, dest) = ask(&mut r, &query("cuatro.local", QueryType::A, false), 5353).unwrap();
    assert_eq!(dest, Dest::Multicast);
    let p = Packet::parse(&reply).unwrap();
    assert!(!p.header.query);
    assert!(p.header.authoritative);
    assert_eq!(p.answers.len(), 1);
    assert_eq!(p.answers[0].name.to_string(), "cuatro.local");
    assert!(
        p.answers[0].multicast_unique,
        "cache-flush set on a unique record"
    );
    match p.answers[0].data {
        RData::A(a) => assert_eq!(a.0, Ipv4Addr::from(IP)),
        ref d => panic!("{d:?}"),
    }
    // Case does not matter; other names are not ours.
    assert!(ask(&mut r, &query("CUATRO.Local", QueryType::A, false), 5353).is_some());
    assert!(ask(&mut r, &query("other.local", QueryType::A, false), 5353).is_none());
    assert!(ask(&mut r, &query("cuatro.local", QueryType::MX, false), 5353).is_none());
}

#[test]
fn browsing_the_service_gets_ptr_srv_txt_and_a() {
    let mut r = ready();
    let (reply, _) = ask(
        &mut r,
        &query("_cuatro._tcp.local", QueryType::PTR, false),
        5353,
    )
    .unwrap();
    let p = Packet::parse(&reply).unwrap();
    assert_eq!(p.answers.len(), 1);
    match p.answers[0].data {
        RData::PTR(ref n) => assert_eq!(n.0.to_string(), "cuatro._cuatro._tcp.local"),
        ref d => panic!("{d:?}"),
    }
    let mut srv = None;
    let mut txt = Vec::new();
    let mut a = None;
    for rr in &p.additional {
        match rr.data {
            RData::SRV(ref s) => srv = Some((s.port, s.target.to_string())),
            RData::TXT(ref t) => {
                txt = t
                    .iter()
                    .map(|s| std::string::String::from_utf8(s.to_vec()).unwrap())
                    .collect()
            }
            RData::A(ref x) => a = Some(x.0),
            ref d => panic!("{d:?}"),
        }
    }
    assert_eq!(srv, Some((8080, "cuatro.local".into())));
    assert_eq!(
        txt,
        [
            "classic=8080",
            "compact=8081",
            "upload=8082",
            "pvp=8083",
            "pvp_compact=8084"
        ]
    );
    assert_eq!(a, Some(Ipv4Addr::from(IP)));
    // Service enumeration names the service type.
    let (reply, _) = ask(
        &mut r,
        &query("_services._dns-sd._udp.local", QueryType::PTR, false),
        5353,
    )
    .unwrap();
    let p = Packet::parse(&reply).unwrap();
    match p.answers[0].data {
        RData::PTR(ref n) => assert_eq!(n.0.to_string(), "_cuatro._tcp.local"),
        ref d => panic!("{d:?}"),
    }
}

#[test]
fn unicast_and_legacy_queries() {
    let mut r = ready();
    // QU: the answer goes back to the asker.
    let (_, dest) = ask(&mut r, &query("cuatro.local", QueryType::A, true), 5353).unwrap();
    assert_eq!(dest, Dest::Unicast);
    // A legacy resolver (not port 5353): its id and question echoed,
    // TTL at most 10 s, no cache-flush bit.
    let mut b = Builder::new_query(0x4242, false);
    b.add_question("cuatro.local", false, QueryType::A, QueryClass::IN);
    let q = b.build().unwrap();
    let (reply, dest) = ask(&mut r, &q, 40000).unwrap();
    assert_eq!(dest, Dest::Unicast);
    let p = Packet::parse(&reply).unwrap();
    assert_eq!(p.header.id, 0x4242);
    assert_eq!(p.questions.len(), 1);
    assert_eq!(p.questions[0].qname.to_string(), "cuatro.local");
    assert!(p.answers[0].ttl <= 10);
    assert!(!p.answers[0].multicast_unique);
}

#[test]
fn a_conflict_while_probing_renames() {
    let mut r = Responder::new(b"cuatro", IP, 8080, 0);
    let mut out = [0u8; MAX_PACKET];
    r.poll(0, &mut out).unwrap();
    // Someone answers for cuatro.local.
    let mut w = Writer::new(&mut out);
    for v in [0, FLAGS_RESPONSE, 0, 1, 0, 0] {
        w.u16(v).unwrap();
    }
    let at = w
        .record(&[b"cuatro", b"local"], TYPE_A, CLASS_IN | CLASS_TOP, 120)
        .unwrap();
    w.bytes(&[10, 0, 0, 9]).unwrap();
    w.end_rdata(at).unwrap();
    let n = w.len();
    let answer = out[..n].to_vec();
    let mut scratch = [0u8; MAX_PACKET];
    assert!(r.handle(&answer, 5353, 100, &mut scratch).is_none());
    assert_eq!(r.name(), b"cuatro-2");
    // It probes again under the new name, and then answers to it.
    let mut now = 100;
    while let Some(t) = r.poll_timeout() {
        now = now.max(t);
        r.poll(now, &mut scratch);
    }
    assert!(ask(&mut r, &query("cuatro-2.local", QueryType::A, false), 5353).is_some());
    assert!(ask(&mut r, &query("cuatro.local", QueryType::A, false), 5353).is_none());
}

#[test]
fn renames_stay_labels_then_it_gives_up() {
    let mut r = Responder::new(b"cuatro", IP, 8080, 0);
    let mut out = [0u8; MAX_PACKET];
    let mut names = Vec::new();
    for k in 0..12u64 {
        // Someone answers for whatever name it probes now.
        let label = r.name().to_vec();
        let mut w = Writer::new(&mut out);
        for v in [0, FLAGS_RESPONSE, 0, 1, 0, 0] {
            w.u16(v).unwrap();
        }
        let at = w
            .record(&[&label, b"local"], TYPE_A, CLASS_IN | CLASS_TOP, 120)
            .unwrap();
        w.bytes(&[10, 0, 0, 9]).unwrap();
        w.end_rdata(at).unwrap();
        let n = w.len();
        let packet = out[..n].to_vec();
        let mut scratch = [0u8; MAX_PACKET];
        r.poll(k * 1000, &mut scratch);
        let _ = r.handle(&packet, 5353, k * 1000 + 1, &mut scratch);
        names.push(std::string::String::from_utf8(r.name().to_vec()).unwrap());
    }
    for n in &names {
        assert!(
            n == "cuatro" || (n.len() == 8 && n.as_bytes()[7].is_ascii_digit()),
            "{names:?}"
        );
    }
    assert!(names.contains(&"cuatro-9".to_string()), "{names:?}");
    // Out of names: silent, never ready.
    assert_eq!(r.poll_timeout(), None);
    assert!(!r.is_ready());
}

#[test]
fn garbage_never_panics() {
    let mut r = ready();
    let mut out = [0u8; MAX_PACKET];
    // A pointer loop, a pointer forward, truncations of a real query.
    let mut looped = query("cuatro.local", QueryType::A, false);
    looped[12] = 0xc0;
    looped[13] = 12;
    assert!(r.handle(&looped, 5353, 0, &mut out).is_none());
    let q = query("_cuatro._tcp.local", QueryType::PTR, false);
    for n in 0..q.len() {
        let _ = r.handle(&q[..n], 5353, 0, &mut out);
    }
    let mut x: u64 = 7;
    for _ in 0..20_000 {
        let mut p = q.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % p.len() as u64) as usize;
            p[i] = (x >> 32) as u8;
        }
        let _ = r.handle(&p, 5353, 0, &mut out);
    }
}

#[test]
fn only_class_in_or_any_is_answered() {
    let mut r = ready();
    let mut q = query("cuatro.local", QueryType::A, false);
    let n = q.len();
    // The class is the last two bytes: CH (3), then ANY (255).
    q[n - 1] = 3;
    assert!(ask(&mut r, &q, 5353).is_none());
    assert!(ask(&mut r, &q, 40000).is_none(), "nothing to echo");
    q[n - 1] = 255;
    assert!(ask(&mut r, &q, 5353).is_some());
}

#[test]
fn memory_is_small() {
    assert!(core::mem::size_of::<Responder>() <= 100);
}

/// Another board's first probe for `name`, from `ip` (the responder's own
/// probe: SRV, TXT and A proposed in its authority section).
fn probe_from(name: &[u8], ip: [u8; 4]) -> Vec<u8> {
    let mut other = Responder::new(name, ip, 8080, 0);
    let mut out = [0u8; MAX_PACKET];
    let n = other.poll(0, &mut out).unwrap();
    out[..n].to_vec()
}

#[test]
fn simultaneous_probes_the_earlier_data_defers_a_second() {
    // RFC 6762 §8.2: two hosts probing for the same name at once compare
    // their proposed records; the one whose data is lexicographically
    // earlier waits one second and probes again (the other, having won,
    // then answers that probe, and the loser renames).
    let mut r = Responder::new(b"cuatro", IP, 8080, 1000);
    let mut out = [0u8; MAX_PACKET];
    r.poll(1000, &mut out).unwrap();
    assert_eq!(r.poll_timeout(), Some(1250));
    // Ours (192.168.7.2) is earlier than 192.168.7.3's: we defer.
    let later = probe_from(b"cuatro", [192, 168, 7, 3]);
    assert!(r.handle(&later, 5353, 1100, &mut out).is_none());
    assert_eq!(r.poll_timeout(), Some(2100), "probing restarts after 1 s");
    let mut times = Vec::new();
    while let Some(t) = r.poll_timeout() {
        r.poll(t, &mut out).unwrap();
        times.push(t);
    }
    assert_eq!(
        times,
        [2100, 2350, 2600, 2850, 3850],
        "3 probes, 2 announcements"
    );
    assert_eq!(r.name(), b"cuatro", "deferring is not renaming");

    // Ours is later than 192.168.7.1's: we carry on as if nothing came.
    let mut r = Responder::new(b"cuatro", IP, 8080, 1000);
    r.poll(1000, &mut out).unwrap();
    let earlier = probe_from(b"cuatro", [192, 168, 7, 1]);
    assert!(r.handle(&earlier, 5353, 1100, &mut out).is_none());
    assert_eq!(r.poll_timeout(), Some(1250));

    // A probe for another name, or one with our own address, is no tie.
    for other in [
        probe_from(b"tablero", [192, 168, 7, 3]),
        probe_from(b"cuatro", IP),
    ] {
        let mut r = Responder::new(b"cuatro", IP, 8080, 1000);
        r.poll(1000, &mut out).unwrap();
        assert!(r.handle(&other, 5353, 1100, &mut out).is_none());
        assert_eq!(r.poll_timeout(), Some(1250));
    }

    // Once ready, another's probe is a query like any other: answered.
    let mut r = ready();
    assert!(r.handle(&later, 5353, 10_000, &mut out).is_some());
    assert!(r.is_ready());
}

/// A DHCP lease after boot (the Nucleo's and the DHCP builds' case): the
/// new address is announced again, twice, 1 s apart (RFC 6762 §8.4), and
/// answered from then on; the same address again changes nothing.
#[test]
fn a_new_address_is_announced_and_answered() {
    const LEASE: [u8; 4] = [10, 0, 0, 57];
    let mut r = ready();
    r.set_ip(IP, 5_000);
    assert_eq!(r.poll_timeout(), None, "same address: nothing to say");
    r.set_ip(LEASE, 5_000);
    let mut out = [0u8; MAX_PACKET];
    let mut times = Vec::new();
    while let Some(t) = r.poll_timeout() {
        let n = r.poll(t, &mut out).unwrap();
        let p = Packet::parse(&out[..n]).unwrap();
        assert!(!p.header.query, "an announcement, not a probe");
        let a = p
            .answers
            .iter()
            .find_map(|rr| match rr.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .unwrap();
        assert_eq!(a, Ipv4Addr::from(LEASE));
        times.push(t);
    }
    assert_eq!(times, [5_000, 6_000]);
    let (reply, _) = ask(&mut r, &query("cuatro.local", QueryType::A, false), 5353).unwrap();
    match Packet::parse(&reply).unwrap().answers[0].data {
        RData::A(a) => assert_eq!(a.0, Ipv4Addr::from(LEASE)),
        ref d => panic!("{d:?}"),
    }
}

/// A response from another host holding `name` with one record: A `ip`, or
/// SRV to `name`.local port `port` when `port` is given; TTL `ttl`.
fn held(name: &[u8], ip: [u8; 4], port: Option<u16>, ttl: u32) -> Vec<u8> {
    let mut out = [0u8; MAX_PACKET];
    let mut w = Writer::new(&mut out);
    for v in [0, FLAGS_RESPONSE, 0, 1, 0, 0] {
        w.u16(v).unwrap();
    }
    match port {
        None => {
            let at = w
                .record(&[name, b"local"], TYPE_A, CLASS_IN | CLASS_TOP, ttl)
                .unwrap();
            w.bytes(&ip).unwrap();
            w.end_rdata(at).unwrap();
        }
        Some(port) => {
            let instance: [&[u8]; 4] = [name, b"_cuatro", b"_tcp", b"local"];
            let at = w
                .record(&instance, TYPE_SRV, CLASS_IN | CLASS_TOP, ttl)
                .unwrap();
            for v in [0, 0, port] {
                w.u16(v).unwrap();
            }
            w.name(&[name, b"local"]).unwrap();
            w.end_rdata(at).unwrap();
        }
    }
    let n = w.len();
    out[..n].to_vec()
}

/// Runs the responder's schedule from `now` until it is idle; the time then.
fn settle(r: &mut Responder, mut now: u64) -> u64 {
    let mut out = [0u8; MAX_PACKET];
    while let Some(t) = r.poll_timeout() {
        now = now.max(t);
        r.poll(now, &mut out);
    }
    now
}

#[test]
fn a_conflict_after_announcing_probes_again_then_renames() {
    // RFC 6762 §9: another host announces cuatro.local with its address
    // after we claimed it (a link joined, a board that was off).
    let mut r = ready();
    let mut out = [0u8; MAX_PACKET];
    let theirs = held(b"cuatro", [10, 0, 0, 9], None, 120);
    assert!(r.handle(&theirs, 5353, 20_000, &mut out).is_none());
    assert!(!r.is_ready(), "back to probing");
    assert_eq!(r.poll_timeout(), Some(20_000), "at once");
    let n = r.poll(20_000, &mut out).unwrap();
    assert!(Packet::parse(&out[..n]).unwrap().header.query, "a probe");
    assert_eq!(r.name(), b"cuatro", "the same name, probed again");
    // Its holder defends it: the next name.
    r.handle(&theirs, 5353, 20_010, &mut out);
    assert_eq!(r.name(), b"cuatro-2");
    settle(&mut r, 20_010);
    assert!(r.is_ready());
    assert!(ask(&mut r, &query("cuatro-2.local", QueryType::A, false), 5353).is_some());
}

#[test]
fn an_undefended_conflict_keeps_the_name() {
    let mut r = ready();
    let mut out = [0u8; MAX_PACKET];
    r.handle(
        &held(b"cuatro", [10, 0, 0, 9], None, 120),
        5353,
        20_000,
        &mut out,
    );
    assert!(!r.is_ready());
    // Nobody answers the probes: the name is ours again, announced anew.
    settle(&mut r, 20_000);
    assert!(r.is_ready());
    assert_eq!(r.name(), b"cuatro");
}

#[test]
fn what_is_not_a_conflict_after_announcing() {
    let mut r = ready();
    let mut out = [0u8; MAX_PACKET];
    let not_conflicts = [
        // Our own records (a second responder for this host, a reflector).
        held(b"cuatro", IP, None, 120),
        held(b"cuatro", IP, Some(8080), 120),
        // A goodbye (TTL 0) for another address.
        held(b"cuatro", [10, 0, 0, 9], None, 0),
        // Someone else's name.
        held(b"cuatro-2", [10, 0, 0, 9], None, 120),
        held(b"other", [10, 0, 0, 9], Some(9000), 120),
    ];
    for p in &not_conflicts {
        assert!(r.handle(p, 5353, 20_000, &mut out).is_none());
        assert!(r.is_ready(), "{p:?}");
        assert_eq!(r.poll_timeout(), None);
    }
    // Our instance name on another port, or pointing at another host: a
    // conflict, as is another address while announcing a new lease.
    let conflicts = [held(b"cuatro", IP, Some(9000), 120), {
        let mut p = held(b"cuatro", IP, Some(8080), 120);
        // The SRV target's label: "cuatro" → "cuatrx" (a host of its own).
        let n = p.len();
        p[n - 9] = b'x';
        p
    }];
    for p in &conflicts {
        let mut r = ready();
        r.handle(p, 5353, 20_000, &mut out);
        assert!(!r.is_ready(), "{p:?}");
    }
    let mut r = ready();
    r.set_ip([192, 168, 7, 50], 20_000);
    assert!(r.is_ready(), "announcing");
    r.handle(&held(b"cuatro", IP, None, 120), 5353, 20_001, &mut out);
    assert!(!r.is_ready(), "our old address is someone else's now");
}
