//! The simulated board, the same for every link the simulator offers (the
//! 127.0.0.1 relay, a TAP, the deterministic netsim): one set of board
//! constants and one constructor, so the three differ only in the device
//! they hand the board.

use crate::memory::HostMemory;
use cuatro_core::server::MemoryError;
use cuatro_core::upload::Storage;
use cuatro_core::{Config as ServerConfig, Server};
use smoltcp::phy::Device;
use smoltcp::time::{Duration as NetDuration, Instant as NetInstant};
use smoltcp::wire::{EthernetAddress, Ipv4Address, Ipv4Cidr};

/// The board's MAC address, on every link.
pub const BOARD_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
/// The board's ports on every link: classic, compact, upload, and player
/// vs player classic and compact.
pub const BOARD_PORTS: [u16; 5] = [8080, 8081, 8082, 8083, 8084];
/// Behind the relay: QEMU user networking's guest address...
pub const RELAY_IP: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(10, 0, 2, 15), 24);
/// ... and its gateway (the relay's side of the link).
pub const RELAY_GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// On a TAP, unless `--ip` says otherwise.
pub const TAP_IP: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(192, 168, 69, 1), 24);
/// In the netsim, on a /16 switch shared with client and attacker hosts.
pub const NETSIM_IP: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 1), 16);

/// What tells one simulated board from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSettings {
    /// Its Ethernet address ([`BOARD_MAC`] unless a TAP's `--mac` says).
    pub mac: EthernetAddress,
    /// Address and prefix.
    pub ip: Ipv4Cidr,
    /// Default gateway, if the link has one.
    pub gateway: Option<Ipv4Address>,
    /// Classic game port (compact and upload follow); [`BOARD_PORTS`]
    /// behind the relay and in the netsim, the user's choice on a TAP.
    pub port_base: u16,
    /// Seed of the CPU players.
    pub seed: u64,
    /// The sessions' idle timeout.
    pub idle_timeout: std::time::Duration,
    /// The CPU level of a `\juego_nuevo` without `nivel`.
    pub cpu_level: cuatro_proto::Level,
    /// The mDNS name (`<name>.local`).
    pub mdns_name: &'static str,
}

impl BoardSettings {
    /// The server's configuration: these.
    pub fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(self.mac, self.ip);
        config.gateway = self.gateway;
        config.port_base = self.port_base;
        config.seed = self.seed;
        config.cpu_level = self.cpu_level;
        config.mdns_name = self.mdns_name;
        config.idle_timeout = NetDuration::from_micros(
            u64::try_from(self.idle_timeout.as_micros()).unwrap_or(u64::MAX),
        );
        config
    }

    /// Builds the board on `device` over `memory`, uploads into `storage`.
    pub fn build<'a, D: Device + ?Sized, S: Storage>(
        &self,
        device: &mut D,
        memory: &'a mut HostMemory<'a>,
        now: NetInstant,
        storage: S,
    ) -> Result<Server<'a, S>, MemoryError> {
        Server::with_storage(self.config(), device, memory.view(), now, storage)
    }
}
