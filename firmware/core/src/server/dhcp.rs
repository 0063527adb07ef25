//! The DHCP client (cargo feature `dhcp`).

use super::*;

impl<S: Storage> Server<'_, S> {
    /// Applies a DHCP lease (or its loss) to the interface.
    #[cfg(feature = "dhcp")]
    pub(super) fn service_dhcp(&mut self) -> bool {
        use smoltcp::socket::dhcpv4::{Event, Socket};
        let Some(handle) = self.dhcp_handle else {
            return false;
        };
        let lease = match self.sockets.get_mut::<Socket>(handle).poll() {
            None => return false,
            Some(Event::Configured(config)) => Some((config.address, config.router)),
            Some(Event::Deconfigured) => None,
        };
        let (address, router) = match lease {
            Some((address, router)) => (address, router),
            // Lost the lease: fall back to the static settings.
            None => (self.config.ip, self.config.gateway),
        };
        self.iface.update_ip_addrs(|addrs| {
            addrs.clear();
            let _ = addrs.push(IpCidr::Ipv4(address));
        });
        self.iface.routes_mut().remove_default_ipv4_route();
        if let Some(router) = router {
            let _ = self.iface.routes_mut().add_default_ipv4_route(router);
        }
        self.lease = lease.map(|(address, _)| address);
        true
    }

    /// The address leased by DHCP, if any (`dhcp` feature).
    #[cfg(feature = "dhcp")]
    pub fn lease(&self) -> Option<Ipv4Cidr> {
        self.lease
    }
}
