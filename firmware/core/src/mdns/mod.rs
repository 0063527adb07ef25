//! mDNS (RFC 6762) and DNS-SD (RFC 6763) responder, sans-IO: the board is
//! `<name>.local` and offers `<name>._cuatro._tcp.local` (SPEC.md,
//! "Discovery"), whose TXT record lists the ports.
//!
//! [`Responder`] takes packets received on UDP port [`MDNS_PORT`] and
//! returns the answer to send (to the group [`MDNS_GROUP`], or straight back
//! to the asker when it wants a unicast reply or is not an mDNS port), and
//! makes its own packets on a schedule ([`Responder::poll`],
//! [`Responder::poll_timeout`]): three probes 250 ms apart for the two
//! unique names, then two announcements a second apart (RFC 6762 §8). A
//! probe answered by someone else already holding a name is a conflict: the
//! responder takes the next name (`cuatro-2`, `cuatro-3`, …) and probes
//! again. Once claimed, a response from another host with other data for
//! our names (§9) sends the responder back to probing the same name.
//!
//! Records: `<name>.local` A; `_cuatro._tcp.local` PTR →
//! `<name>._cuatro._tcp.local`; that instance's SRV (the classic port,
//! target `<name>.local`) and TXT (`classic=… compact=… upload=… pvp=…
//! pvp_compact=…`); and `_services._dns-sd._udp.local` PTR →
//! `_cuatro._tcp.local` for service enumeration. Memory: the responder is
//! its name and a few counters ([`size_of::<Responder>()`], under 100 B);
//! replies are built in the caller's buffer of [`MAX_PACKET`] bytes.

pub mod wire;

use cuatro_proto::{decimal, U64_DIGITS};
use wire::*;

/// UDP datagrams the responder's socket queues each way.
pub const MDNS_PACKETS: usize = 4;
/// Bytes of received datagrams queued (a query longer than this is dropped
/// by the socket: a long known-answer list, answered by the next query).
pub const MDNS_BUFFER: usize = 1024;
/// Bytes of datagrams queued to send: one whole reply ([`MAX_PACKET`]);
/// the server takes the next query only when the reply to it fits.
pub const MDNS_TX_BUFFER: usize = MAX_PACKET;

/// The responder's UDP socket buffers, part of the server's memory.
#[cfg(feature = "mdns")]
pub struct MdnsMemory {
    pub(crate) rx_meta: [smoltcp::socket::udp::PacketMetadata; MDNS_PACKETS],
    pub(crate) rx: [u8; MDNS_BUFFER],
    pub(crate) tx_meta: [smoltcp::socket::udp::PacketMetadata; MDNS_PACKETS],
    pub(crate) tx: [u8; MDNS_TX_BUFFER],
}

/// Nothing: a build without the `mdns` feature.
#[cfg(not(feature = "mdns"))]
pub struct MdnsMemory;

impl MdnsMemory {
    /// Empty buffers.
    pub const fn new() -> Self {
        #[cfg(feature = "mdns")]
        {
            use smoltcp::socket::udp::PacketMetadata;
            MdnsMemory {
                rx_meta: [PacketMetadata::EMPTY; MDNS_PACKETS],
                rx: [0; MDNS_BUFFER],
                tx_meta: [PacketMetadata::EMPTY; MDNS_PACKETS],
                tx: [0; MDNS_TX_BUFFER],
            }
        }
        #[cfg(not(feature = "mdns"))]
        MdnsMemory
    }
}

impl Default for MdnsMemory {
    fn default() -> Self {
        MdnsMemory::new()
    }
}

