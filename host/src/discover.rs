//! `cuatro discover` and `.local` addresses: the boards on the link, found
//! over mDNS/DNS-SD (SPEC.md, "Discovery") with the `mdns-sd` library.
//!
//! A board (or the simulator in TAP mode) offers `_cuatro._tcp.local.`:
//! its SRV names the host and the classic port, its TXT lists every port
//! (`classic=8080 compact=8081 upload=8082 pvp=8083 pvp_compact=8084`).

use anyhow::{anyhow, Context};
use mdns_sd::{HostnameResolutionEvent, ServiceDaemon, ServiceEvent};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The DNS-SD service type of a cuatro server.
pub const SERVICE: &str = "_cuatro._tcp.local.";

/// The TXT keys a board lists, in the order `discover` prints them.
pub const PORT_KEYS: [&str; 5] = ["classic", "compact", "upload", "pvp", "pvp_compact"];

/// One board found on the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// The instance name (`cuatro`, or `cuatro-2` after a name conflict).
    pub name: String,
    /// Its host name (`cuatro.local.`).
    pub host: String,
    /// Its IPv4 addresses.
    pub addresses: Vec<IpAddr>,
    /// The port of each service, from the TXT record (the SRV port is the
    /// classic one).
    pub ports: BTreeMap<String, u16>,
}

impl Board {
    /// One line: name, address, ports.
    pub fn line(&self) -> String {
        let addrs: Vec<String> = self.addresses.iter().map(IpAddr::to_string).collect();
        let ports: Vec<String> = PORT_KEYS
            .iter()
            .filter_map(|k| self.ports.get(*k).map(|p| format!("{k}={p}")))
            .collect();
        format!(
            "{}  {}  {}  {}",
            self.name,
            self.host.trim_end_matches('.'),
            addrs.join(","),
            ports.join(" ")
        )
    }
}

/// Browses the link for `wait` and returns every board that resolved.
pub fn discover(wait: Duration) -> anyhow::Result<Vec<Board>> {
    let daemon = ServiceDaemon::new().map_err(|e| anyhow!("cannot start mDNS: {e}"))?;
    let events = daemon
        .browse(SERVICE)
        .map_err(|e| anyhow!("cannot browse {SERVICE}: {e}"))?;
    let deadline = Instant::now() + wait;
    let mut found: BTreeMap<String, Board> = BTreeMap::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(s) = event {
            let name = s
                .fullname
                .strip_suffix(SERVICE)
                .unwrap_or(&s.fullname)
                .trim_end_matches('.')
                .to_owned();
            let mut ports = BTreeMap::new();
            for key in PORT_KEYS {
                if let Some(p) = s
                    .txt_properties
                    .get_property_val_str(key)
                    .and_then(|v| v.parse::<u16>().ok())
                {
                    ports.insert(key.to_owned(), p);
                }
            }
            ports.entry("classic".to_owned()).or_insert(s.port);
            let mut addresses: Vec<IpAddr> = s.addresses.iter().map(|a| a.to_ip_addr()).collect();
            addresses.sort();
            found.insert(
                name.clone(),
                Board {
                    name,
                    host: s.host.clone(),
                    addresses,
                    ports,
                },
            );
        }
    }
    let _ = daemon.shutdown();
    Ok(found.into_values().collect())
}

/// The IPv4 address of `host` (`cuatro.local`), asked over mDNS.
pub fn resolve_host(host: &str, wait: Duration) -> anyhow::Result<IpAddr> {
    let name = if host.ends_with('.') {
        host.to_owned()
    } else {
        format!("{host}.")
    };
    let daemon = ServiceDaemon::new().map_err(|e| anyhow!("cannot start mDNS: {e}"))?;
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    let events = daemon
        .resolve_hostname(&name, Some(ms))
        .map_err(|e| anyhow!("cannot resolve {name}: {e}"))?;
    let deadline = Instant::now() + wait + Duration::from_millis(500);
    let mut answer = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(HostnameResolutionEvent::AddressesFound(_, addrs)) => {
                answer = addrs.iter().map(|a| a.to_ip_addr()).find(IpAddr::is_ipv4);
                if answer.is_some() {
                    break;
                }
            }
            Ok(HostnameResolutionEvent::SearchTimeout(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = daemon.shutdown();
    answer.ok_or_else(|| anyhow!("{name} did not answer over mDNS within {wait:?}"))
}

/// `HOST:PORT` as a socket address; a host ending in `.local` is asked
/// over mDNS, anything else goes to the system resolver.
pub fn resolve_addr(addr: &str) -> anyhow::Result<SocketAddr> {
    let (host, port) = addr
        .rsplit_once(':')
        .with_context(|| format!("{addr}: expected HOST:PORT"))?;
    let bare = host.trim_end_matches('.');
    if bare.ends_with(".local") {
        let port: u16 = port
            .parse()
            .with_context(|| format!("{addr}: bad port {port}"))?;
        let ip = resolve_host(bare, Duration::from_secs(3))?;
        return Ok(SocketAddr::new(ip, port));
    }
    addr.to_socket_addrs()
        .with_context(|| format!("bad address {addr}"))?
        .next()
        .with_context(|| format!("no address for {addr}"))
}
