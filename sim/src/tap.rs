//! TAP mode: the board on a Linux TAP interface instead of the relay.
//!
//! The kernel's own TCP clients reach the board at its address (default
//! `192.168.69.1/24`, as in smoltcp's examples) on its own ports. The loop
//! waits in `mio` on the TAP's file descriptor with smoltcp's `poll_delay`
//! (and the impaired link's next due frame) as the timeout.
//!
//! One-time setup (the host side takes `.100`):
//!
//! ```sh
//! sudo ip tuntap add name tap0 mode tap user $USER
//! sudo ip link set tap0 up
//! sudo ip addr add 192.168.69.100/24 dev tap0
//! cargo run -p sim -- --tap tap0
//! ```

use crate::pcap;
use crate::{SimConfig, StopHandle};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use smoltcp::phy::{Medium, TunTapInterface};
use smoltcp::time::Duration as NetDuration;
use smoltcp::wire::{EthernetAddress, Ipv4Cidr};
use std::fmt;
use std::io::{ErrorKind, Write};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Duration;

/// The board's MAC address on a TAP (stable across runs).
pub const TAP_MAC: EthernetAddress = crate::board::BOARD_MAC;
/// The board's default address on a TAP (smoltcp's examples' address).
pub const DEFAULT_IP: Ipv4Cidr = crate::board::TAP_IP;

const TAP: Token = Token(0);
const WAKER: Token = Token(1);
/// `IFF_UP` in `/sys/class/net/<iface>/flags`.
const IFF_UP: u32 = 0x1;
/// `IFF_TAP` in `/sys/class/net/<iface>/tun_flags`.
const IFF_TAP: u32 = 0x2;

/// Why the TAP could not be attached: a one-line, actionable message.
#[derive(Debug)]
pub struct TapError(pub String);

impl fmt::Display for TapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TapError {}

/// Parses `A.B.C.D/LEN` (or a bare address, as `/24`).
pub fn parse_cidr(s: &str) -> Result<Ipv4Cidr, String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (
            a,
            l.parse::<u8>()
                .map_err(|_| format!("bad prefix in {s:?}"))?,
        ),
        None => (s, 24),
    };
    let addr: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("bad IPv4 address in {s:?}"))?;
    if len == 0 || len > 32 {
        return Err(format!("prefix length must be 1..=32 in {s:?}"));
    }
    Ok(Ipv4Cidr::new(addr, len))
}

/// Parses a unicast Ethernet address, `02:00:00:00:00:07` (or with `-`).
pub fn parse_mac(s: &str) -> Result<EthernetAddress, String> {
    let mut mac = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut mac {
        let part = parts
            .next()
            .ok_or_else(|| format!("too few bytes in {s:?}"))?;
        if part.len() != 2 {
            return Err(format!("bad byte {part:?} in {s:?}"));
        }
        *b = u8::from_str_radix(part, 16).map_err(|_| format!("bad byte {part:?} in {s:?}"))?;
    }
    if parts.next().is_some() {
        return Err(format!("too many bytes in {s:?}"));
    }
    let mac = EthernetAddress(mac);
    if !mac.is_unicast() || mac.0 == [0; 6] {
        return Err(format!("{s:?} is not a unicast address"));
    }
    Ok(mac)
}