/// The mDNS UDP port.
pub const MDNS_PORT: u16 = 5353;
/// The mDNS IPv4 group, 224.0.0.251.
pub const MDNS_GROUP: [u8; 4] = [224, 0, 0, 251];
/// The Ethernet address frames to [`MDNS_GROUP`] are sent to
/// (01:00:5e + the group's low 23 bits): the one a board's NIC filter must
/// let through.
pub const MDNS_MAC: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
/// The largest packet the responder writes (its replies are under 400 B);
/// received packets may be longer (they are read in place).
pub const MAX_PACKET: usize = 512;
/// The longest host label: the configured name and a `-N` suffix.
pub const MAX_LABEL: usize = 24;
/// Questions read from one packet, at most.
const MAX_QUESTIONS: u16 = 16;
/// Records looked at in one packet (answers and authority, for conflicts).
const MAX_RECORDS: u16 = 32;
/// TTL of the records naming the host (A, SRV): RFC 6762 §10's 120 s.
const TTL_HOST: u32 = 120;
/// TTL of the others (PTR, TXT): 75 minutes.
const TTL_OTHER: u32 = 4500;
/// TTL in answers to a legacy (non-5353) query: RFC 6762 §6.7, at most 10 s.
const TTL_LEGACY: u32 = 10;
/// Probes sent, and their spacing (RFC 6762 §8.1).
const PROBES: u8 = 3;
const PROBE_MS: u64 = 250;
/// Announcements, and their spacing (§8.3).
const ANNOUNCEMENTS: u8 = 2;
const ANNOUNCE_MS: u64 = 1000;
/// How long a prober that lost a simultaneous-probe tiebreak waits before
/// probing again (§8.2).
const TIEBREAK_DEFER_MS: u64 = 1000;
/// Renames tried after conflicts before the responder gives up (and stays
/// silent).
/// `cuatro-2` to `cuatro-9`: one digit.
const MAX_RENAMES: u8 = 8;

const LOCAL: &[u8] = b"local";
const SERVICE: [&[u8]; 3] = [b"_cuatro", b"_tcp", LOCAL];
const ENUMERATION: [&[u8]; 4] = [b"_services", b"_dns-sd", b"_udp", LOCAL];

/// Where a reply goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// To the group, port 5353.
    Multicast,
    /// Back to the sender's address and port.
    Unicast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `sent` probes out; the next at `next_ms`.
    Probing { sent: u8, next_ms: u64 },
    /// `sent` announcements out; the next at `next_ms`.
    Announcing { sent: u8, next_ms: u64 },
    /// Answering queries.
    Ready,
    /// Every name tried was taken.
    GaveUp,
}

/// The responder's records, and where it is in claiming them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responder {
    /// The configured name (without a suffix).
    base: [u8; MAX_LABEL],
    base_len: u8,
    /// The name in use: `base`, or `base-N` after conflicts.
    label: [u8; MAX_LABEL],
    label_len: u8,
    renames: u8,
    ip: [u8; 4],
    port_base: u16,
    phase: Phase,
}

/// A legacy resolver's question, as the reply repeats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Question {
    /// What it asked for (one name's records).
    records: Records,
    qtype: u16,
    qclass: u16,
}

/// Which records a reply carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Records {
    a: bool,
    ptr: bool,
    srv: bool,
    txt: bool,
    enumeration: bool,
}

impl Records {
    fn any(self) -> bool {
        self.a || self.ptr || self.srv || self.txt || self.enumeration
    }
    fn or(self, o: Records) -> Records {
        Records {
            a: self.a || o.a,
            ptr: self.ptr || o.ptr,
            srv: self.srv || o.srv,
            txt: self.txt || o.txt,
            enumeration: self.enumeration || o.enumeration,
        }
    }
    const ALL_OWN: Records = Records {
        a: true,
        ptr: true,
        srv: true,
        txt: true,
        enumeration: false,
    };
}

impl Responder {
    /// A responder for `name` (a DNS label: letters, digits, `-`; cut to
    /// [`MAX_LABEL`] − 3 bytes, `cuatro` if empty) at `ip`, offering the
    /// ports from `port_base`; it starts probing at `now_ms`.
    pub fn new(name: &[u8], ip: [u8; 4], port_base: u16, now_ms: u64) -> Responder {
        let mut base = [0u8; MAX_LABEL];
        let mut n = 0;
        for (slot, &b) in base.iter_mut().zip(name.iter().take(MAX_LABEL - 3)) {
            if b.is_ascii_alphanumeric() || b == b'-' {
                *slot = b.to_ascii_lowercase();
                n += 1;
            }
        }
        if n == 0 {
            let d = b"cuatro";
            if let Some(s) = base.get_mut(..d.len()) {
                s.copy_from_slice(d);
            }
            n = d.len();
        }
        Responder {
            base,
            base_len: n as u8,
            label: base,
            label_len: n as u8,
            renames: 0,
            ip,
            port_base,
            phase: Phase::Probing {
                sent: 0,
                next_ms: now_ms,
            },
        }
    }

