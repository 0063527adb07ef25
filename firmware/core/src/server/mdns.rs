//! The mDNS responder ([`crate::mdns`]) on a smoltcp UDP socket bound to
//! port 5353, the interface in the 224.0.0.251 group (cargo feature `mdns`).

use super::*;
use crate::mdns::{Dest, Responder, MAX_PACKET, MDNS_GROUP, MDNS_PORT};
use smoltcp::socket::udp;
use smoltcp::wire::IpEndpoint;

/// Packets handled per poll, at most (the rest wait in the socket).
const MDNS_PER_POLL: usize = 4;

impl<S: Storage> Server<'_, S> {
    /// Answers what arrived on port 5353 and sends what the responder has
    /// due (probes, announcements). Returns whether anything was sent.
    pub(super) fn service_mdns(&mut self, now: Instant) -> bool {
        let Some(handle) = self.mdns_handle else {
            return false;
        };
        let now_ms = now.total_millis() as u64;
        if let Some(ip) = self.iface.ipv4_addr() {
            self.mdns.set_ip(ip.octets(), now_ms);
        }
        let group = IpEndpoint::new(IpAddress::Ipv4(group_addr()), MDNS_PORT);
        let mut sent = false;
        let socket = self.sockets.get_mut::<udp::Socket>(handle);
        let out = &mut self.scratch[..];
        for _ in 0..MDNS_PER_POLL {
            if !room_for_reply(socket) {
                break;
            }
            let Ok((packet, meta)) = socket.recv() else {
                break;
            };
            let from = meta.endpoint;
            let answer = self.mdns.handle(packet, from.port, now_ms, out);
            if let Some((n, dest)) = answer {
                let to = match dest {
                    Dest::Multicast => group,
                    Dest::Unicast => from,
                };
                if let Some(reply) = out.get(..n.min(MAX_PACKET)) {
                    sent |= socket.send_slice(reply, to).is_ok();
                }
            }
        }
        if self.mdns.poll_timeout().is_some_and(|t| now_ms >= t) && room_for_reply(socket) {
            if let Some(n) = self.mdns.poll(now_ms, out) {
                if let Some(packet) = out.get(..n) {
                    sent |= socket.send_slice(packet, group).is_ok();
                }
            }
        }
        sent
    }

    /// When the responder next sends on its own (milliseconds).
    pub(super) fn mdns_deadline(&self) -> Option<Instant> {
        self.mdns_handle?;
        self.mdns.poll_timeout().map(instant_ms)
    }

    /// The name the responder uses (`cuatro`, or `cuatro-2` after a
    /// conflict on the link).
    pub fn mdns_name(&self) -> &[u8] {
        self.mdns.name()
    }
}

/// Whether a reply of up to [`MAX_PACKET`] bytes fits in the socket's
/// transmit buffer now (an empty buffer is rewound; else a reply may need
/// padding to the ring's end first): a query is only taken when its reply
/// can be sent, so none is read and then lost.
fn room_for_reply(socket: &udp::Socket) -> bool {
    let free = socket
        .payload_send_capacity()
        .saturating_sub(socket.send_queue());
    socket.can_send() && (socket.send_queue() == 0 || free >= 2 * MAX_PACKET)
}

/// 224.0.0.251.
pub(super) fn group_addr() -> Ipv4Address {
    let [a, b, c, d] = MDNS_GROUP;
    Ipv4Address::new(a, b, c, d)
}

/// A new responder for `config`.
pub(super) fn responder(config: &Config, now: Instant) -> Responder {
    Responder::new(
        config.mdns_name.as_bytes(),
        config.ip.address().octets(),
        config.port_base,
        now.total_millis() as u64,
    )
}