fn read_hex(path: &Path) -> Option<u32> {
    let s = std::fs::read_to_string(path).ok()?;
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

/// Checks the interface exists, is a TAP and is up, before touching
/// `/dev/net/tun` (which, for root, would silently create a missing one).
fn preflight(iface: &str) -> Result<(), TapError> {
    if iface.is_empty() || iface.len() > 15 || iface.contains('/') {
        return Err(TapError(format!(
            "invalid interface name {iface:?} (1 to 15 characters, no '/')"
        )));
    }
    let sys = Path::new("/sys/class/net");
    if !sys.is_dir() {
        return Ok(()); // no sysfs: let the kernel tell us
    }
    let dir = sys.join(iface);
    if !dir.exists() {
        return Err(TapError(format!(
            "no network interface {iface:?}: create it first with \
             `sudo ip tuntap add name {iface} mode tap user $USER && sudo ip link set {iface} up \
             && sudo ip addr add 192.168.69.100/24 dev {iface}`"
        )));
    }
    match read_hex(&dir.join("tun_flags")) {
        None => {
            return Err(TapError(format!(
                "{iface:?} is not a TUN/TAP interface (create one with `sudo ip tuntap add name \
                 {iface} mode tap user $USER`)"
            )))
        }
        Some(flags) if flags & IFF_TAP == 0 => {
            return Err(TapError(format!(
                "{iface:?} is a TUN (IP) interface; the board needs a TAP (Ethernet) one: \
                 `sudo ip tuntap add name {iface} mode tap user $USER`"
            )))
        }
        Some(_) => {}
    }
    if read_hex(&dir.join("flags")).is_some_and(|f| f & IFF_UP == 0) {
        return Err(TapError(format!(
            "interface {iface:?} is down: `sudo ip link set {iface} up`"
        )));
    }
    Ok(())
}

/// Opens the TAP, mapping errors to clear messages.
fn attach(iface: &str) -> Result<TunTapInterface, TapError> {
    preflight(iface)?;
    if !Path::new("/dev/net/tun").exists() {
        return Err(TapError(
            "/dev/net/tun does not exist: load the tun module (`sudo modprobe tun`)".into(),
        ));
    }
    TunTapInterface::new(iface, Medium::Ethernet).map_err(|e| {
        let why = match e.kind() {
            ErrorKind::PermissionDenied => format!(
                "permission denied attaching to TAP {iface:?} ({e}): run as root, or create \
                 the interface for your user: `sudo ip tuntap add name {iface} mode tap user $USER`"
            ),
            _ if e.raw_os_error() == Some(16) => {
                format!("TAP {iface:?} is busy: another process is attached to it ({e})")
            }
            _ if e.raw_os_error() == Some(1) => format!(
                "operation not permitted on TAP {iface:?} ({e}): run as root, or create the \
                 interface for your user: `sudo ip tuntap add name {iface} mode tap user $USER`"
            ),
            _ => format!("cannot attach to TAP {iface:?}: {e}"),
        };
        TapError(why)
    })
}

/// The board attached to a TAP, ready to [`run`](TapSim::run).
pub struct TapSim {
    config: SimConfig,
    iface: String,
    ip: Ipv4Cidr,
    mac: EthernetAddress,
    dev: TunTapInterface,
    capture: Option<Box<dyn Write + Send>>,
    poll: Poll,
    stop: StopHandle,
}

impl TapSim {
    /// Attaches to TAP `iface` with the board at `ip`. The game ports are
    /// `config.port_base` and the next four (8080 when it is 0);
    /// `config.impair` and `config.pcap` apply to the TAP link.
    pub fn open(iface: &str, ip: Ipv4Cidr, config: SimConfig) -> Result<TapSim, TapError> {
        TapSim::open_with_mac(iface, ip, TAP_MAC, config)
    }

    /// [`TapSim::open`] with the board at Ethernet address `mac` (two
    /// boards on one link need two).
    pub fn open_with_mac(
        iface: &str,
        ip: Ipv4Cidr,
        mac: EthernetAddress,
        config: SimConfig,
    ) -> Result<TapSim, TapError> {
        config.impair.validate().map_err(TapError)?;
        let dev = attach(iface)?;
        let capture =
            pcap::open_file(config.pcap.as_deref()).map_err(|e| TapError(e.to_string()))?;
        let io = |e: std::io::Error| TapError(format!("cannot wait on TAP {iface:?}: {e}"));
        let poll = Poll::new().map_err(io)?;
        let fd = dev.as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), TAP, Interest::READABLE)
            .map_err(io)?;
        let stop = StopHandle::new(&poll, WAKER).map_err(io)?;
        Ok(TapSim {
            config,
            iface: iface.to_owned(),
            ip,
            mac,
            dev,
            capture,
            poll,
            stop,
        })
    }

    /// The classic game port: `config.port_base`, or the board's default.
    fn port_base(&self) -> u16 {
        if self.config.port_base == 0 {
            crate::BOARD_PORTS[0]
        } else {
            self.config.port_base
        }
    }

    /// The `ready` line: `ready tap=IFACE ip=A classic=A:P compact=A:P+1
    /// upload=A:P+2 pvp=A:P+3 pvp_compact=A:P+4`.
    pub fn ready_line(&self) -> String {
        let ip = self.ip.address();
        let p = self.port_base();
        format!(
            "ready tap={} ip={ip} classic={ip}:{p} compact={ip}:{} upload={ip}:{} pvp={ip}:{} pvp_compact={ip}:{}",
            self.iface,
            p + 1,
            p + 2,
            p + 3,
            p + 4
        )
    }

    /// A handle that stops [`run`](TapSim::run).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Runs the board on the TAP until stopped.
    pub fn run(mut self) -> std::io::Result<()> {
        let now = crate::wall_clock();
        let port_base = self.port_base();
        let mut dev = crate::board_nic(self.dev, &self.config, self.capture.take());
        let settings = crate::BoardSettings {
            mac: self.mac,
            ip: self.ip,
            gateway: None,
            port_base,
            seed: self.config.seed,
            idle_timeout: self.config.idle_timeout,
            cpu_level: self.config.cpu_level,
            mdns_name: self.config.mdns_name,
        };
        let storage = cuatro_kit::DirStorage::new(&self.config.upload_dir, self.config.upload_max);
        let mut memory = crate::HostMemory::new(&self.config.memory);
        let mut board = settings
            .build(&mut dev, &mut memory, now(), storage)
            .map_err(|e| std::io::Error::other(format!("board memory: {e}")))?;

        let mut events = Events::with_capacity(16);
        loop {
            if self.stop.stopped() {
                dev.flush();
                return Ok(());
            }
            // Poll until a poll moves no frame and nothing is due (bounded):
            // a frame taken in by the interface's last pass may need the
            // server's attention (a connection just established wants its
            // greeting), and no packet or timer would wake us for it.
            let mut delay = None;
            for _ in 0..1000 {
                let t = now();
                let before = dev.inner().activity();
                delay = board.poll(t, &mut dev);
                let sent = dev.inner_mut().flush(t);
                let moved = dev.inner().activity() != before;
                if !sent && !moved && !dev.inner().has_due(now()) {
                    break;
                }
            }
            let t = now();
            let link = dev
                .inner()
                .poll_at()
                .map(|at| if at > t { at - t } else { NetDuration::ZERO });
            let delay = match (delay, link) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = delay.map(|d| Duration::from_micros(d.total_micros()));
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cidrs() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Ok(TAP_MAC));
        assert_eq!(
            parse_mac("02-0a-0B-00-00-ff"),
            Ok(EthernetAddress([2, 0x0a, 0x0b, 0, 0, 0xff]))
        );
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "0g:00:00:00:00:01",
            "01:00:5e:00:00:fb",
            "00:00:00:00:00:00",
            "2:00:00:00:00:01",
        ] {
            assert!(parse_mac(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_cidr("192.168.69.1/24"), Ok(DEFAULT_IP));
        assert_eq!(parse_cidr("192.168.69.1"), Ok(DEFAULT_IP));
        assert!(parse_cidr("192.168.69.1/33").is_err());
        assert!(parse_cidr("nope/24").is_err());
    }

    #[test]
    fn a_missing_interface_is_a_clear_error() {
        let e = TapSim::open("cuatro-nosuch9", DEFAULT_IP, SimConfig::default())
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(e.contains("no network interface"), "{e}");
        assert!(!std::path::Path::new("/sys/class/net/cuatro-nosuch9").exists());
    }
}