    /// The name in use (`cuatro`, or `cuatro-2` after a conflict).
    pub fn name(&self) -> &[u8] {
        self.label.get(..usize::from(self.label_len)).unwrap_or(b"")
    }

    /// Whether the names are claimed (probing done) and queries answered.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Announcing { .. } | Phase::Ready)
    }

    /// A new address (a DHCP lease): announce again.
    pub fn set_ip(&mut self, ip: [u8; 4], now_ms: u64) {
        if ip != self.ip {
            self.ip = ip;
            if self.is_ready() {
                self.phase = Phase::Announcing {
                    sent: 0,
                    next_ms: now_ms,
                };
            }
        }
    }

    /// When [`Responder::poll`] has a packet to send (milliseconds).
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            Phase::Probing { next_ms, .. } | Phase::Announcing { next_ms, .. } => Some(next_ms),
            Phase::Ready | Phase::GaveUp => None,
        }
    }

    /// The probe or announcement due at `now_ms`, written to `out`, to
    /// send to the group.
    pub fn poll(&mut self, now_ms: u64, out: &mut [u8]) -> Option<usize> {
        match self.phase {
            Phase::Probing { sent, next_ms } if now_ms >= next_ms => {
                if sent >= PROBES {
                    // Nobody objected: the names are ours.
                    self.phase = Phase::Announcing {
                        sent: 0,
                        next_ms: now_ms,
                    };
                    return self.poll(now_ms, out);
                }
                self.phase = Phase::Probing {
                    sent: sent + 1,
                    next_ms: now_ms + PROBE_MS,
                };
                self.probe(out)
            }
            Phase::Announcing { sent, next_ms } if now_ms >= next_ms => {
                self.phase = if sent + 1 >= ANNOUNCEMENTS {
                    Phase::Ready
                } else {
                    Phase::Announcing {
                        sent: sent + 1,
                        next_ms: now_ms + ANNOUNCE_MS,
                    }
                };
                self.response(0, Records::ALL_OWN, Records::default(), false, None, out)
            }
            _ => None,
        }
    }

    /// A packet received on port 5353 from UDP port `src_port`: the reply
    /// (written to `out`) and where it goes, if it asks for one of ours.
    /// A response naming one of ours while probing is a conflict (the
    /// responder renames itself and probes again); after probing, one with
    /// other data for our names sends it back to probing. Never panics,
    /// whatever the bytes.
    pub fn handle(
        &mut self,
        packet: &[u8],
        src_port: u16,
        now_ms: u64,
        out: &mut [u8],
    ) -> Option<(usize, Dest)> {
        let id = u16_at(packet, 0)?;
        let flags = u16_at(packet, 2)?;
        let questions = u16_at(packet, 4)?.min(MAX_QUESTIONS);
        let answers = u16_at(packet, 6)?;
        let authority = u16_at(packet, 8)?;
        if flags & FLAG_QR != 0 {
            let records = answers.saturating_add(authority);
            match self.phase {
                // Probing: any record with one of our names means it is
                // taken (§8.1).
                Phase::Probing { .. } if self.claims(packet, questions, records, false) => {
                    self.rename(now_ms);
                }
                // Claimed: a record for our unique names with other data is
                // a conflict; probe the name again (§9), and rename if its
                // holder answers.
                Phase::Announcing { .. } | Phase::Ready
                    if self.claims(packet, questions, records, true) =>
                {
                    self.phase = Phase::Probing {
                        sent: 0,
                        next_ms: now_ms,
                    };
                }
                _ => {}
            }
            return None;
        }
        if let Phase::Probing { .. } = self.phase {
            // Another host probing for our names at the same moment
            // (boards powered on together): RFC 6762 §8.2's tiebreak.
            if authority > 0 && self.loses_tiebreak(packet, questions, answers, authority) {
                self.phase = Phase::Probing {
                    sent: 0,
                    next_ms: now_ms + TIEBREAK_DEFER_MS,
                };
            }
            return None;
        }
        if !self.is_ready() {
            return None;
        }
        let mut pos = HEADER;
        let mut want = Records::default();
        let mut unicast = false;
        let mut other_class = false;
        for _ in 0..questions {
            let (records, next) = self.question(packet, pos)?;
            let class = u16_at(packet, next + 2)?;
            // Class IN or ANY; the top bit asks for a unicast reply.
            if matches!(class & !CLASS_TOP, CLASS_IN | CLASS_ANY) {
                if records.any() {
                    unicast |= class & CLASS_TOP != 0;
                }
                want = want.or(records);
            } else {
                other_class = true;
            }
            pos = next + 4;
        }
        if other_class && src_port != MDNS_PORT {
            // A legacy reply echoes every question: not one of a class
            // that is not ours.
            return None;
        }
        if !want.any() {
            return None;
        }
        // What a PTR answer's reader needs next (RFC 6763 §12).
        let extra = Records {
            srv: want.ptr && !want.srv,
            txt: want.ptr && !want.txt,
            a: (want.ptr || want.srv) && !want.a,
            ..Records::default()
        };
        if src_port != MDNS_PORT {
            // A legacy resolver (RFC 6762 §6.7): answer it alone, with its
            // id and its question (one: what such resolvers send; written
            // anew from our own name, never copied), short TTLs, no
            // cache-flush bits.
            if questions != 1 {
                return None;
            }
            let qtype = u16_at(packet, pos.checked_sub(4)?)?;
            let qclass = u16_at(packet, pos.checked_sub(2)?)? & !CLASS_TOP;
            let question = Question {
                records: want,
                qtype,
                qclass,
            };
            let len = self.response(id, want, extra, true, Some(question), out)?;
            return Some((len, Dest::Unicast));
        }
        let len = self.response(0, want, extra, false, None, out)?;
        Some((
            len,
            if unicast {
                Dest::Unicast
            } else {
                Dest::Multicast
            },
        ))
    }

    /// The question at `pos`: which of our records it asks for, and the
    /// offset of its type.
    fn question(&self, packet: &[u8], pos: usize) -> Option<(Records, usize)> {
        let label = self.name();
        let host: [&[u8]; 2] = [label, LOCAL];
        let instance: [&[u8]; 4] = [label, b"_cuatro", b"_tcp", LOCAL];
        let (is_host, next) = name_at(packet, pos, &host)?;
        let (is_service, _) = name_at(packet, pos, &SERVICE)?;
        let (is_instance, _) = name_at(packet, pos, &instance)?;
        let (is_enum, _) = name_at(packet, pos, &ENUMERATION)?;
        let qtype = u16_at(packet, next)?;
        let t = |want: u16| qtype == want || qtype == TYPE_ANY;
        Some((
            Records {
                a: is_host && t(TYPE_A),
                ptr: is_service && t(TYPE_PTR),
                srv: is_instance && t(TYPE_SRV),
                txt: is_instance && t(TYPE_TXT),
                enumeration: is_enum && t(TYPE_PTR),
            },
            next,
        ))
    }

    /// Whether any of the `records` after the questions names our host or
    /// instance (someone else holds it). `conflicting`: only a live record
    /// (TTL above 0, not a goodbye) of a type we own there whose data is not
    /// ours: an A record with another address, an SRV record with another
    /// port or target (RFC 6762 §9: identical records, say from a second
    /// responder for the same host, are no conflict). TXT is not compared:
    /// two boards' are alike, and the SRV already differs.
    fn claims(&self, packet: &[u8], questions: u16, records: u16, conflicting: bool) -> bool {
        let label = self.name();
        let host: [&[u8]; 2] = [label, LOCAL];
        let instance: [&[u8]; 4] = [label, b"_cuatro", b"_tcp", LOCAL];
        let mut pos = HEADER;
        for _ in 0..questions {
            match name_at(packet, pos, &host) {
                Some((_, next)) => pos = next + 4,
                None => return false,
            }
        }
        for _ in 0..records.min(MAX_RECORDS) {
            let Some((is_host, next)) = name_at(packet, pos, &host) else {
                return false;
            };
            let is_instance = name_at(packet, pos, &instance).is_some_and(|(eq, _)| eq);
            let (Some(rtype), Some(ttl_high), Some(ttl_low), Some(rdlen)) = (
                u16_at(packet, next),
                u16_at(packet, next + 4),
                u16_at(packet, next + 6),
                u16_at(packet, next + 8),
            ) else {
                return false;
            };
            let rdata = next + 10;
            if !conflicting && (is_host || is_instance) {
                return true;
            }
            if conflicting && (ttl_high, ttl_low) != (0, 0) {
                let other_a = is_host
                    && rtype == TYPE_A
                    && packet.get(rdata..rdata + usize::from(rdlen)) != Some(self.ip.as_slice());
                let other_srv = is_instance
                    && rtype == TYPE_SRV
                    && (u16_at(packet, rdata + 4) != Some(self.port_base)
                        || name_at(packet, rdata + 6, &host).is_none_or(|(eq, _)| !eq));
                if other_a || other_srv {
                    return true;
                }
            }
            pos = rdata + usize::from(rdlen);
        }
        false
    }

    /// Whether a probe (a query with `authority` proposed records) from
    /// another host wants our host name with an address lexicographically
    /// later than ours (RFC 6762 §8.2: same class and type, so the rdata,
    /// byte by byte, decides): then we lose, and defer. The host and
    /// instance names share their label and are renamed together, and two
    /// boards' SRV and TXT records are alike, so the A record is what
    /// differs. Our own address, or an earlier one, wins (the other
    /// defers); anything malformed is no tie.
    fn loses_tiebreak(&self, packet: &[u8], questions: u16, answers: u16, authority: u16) -> bool {
        let host: [&[u8]; 2] = [self.name(), LOCAL];
        let mut pos = HEADER;
        for _ in 0..questions {
            match name_at(packet, pos, &host) {
                Some((_, next)) => pos = next + 4,
                None => return false,
            }
        }
        for k in 0..answers.saturating_add(authority).min(MAX_RECORDS) {
            let Some((is_host, next)) = name_at(packet, pos, &host) else {
                return false;
            };
            let (Some(rtype), Some(class), Some(rdlen)) = (
                u16_at(packet, next),
                u16_at(packet, next + 2),
                u16_at(packet, next + 8),
            ) else {
                return false;
            };
            let rdata = next + 10;
            if k >= answers && is_host && rtype == TYPE_A && class & !CLASS_TOP == CLASS_IN {
                return match packet.get(rdata..rdata + 4) {
                    Some(theirs) if rdlen == 4 => theirs > self.ip.as_slice(),
                    _ => false,
                };
            }
            pos = rdata + usize::from(rdlen);
        }
        false
    }

    /// Takes the next name after a conflict and probes again.
    fn rename(&mut self, now_ms: u64) {
        if self.renames >= MAX_RENAMES {
            self.phase = Phase::GaveUp;
            return;
        }
        self.renames += 1;
        let n = usize::from(self.base_len);
        self.label = self.base;
        if let Some(s) = self.label.get_mut(n..n + 2) {
            s.copy_from_slice(&[b'-', b'1' + self.renames]);
        }
        self.label_len = (n + 2) as u8;
        // RFC 6762 §8.1: wait a moment before probing the new name.
        self.phase = Phase::Probing {
            sent: 0,
            next_ms: now_ms + PROBE_MS,
        };
    }

    /// A probe: a query (type ANY, unicast response wanted) for the host
    /// and instance names, our proposed records in the authority section.
    fn probe(&self, out: &mut [u8]) -> Option<usize> {
        let label = self.name();
        let host: [&[u8]; 2] = [label, LOCAL];
        let instance: [&[u8]; 4] = [label, b"_cuatro", b"_tcp", LOCAL];
        let mut w = Writer::new(out);
        for v in [0, 0, 2, 0, 3, 0] {
            w.u16(v)?;
        }
        for name in [&host[..], &instance[..]] {
            w.name(name)?;
            w.u16(TYPE_ANY)?;
            w.u16(CLASS_IN | CLASS_TOP)?;
        }
        let own = Records {
            a: true,
            srv: true,
            txt: true,
            ..Records::default()
        };
        self.records(&mut w, own, false)?;
        Some(w.len())
    }

    /// A response: `answers`, then `additional`; `legacy`: for a non-mDNS
    /// resolver (its `id` and `questions` echoed, short TTLs).
    fn response(
        &self,
        id: u16,
        answers: Records,
        additional: Records,
        legacy: bool,
        question: Option<Question>,
        out: &mut [u8],
    ) -> Option<usize> {
        let mut w = Writer::new(out);
        let qd = u16::from(question.is_some());
        for v in [id, FLAGS_RESPONSE, qd, 0, 0, 0] {
            w.u16(v)?;
        }
        if let Some(q) = question {
            let label = self.name();
            let host: [&[u8]; 2] = [label, LOCAL];
            let instance: [&[u8]; 4] = [label, b"_cuatro", b"_tcp", LOCAL];
            let r = q.records;
            let name: &[&[u8]] = if r.a {
                &host
            } else if r.ptr {
                &SERVICE
            } else if r.srv || r.txt {
                &instance
            } else {
                &ENUMERATION
            };
            w.name(name)?;
            w.u16(q.qtype)?;
            w.u16(q.qclass)?;
        }
        let an = self.records(&mut w, answers, legacy)?;
        let ar = self.records(&mut w, additional, legacy)?;
        w.set_u16(6, an)?;
        w.set_u16(10, ar)?;
        Some(w.len())
    }

    /// Writes the records in `which`; returns how many.
    fn records(&self, w: &mut Writer<'_>, which: Records, legacy: bool) -> Option<u16> {
        let label = self.name();
        let host: [&[u8]; 2] = [label, LOCAL];
        let instance: [&[u8]; 4] = [label, b"_cuatro", b"_tcp", LOCAL];
        let (flush, ttl_host, ttl_other) = if legacy {
            (0, TTL_LEGACY, TTL_LEGACY)
        } else {
            (CLASS_TOP, TTL_HOST, TTL_OTHER)
        };
        let mut n = 0u16;
        if which.ptr {
            let at = w.record(&SERVICE, TYPE_PTR, CLASS_IN, ttl_other)?;
            w.name(&instance)?;
            w.end_rdata(at)?;
            n += 1;
        }
        if which.enumeration {
            let at = w.record(&ENUMERATION, TYPE_PTR, CLASS_IN, ttl_other)?;
            w.name(&SERVICE)?;
            w.end_rdata(at)?;
            n += 1;
        }
        if which.srv {
            let at = w.record(&instance, TYPE_SRV, CLASS_IN | flush, ttl_host)?;
            w.u16(0)?; // priority
            w.u16(0)?; // weight
            w.u16(self.port_base)?;
            w.name(&host)?;
            w.end_rdata(at)?;
            n += 1;
        }
        if which.txt {
            let at = w.record(&instance, TYPE_TXT, CLASS_IN | flush, ttl_other)?;
            let b = self.port_base;
            let ports: [(&[u8], u16); 5] = [
                (b"classic=", b),
                (b"compact=", b.wrapping_add(1)),
                (b"upload=", b.wrapping_add(2)),
                (b"pvp=", b.wrapping_add(3)),
                (b"pvp_compact=", b.wrapping_add(4)),
            ];
            for (key, port) in ports {
                let mut digits = [0u8; U64_DIGITS];
                let d = decimal(u64::from(port), &mut digits);
                w.bytes(&[(key.len() + d.len()) as u8])?;
                w.bytes(key)?;
                w.bytes(d)?;
            }
            w.end_rdata(at)?;
            n += 1;
        }
        if which.a {
            let at = w.record(&host, TYPE_A, CLASS_IN | flush, ttl_host)?;
            w.bytes(&self.ip)?;
            w.end_rdata(at)?;
            n += 1;
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests;
